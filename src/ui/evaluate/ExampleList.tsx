import type { EditAction, RowEdit } from '../../core/dataset/index.ts';
import type { ExampleVerdict } from './analysis.ts';

const EDITED_TEXT = { keep: 'kept as labelled', relabel: 'relabelled', drop: 'dropped' } as const;

interface ExampleListProps {
  title: string;
  verdicts: readonly ExampleVerdict[];
  labels: readonly string[];
  /** Text of test example i, or undefined while it loads. */
  textOf(index: number): string | undefined;
  emptyText: string;
  limit?: number;
  /** The data edit of example i's row, if any. */
  editOf?: (index: number) => RowEdit | undefined;
  /** Keep, relabel (as predicted) or drop these examples' rows in the data. */
  onEdit?: (verdicts: readonly ExampleVerdict[], action: EditAction) => void;
}

const names = (labels: readonly string[], indices: readonly number[]) =>
  indices.length === 0 ? '(none)' : indices.map((i) => labels[i] ?? `#${i}`).join(', ');

/** Examples with their text, true and predicted labels and the model's confidence. */
export function ExampleList({
  title,
  verdicts,
  labels,
  textOf,
  emptyText,
  limit = 100,
  editOf,
  onEdit,
}: ExampleListProps) {
  const shown = verdicts.slice(0, limit);
  return (
    <section aria-label={title}>
      <h3>
        {title} <span className="fs-muted">({verdicts.length})</span>
      </h3>
      {onEdit && shown.length > 0 ? (
        <div className="fs-form-actions">
          <button
            type="button"
            className="fs-button fs-button-small"
            onClick={() => onEdit(shown, 'relabel')}
          >
            Relabel all {shown.length} as predicted
          </button>
          <button type="button" className="fs-button fs-button-small" onClick={() => onEdit(shown, 'drop')}>
            Drop all {shown.length}
          </button>
        </div>
      ) : null}
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
                {editOf?.(v.index) ? (
                  <span className="fs-tag fs-tag-info"> {EDITED_TEXT[editOf(v.index)!.action]}</span>
                ) : null}
              </div>
              {onEdit ? (
                <div className="fs-form-actions">
                  <button
                    type="button"
                    className="fs-button fs-button-small"
                    onClick={() => onEdit([v], 'keep')}
                  >
                    Keep
                  </button>
                  <button
                    type="button"
                    className="fs-button fs-button-small"
                    onClick={() => onEdit([v], 'relabel')}
                  >
                    Relabel as {names(labels, v.predicted)}
                  </button>
                  <button
                    type="button"
                    className="fs-button fs-button-small"
                    onClick={() => onEdit([v], 'drop')}
                  >
                    Drop
                  </button>
                </div>
              ) : null}
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
