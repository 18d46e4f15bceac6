import { useMemo, useState, type KeyboardEvent } from 'react';
import { effectiveEdits } from '../../core/dataset/index.ts';
import {
  labellingKey,
  labelSuggestedRow,
  nextUnlabelled,
  type RowSuggestions,
} from '../../state/quality/index.ts';
import type { RunRecord } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';

const names = (labels: readonly string[], ids: readonly number[]) =>
  ids.length === 0 ? '(none)' : ids.map((i) => labels[i] ?? `#${i}`).join(', ');

/**
 * One suggested row at a time, labelled from the keyboard: a digit gives the label at that place,
 * Enter takes the run's guess, the arrow keys and S move. Each label is an entry of the edit list,
 * so Undo in the Data step takes it back. Only single-label data has unlabelled rows (in
 * multi-label data an empty cell means that no label applies).
 */
export function LabellingBatch({ run, suggestions }: { run: RunRecord; suggestions: RowSuggestions }) {
  const edits = useStudio((s) => s.data.edits);
  const labelled = useMemo(() => {
    const given = new Map<number, string>();
    for (const [row, edit] of effectiveEdits(edits))
      if (edit.action === 'relabel') given.set(row, edit.label!);
    return given;
  }, [edits]);
  const { rows, labels } = suggestions;
  const [current, setCurrent] = useState(0);
  const row = rows[current];
  const done = rows.filter((r) => labelled.has(r.row)).length;

  const move = (to: number) => setCurrent(((to % rows.length) + rows.length) % rows.length);
  const give = (ids: readonly number[]) => {
    if (!row || ids.length === 0) return;
    const next = nextUnlabelled(rows, new Set([...labelled.keys(), row.row]), current + 1);
    void labelSuggestedRow(run.id, row.row, ids);
    move(next === -1 ? current : next);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const action = labellingKey(event.key, labels.length);
    if (!action || !row) return;
    event.preventDefault();
    if (action.kind === 'next') move(current + 1);
    else if (action.kind === 'previous') move(current - 1);
    else if (action.kind === 'accept') give(row.predicted);
    else give([action.label]);
  };

  if (rows.length === 0) return <p className="fs-muted">The run suggested no rows.</p>;
  return (
    <>
      <div
        className="fs-card fs-labelling"
        role="group"
        aria-label="Label the suggested rows"
        aria-keyshortcuts="1 2 3 4 5 6 7 8 9 Enter S ArrowLeft ArrowRight"
        tabIndex={0}
        onKeyDown={onKeyDown}
      >
        <p className="fs-muted">
          Row {row!.row} · {current + 1} of {rows.length} · {done} labelled · uncertainty{' '}
          {row!.score.toFixed(3)}
          {labelled.has(row!.row) ? ` · labelled ${labelled.get(row!.row)}` : ''}
        </p>
        <p className="fs-labelling-text" aria-label="Text to label">
          {row!.text}
        </p>
        <p>
          {run.name} guesses <strong>{names(labels, row!.predicted)}</strong> (Enter takes it)
        </p>
        <div className="fs-form-actions">
          {labels.map((label, i) => (
            <button key={label} type="button" className="fs-button fs-button-small" onClick={() => give([i])}>
              {i < 9 ? `${i + 1} · ` : ''}
              {label}
            </button>
          ))}
          <button type="button" className="fs-button fs-button-small" onClick={() => move(current - 1)}>
            ← Previous
          </button>
          <button type="button" className="fs-button fs-button-small" onClick={() => move(current + 1)}>
            Skip →
          </button>
        </div>
        <p className="fs-muted fs-small">
          Keys: 1–{Math.min(9, labels.length)} label, Enter takes the guess, S or → skips, ← goes back.
        </p>
      </div>
      <div className="fs-table-scroll">
        <table className="fs-table" aria-label="Suggested rows">
          <thead>
            <tr>
              <th scope="col" className="fs-num">
                Row
              </th>
              <th scope="col">Text</th>
              <th scope="col">Guess</th>
              <th scope="col" className="fs-num">
                Uncertainty
              </th>
              <th scope="col">Label</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, k) => (
              <tr key={r.row} aria-current={k === current ? 'true' : undefined} onClick={() => move(k)}>
                <td className="fs-num">{r.row}</td>
                <td>{r.text}</td>
                <td>{names(labels, r.predicted)}</td>
                <td className="fs-num">{r.score.toFixed(3)}</td>
                <td>{labelled.get(r.row) ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
