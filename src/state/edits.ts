// The analyst's corrections to the data: keep, relabel or drop rows (one or many at a time) from
// the label-issue list or the misclassified examples, undo them one by one, download the corrected
// file and the edit log. The list itself is core/dataset/edits; the data worker applies it.
import { addEdits, editLogCsv, undoLastEdit, type EditAction, type RowEdit } from '../core/dataset/index.ts';
import { applyEditList, downloadCorrectedFile, saveBlob } from './data.ts';
import { studio } from './store.ts';

export { downloadCorrectedFile };

/** A row as an edit needs it: its file row, text, label indices (one for single-label), new labels. */
export interface EditableRow {
  row: number;
  text: string;
  labels: readonly number[];
  /** Relabel: the label indices it gets. */
  relabelTo?: readonly number[];
}

/** Label indices as the file's label cell writes them: one name, or names joined by the separator. */
export function labelCell(indices: readonly number[], labels: readonly string[], separator: string): string {
  return indices.map((i) => labels[i] ?? `#${i}`).join(separator);
}

function separatorNow(): string {
  return studio().data.analysis?.mapping.labelSeparator ?? '|';
}

/**
 * One entry of the edit list for these rows; a relabel takes each row's `relabelTo`. `labels`
 * names the indices (the run's labels).
 */
export async function editRows(
  rows: readonly EditableRow[],
  action: EditAction,
  labels: readonly string[],
  note: string,
): Promise<void> {
  const separator = separatorNow();
  const edits: RowEdit[] = rows.map((row) => ({
    row: row.row,
    action,
    given: labelCell(row.labels, labels, separator),
    text: row.text,
    ...(action === 'relabel' && row.relabelTo ? { label: labelCell(row.relabelTo, labels, separator) } : {}),
  }));
  try {
    await applyEditList(addEdits(studio().data.edits, edits, note, Date.now()));
  } catch (error) {
    studio().setData({ analysisError: { message: error instanceof Error ? error.message : String(error) } });
  }
}

/** Takes back the last entry of the edit list (one row or a bulk edit). */
export function undoEdit(): Promise<void> {
  return applyEditList(undoLastEdit(studio().data.edits));
}

/** Every edit, oldest first, as CSV: version, time, note, row, action, given and new label, text. */
export function downloadEditLog(): void {
  const name = studio().data.source?.name.replace(/\.[^.]+$/, '') || 'data';
  const csv = editLogCsv(studio().data.edits);
  saveBlob(new Blob([csv], { type: 'text/csv;charset=utf-8' }), `${name}-edit-log.csv`);
}
