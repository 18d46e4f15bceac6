import type { ExampleVerdict } from './analysis.ts';

interface ExampleListProps {
  title: string;
  verdicts: readonly ExampleVerdict[];
  labels: readonly string[];
  /** Text of test example i, or undefined while it loads. */
  textOf(index: number): string | undefined;
  emptyText: string;
  limit?: number;
}

const names = (labels: readonly string[], indices: readonly number[]) =>
  indices.length === 0 ? '(none)' : indices.map((i) => labels[i] ?? `#${i}`).join(', ');

/** Examples with their text, true and predicted labels and the model's confidence. */
export function ExampleList({ title, verdicts, labels, textOf, emptyText, limit = 100 }: ExampleListProps) {
  const shown = verdicts.slice(0, limit);
  return (
    <section aria-label={title}>
      <h3>
        {title} <span className="fs-muted">({verdicts.length})</span>
      </h3>
      {shown.length === 0 ? (
        <p className="fs-muted">{emptyText}</p>
      ) : (
        <ol className="fs-examples">
          {shown.map((v) => (
            <li key={v.index} className="fs-example">
              <div>{textOf(v.index) ?? <span className="fs-muted">Loading text…</span>}</div>
              <div className="fs-example-meta">
                true: <strong>{names(labels, v.truth)}</strong> · predicted:{' '}
                <strong>{names(labels, v.predicted)}</strong> · confidence {(v.confidence * 100).toFixed(1)}%
              </div>
            </li>
          ))}
        </ol>
      )}
      {verdicts.length > shown.length && (
        <p className="fs-muted">
          Showing the first {shown.length} of {verdicts.length}; the full list is in predictions.csv on the
          Export step.
        </p>
      )}
    </section>
  );
}
