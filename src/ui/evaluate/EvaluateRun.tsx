import { useMemo, useState } from 'react';
import { effectiveEdits, type EditAction } from '../../core/dataset/index.ts';
import { editRows } from '../../state/edits.ts';
import type { RunRecord } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import {
  evaluateSplit,
  examplesInCell,
  mistakesByConfidence,
  type Decision,
  type ExampleVerdict,
} from './analysis.ts';
import { ConfusionMatrix } from './ConfusionMatrix.tsx';
import { ExampleList } from './ExampleList.tsx';
import { DataMapPanel } from './DataMapPanel.tsx';
import { LabelIssuesPanel } from './LabelIssuesPanel.tsx';
import { SuggestPanel } from './SuggestPanel.tsx';
import { MetricsTable } from './MetricsTable.tsx';
import { PerClassTable } from './PerClassTable.tsx';
import { Playground } from './Playground.tsx';
import { StudentTeacherCard } from './StudentTeacherCard.tsx';
import { ThresholdControl } from './ThresholdControl.tsx';

const SINGLE_ROWS = [
  { key: 'accuracy', name: 'Accuracy' },
  { key: 'macro_f1', name: 'Macro F1' },
  { key: 'weighted_f1', name: 'Weighted F1' },
  { key: 'micro_f1', name: 'Micro F1' },
  { key: 'macro_precision', name: 'Macro precision' },
  { key: 'macro_recall', name: 'Macro recall' },
  { key: 'loss', name: 'Loss' },
];
const MULTI_ROWS = [
  { key: 'micro_f1', name: 'Micro F1' },
  { key: 'macro_f1', name: 'Macro F1' },
  { key: 'subset_accuracy', name: 'Subset accuracy' },
  { key: 'hamming_loss', name: 'Hamming loss' },
  { key: 'micro_precision', name: 'Micro precision' },
  { key: 'micro_recall', name: 'Micro recall' },
  { key: 'loss', name: 'Loss' },
];

function bestValidation(run: RunRecord): Record<string, number> | undefined {
  if (!run.best) return undefined;
  return (
    run.evals.find((e) => e.step === run.best!.step)?.metrics ?? run.evals[run.evals.length - 1]?.metrics
  );
}

/** One run's test-split results at the chosen decision threshold, its mistakes and the playground. */
export function EvaluateRun({ run }: { run: RunRecord }) {
  const result = run.testResult!;
  const k = run.labels.length;
  const binary = !run.multiLabel && k === 2;
  const [positive, setPositive] = useState(1);
  const [binaryThreshold, setBinaryThreshold] = useState(0.5);
  const [useTuned, setUseTuned] = useState(Boolean(result.thresholds));
  const [globalThreshold, setGlobalThreshold] = useState(0.5);
  const [cell, setCell] = useState<{ truth: number; predicted: number } | null>(null);

  const thresholds = useMemo(
    () => (useTuned && result.thresholds ? result.thresholds : new Array<number>(k).fill(globalThreshold)),
    [useTuned, result.thresholds, k, globalThreshold],
  );
  const decision: Decision = useMemo(
    () =>
      run.multiLabel ? { thresholds } : binary ? { binary: { positive, threshold: binaryThreshold } } : {},
    [run.multiLabel, thresholds, binary, positive, binaryThreshold],
  );
  const evaluation = useMemo(
    () =>
      evaluateSplit(
        {
          labels: run.labels,
          multiLabel: run.multiLabel,
          probabilities: result.probabilities,
          truth: result.truth,
        },
        decision,
      ),
    [run.labels, run.multiLabel, result.probabilities, result.truth, decision],
  );
  const metrics = evaluation.metrics;
  const scalars: Record<string, number> = {
    ...metrics,
    loss: result.metrics['loss'] ?? Number.NaN,
  } as unknown as Record<string, number>;
  const mistakes = useMemo(() => mistakesByConfidence(evaluation.verdicts), [evaluation]);
  const cellExamples = useMemo(
    () => (cell && !run.multiLabel ? examplesInCell(evaluation.verdicts, cell.truth, cell.predicted) : null),
    [cell, evaluation, run.multiLabel],
  );
  const textOf = (index: number) => result.texts[index];
  const edits = useStudio((s) => s.data.edits);
  const editedRows = useMemo(() => effectiveEdits(edits), [edits]);
  const editOf = (index: number) => editedRows.get(result.rows[index]!);
  const onEdit = (verdicts: readonly ExampleVerdict[], action: EditAction) =>
    void editRows(
      verdicts.map((v) => ({
        row: result.rows[v.index]!,
        text: result.texts[v.index] ?? '',
        labels: v.truth,
        relabelTo: v.predicted,
      })),
      action,
      run.labels,
      `${run.name}: test examples`,
    );
  const validation = bestValidation(run);

  return (
    <>
      <section className="fs-card" aria-labelledby="fs-eval-metrics">
        <h3 id="fs-eval-metrics">Metrics</h3>
        {binary && (
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 12, alignItems: 'center', marginBottom: 10 }}>
            <ThresholdControl
              label={`Decision threshold for “${run.labels[positive]}”`}
              value={binaryThreshold}
              onChange={setBinaryThreshold}
              help={`Predict ${run.labels[positive]} when its probability reaches this value (0.50 = the usual argmax).`}
            />
            <label className="fs-muted">
              Positive label{' '}
              <select
                value={positive}
                onChange={(e) => setPositive(Number(e.target.value))}
                aria-label="Positive label"
              >
                {run.labels.map((label, i) => (
                  <option key={label} value={i}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          </div>
        )}
        {run.multiLabel && (
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 12, alignItems: 'center', marginBottom: 10 }}>
            {result.thresholds && (
              <label>
                <input type="checkbox" checked={useTuned} onChange={(e) => setUseTuned(e.target.checked)} />{' '}
                Use the per-label thresholds tuned on validation
              </label>
            )}
            {!useTuned && (
              <ThresholdControl
                label="Decision threshold (all labels)"
                value={globalThreshold}
                onChange={setGlobalThreshold}
                help="A label is predicted when its probability reaches this value."
              />
            )}
          </div>
        )}
        <MetricsTable
          rows={run.multiLabel ? MULTI_ROWS : SINGLE_ROWS}
          columns={[
            ...(validation
              ? [{ name: `Validation (step ${run.best?.step ?? '?'})`, values: validation }]
              : []),
            { name: `Test (${metrics.n} examples)`, values: scalars },
          ]}
        />
        <p className="fs-muted" style={{ fontSize: '0.85rem', marginBottom: 0 }}>
          Validation picked the checkpoint; the test split was scored once, with that checkpoint. Loss does
          not depend on the threshold.
        </p>
      </section>

      {run.distillation && <StudentTeacherCard student={run} />}

      {metrics.kind === 'single_label' ? (
        <>
          {/* Full width: a matrix of many labels needs the room, and scrolls inside its card. */}
          <section className="fs-card" aria-labelledby="fs-eval-confusion">
            <h3 id="fs-eval-confusion">Confusion matrix</h3>
            <ConfusionMatrix
              labels={run.labels}
              matrix={metrics.confusion_matrix}
              selected={cell}
              onSelect={setCell}
            />
          </section>
          <section className="fs-card" aria-labelledby="fs-eval-classes">
            <h3 id="fs-eval-classes">Per label</h3>
            <PerClassTable classes={metrics.per_class} />
          </section>
        </>
      ) : (
        <div className="fs-columns">
          <section className="fs-card" aria-labelledby="fs-eval-classes">
            <h3 id="fs-eval-classes">Per label</h3>
            <PerClassTable classes={metrics.per_class} thresholds={metrics.thresholds} />
          </section>
          <Playground runId={run.id} labels={run.labels} multiLabel thresholds={thresholds} />
        </div>
      )}

      <section className="fs-card">
        {cellExamples && cell ? (
          <>
            <button type="button" className="fs-link" onClick={() => setCell(null)}>
              Back to all mistakes
            </button>
            <ExampleList
              title={`Labelled ${run.labels[cell.truth]}, predicted ${run.labels[cell.predicted]}`}
              verdicts={cellExamples}
              labels={run.labels}
              textOf={textOf}
              emptyText="No test example falls in this cell."
              editOf={editOf}
              onEdit={onEdit}
            />
          </>
        ) : (
          <ExampleList
            title="Misclassified, most confident first"
            verdicts={mistakes}
            labels={run.labels}
            textOf={textOf}
            emptyText="The model got every test example right at this threshold."
            editOf={editOf}
            onEdit={onEdit}
          />
        )}
      </section>

      <LabelIssuesPanel run={run} />

      <DataMapPanel run={run} />

      <SuggestPanel run={run} />

      {!run.multiLabel && (
        <Playground
          runId={run.id}
          labels={run.labels}
          multiLabel={false}
          thresholds={
            binary ? run.labels.map((_, i) => (i === positive ? binaryThreshold : 1 - binaryThreshold)) : []
          }
        />
      )}
    </>
  );
}
