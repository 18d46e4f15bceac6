import { selectRun } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import { ExportRun } from './ExportRun.tsx';
import '../train/train.css';

/** Downloads of the chosen run: the model zip and the test predictions. */
export function ExportStep() {
  const runs = useStudio((s) => s.runs);
  const runOrder = useStudio((s) => s.runOrder);
  const activeRunId = useStudio((s) => s.activeRunId);
  const exportable = runOrder.filter((id) => runs[id]?.best);
  const run =
    activeRunId && runs[activeRunId]?.best
      ? runs[activeRunId]
      : runs[exportable[exportable.length - 1] ?? ''];
  return (
    <section className="fs-step" aria-labelledby="fs-export-title">
      <h2 id="fs-export-title">Export</h2>
      {!run ? (
        <p className="fs-lead">
          Nothing to export yet. Train a model on the Train step; once it has a checkpoint, its downloads
          appear here.
        </p>
      ) : (
        <>
          <label>
            <strong>Run </strong>
            <select
              className="fs-select"
              value={run.id}
              onChange={(e) => selectRun(e.target.value)}
              aria-label="Run to export"
            >
              {exportable.map((id) => (
                <option key={id} value={id}>
                  {runs[id]?.name}
                </option>
              ))}
            </select>
          </label>
          <ExportRun key={run.id} run={run} />
        </>
      )}
    </section>
  );
}
