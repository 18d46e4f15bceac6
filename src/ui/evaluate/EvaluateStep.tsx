import { selectRun } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import { EvaluateRun } from './EvaluateRun.tsx';
import '../train/train.css';

/** How well the chosen run does on held-out data, where it goes wrong, and a playground. */
export function EvaluateStep() {
  const runs = useStudio((s) => s.runs);
  const runOrder = useStudio((s) => s.runOrder);
  const activeRunId = useStudio((s) => s.activeRunId);
  const evaluated = runOrder.filter((id) => runs[id]?.testResult);
  const run =
    activeRunId && runs[activeRunId]?.testResult
      ? runs[activeRunId]
      : runs[evaluated[evaluated.length - 1] ?? ''];

  return (
    <section className="fs-step" aria-labelledby="fs-evaluate-title">
      <h2 id="fs-evaluate-title">Evaluate</h2>
      {!run ? (
        <p className="fs-lead">
          Nothing to evaluate yet. Finish or stop a run on the Train step: its best checkpoint is scored on
          the test split and shown here.
        </p>
      ) : (
        <>
          <div style={{ display: 'flex', gap: 12, alignItems: 'center', flexWrap: 'wrap' }}>
            <label>
              <strong>Run </strong>
              <select
                className="fs-select"
                value={run.id}
                onChange={(e) => selectRun(e.target.value)}
                aria-label="Run to evaluate"
              >
                {evaluated.map((id) => (
                  <option key={id} value={id}>
                    {runs[id]?.name}
                  </option>
                ))}
              </select>
            </label>
            <span className="fs-muted">
              {run.modelId} · best checkpoint at step {run.best?.step ?? '—'} ·{' '}
              {run.testResult?.texts.length ?? 0} test examples
            </span>
          </div>
          <EvaluateRun key={run.id} run={run} />
        </>
      )}
    </section>
  );
}
