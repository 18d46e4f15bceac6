import { useState } from 'react';
import { measurePredictionSpeed, type RunRecord } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';

function metric(values: Record<string, number> | undefined, keys: string[]): string {
  for (const key of keys) {
    const value = values?.[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value.toFixed(3);
  }
  return '—';
}

interface Speed {
  examplesPerSecond: number[];
  rows: number;
  split: string;
}

/**
 * A distilled run beside its teacher: test accuracy and macro F1 of both, and their prediction
 * speed on this device, measured on demand over the same rows.
 */
export function StudentTeacherCard({ student }: { student: RunRecord }) {
  const distillation = student.distillation!;
  const teacher = useStudio((s) => s.runs[distillation.teacherRunId]);
  const [speed, setSpeed] = useState<Speed | null>(null);
  const [measuring, setMeasuring] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const accuracyKeys = student.multiLabel ? ['subset_accuracy'] : ['accuracy'];

  const measure = () => {
    if (!teacher) return;
    setMeasuring(true);
    setError(null);
    measurePredictionSpeed([teacher.id, student.id])
      .then(setSpeed)
      .catch((cause: unknown) => setError(cause instanceof Error ? cause.message : String(cause)))
      .finally(() => setMeasuring(false));
  };
  const speedCell = (index: number) => {
    const value = speed?.examplesPerSecond[index];
    return value === undefined ? '—' : value.toFixed(1);
  };
  const ratio =
    speed && speed.examplesPerSecond[0]! > 0
      ? speed.examplesPerSecond[1]! / speed.examplesPerSecond[0]!
      : null;

  return (
    <section className="fs-card" aria-labelledby="fs-eval-distilled">
      <h3 id="fs-eval-distilled">Student and teacher</h3>
      <p className="fs-muted">
        {distillation.studentModel ? (
          <>
            {student.name} is {distillation.studentModel.id} ({distillation.layers} layers, its own tokenizer)
            distilled from {distillation.teacherName} (α {distillation.alpha}, T {distillation.temperature}).
          </>
        ) : (
          <>
            {student.name} was distilled from {distillation.teacherName} into {distillation.layers} of its{' '}
            {distillation.teacherLayers} layers (α {distillation.alpha}, T {distillation.temperature}).
          </>
        )}
      </p>
      <table className="fs-table" aria-label="Student and teacher">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="fs-num">
              Layers
            </th>
            <th scope="col" className="fs-num">
              Test {student.multiLabel ? 'subset accuracy' : 'accuracy'}
            </th>
            <th scope="col" className="fs-num">
              Test macro F1
            </th>
            <th scope="col" className="fs-num">
              Examples/s on this device
            </th>
          </tr>
        </thead>
        <tbody>
          <tr data-model="teacher">
            <td>Teacher: {distillation.teacherName}</td>
            <td className="fs-num">{distillation.teacherLayers}</td>
            <td className="fs-num">{metric(teacher?.test, accuracyKeys)}</td>
            <td className="fs-num">{metric(teacher?.test, ['macro_f1'])}</td>
            <td className="fs-num">{speedCell(0)}</td>
          </tr>
          <tr data-model="student">
            <td>
              Student: {student.name}
              {distillation.studentModel ? ` (${distillation.studentModel.id})` : ''}
            </td>
            <td className="fs-num">{distillation.layers}</td>
            <td className="fs-num">{metric(student.test, accuracyKeys)}</td>
            <td className="fs-num">{metric(student.test, ['macro_f1'])}</td>
            <td className="fs-num">{speedCell(1)}</td>
          </tr>
        </tbody>
      </table>
      {teacher ? (
        <div style={{ display: 'flex', gap: 12, alignItems: 'center', marginTop: 8 }}>
          <button type="button" className="fs-button" onClick={measure} disabled={measuring}>
            {measuring ? 'Measuring…' : 'Measure prediction speed'}
          </button>
          {speed && (
            <span className="fs-muted">
              Both timed on the same {speed.rows} {speed.split} examples
              {distillation.studentModel ? ', each on its own tokenization' : ''}
              {ratio !== null ? `: the student is ${ratio.toFixed(2)}× the teacher’s speed` : ''}.
            </span>
          )}
        </div>
      ) : (
        <p className="fs-muted">The teacher run was deleted: its metrics and speed are no longer here.</p>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
