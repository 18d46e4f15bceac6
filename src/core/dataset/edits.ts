// The analyst's corrections to a labelled file, kept as a versioned list on top of the file, which
// itself never changes: keep (reviewed, label as given), relabel, drop. Each entry is one action
// on one row or many; undo removes the last entry, so the list can be walked back one by one. The
// data a run trains on is the file with the entries applied, named by the last entry's version.

import Papa from 'papaparse';
import { defuseFormula, encodeText, type TextEncodingName, type MalformedRow } from '../csv/index.ts';
import { DatasetBuilder, type ParseFacts } from './build.ts';
import type { ColumnMapping, Dataset } from './types.ts';

export type EditAction = 'keep' | 'relabel' | 'drop';

export interface RowEdit {
  /** 1-based data row of the file, as the Data step numbers rows. */
  row: number;
  action: EditAction;
  /** Relabel: the new label cell (multi-label: the labels joined by the file's separator). */
  label?: string;
  /** The row's label when the edit was made (multi-label: joined as `label` is). */
  given: string;
  /** The row's text, for the lists that show edits without the file at hand. */
  text: string;
}

export interface EditEntry {
  /** Data version this entry makes; versions are never reused, even after an undo. */
  version: number;
  /** Milliseconds since the epoch. */
  at: number;
  /** Where the edit came from, e.g. "label issues of run 3". */
  note: string;
  edits: RowEdit[];
}

export interface EditList {
  entries: EditEntry[];
  nextVersion: number;
}

export const emptyEditList = (): EditList => ({ entries: [], nextVersion: 1 });

/** The version of the data the list makes: 0 for the file as uploaded. */
export function dataVersion(list: EditList): number {
  return list.entries.at(-1)?.version ?? 0;
}

/** The list with one more entry; a relabel needs a non-empty label. */
export function addEdits(list: EditList, edits: readonly RowEdit[], note: string, at: number): EditList {
  if (edits.length === 0) throw new Error('no rows to edit');
  for (const edit of edits) {
    if (!Number.isInteger(edit.row) || edit.row < 1) throw new Error(`row ${edit.row} is not a data row`);
    if (edit.action === 'relabel' && !edit.label?.trim()) {
      throw new Error(`row ${edit.row}: a relabel needs a label`);
    }
  }
  const entry: EditEntry = { version: list.nextVersion, at, note, edits: edits.map((e) => ({ ...e })) };
  return { entries: [...list.entries, entry], nextVersion: list.nextVersion + 1 };
}

/** The list without its last entry (unchanged when empty). */
export function undoLastEdit(list: EditList): EditList {
  if (list.entries.length === 0) return list;
  return { entries: list.entries.slice(0, -1), nextVersion: list.nextVersion };
}

/** Each edited row's latest edit, by row. */
export function effectiveEdits(list: EditList): Map<number, RowEdit> {
  const latest = new Map<number, RowEdit>();
  for (const entry of list.entries) for (const edit of entry.edits) latest.set(edit.row, edit);
  return latest;
}

export interface EditCounts {
  keep: number;
  relabel: number;
  drop: number;
}

export function editCounts(list: EditList): EditCounts {
  const counts: EditCounts = { keep: 0, relabel: 0, drop: 0 };
  for (const edit of effectiveEdits(list).values()) counts[edit.action] += 1;
  return counts;
}

/**
 * The rows with the edits applied: dropped rows left out, relabelled rows with their new label
 * cell. Row numbers stay the file's, so every report still names rows as the upload does.
 */
export function applyEdits(
  rows: readonly string[][],
  rowNumbers: ArrayLike<number>,
  labelColumn: number,
  edits: ReadonlyMap<number, RowEdit>,
): { rows: string[][]; rowNumbers: Int32Array } {
  if (edits.size === 0) return { rows: rows.slice(), rowNumbers: Int32Array.from(rowNumbers) };
  const kept: string[][] = [];
  const numbers: number[] = [];
  rows.forEach((row, i) => {
    const number = rowNumbers[i] as number;
    const edit = edits.get(number);
    if (edit?.action === 'drop') return;
    if (edit?.action === 'relabel') {
      const changed = row.slice();
      changed[labelColumn] = edit.label as string;
      kept.push(changed);
    } else kept.push(row);
    numbers.push(number);
  });
  return { rows: kept, rowNumbers: Int32Array.from(numbers) };
}

/** A file's rows kept in memory (a `CsvTable` fits), so the dataset can be rebuilt under new edits. */
export interface KeptTable {
  columns: readonly string[];
  rows: readonly string[][];
  rowNumbers: ArrayLike<number>;
  summary: ParseFacts & { malformed: readonly MalformedRow[] };
}

/**
 * The dataset the Data step checks and splits: the file with the edits applied. A dropped row is
 * gone whether it was readable or malformed, so it is neither trained on nor listed as dropped.
 */
export function buildEditedDataset(
  table: KeptTable,
  mapping: ColumnMapping,
  edits: ReadonlyMap<number, RowEdit>,
): Dataset {
  const edited = applyEdits(table.rows, table.rowNumbers, mapping.labelColumn, edits);
  const builder = new DatasetBuilder(table.columns, mapping);
  builder.addMalformed(table.summary.malformed.filter((bad) => edits.get(bad.row)?.action !== 'drop'));
  builder.addRows(edited.rows, edited.rowNumbers);
  return builder.finish(table.summary);
}

/** How the upload was written, so the corrected file is written the same way. */
export interface FileDialect {
  delimiter: string;
  newline: '\n' | '\r\n' | '\r';
  encoding: TextEncodingName;
  bom: boolean;
  hasHeader: boolean;
}

export interface CorrectedFileInput {
  columns: readonly string[];
  /** Rows read with the expected number of fields, and their data row numbers. */
  rows: readonly string[][];
  rowNumbers: ArrayLike<number>;
  /** Rows that could not be read, with the fields they had: written back, never lost. */
  malformed: readonly { row: number; fields: string[] }[];
  labelColumn: number;
  dialect: FileDialect;
}

/**
 * The corrected file: every row of the upload in its order (malformed ones with the fields they
 * had), dropped rows left out, relabelled rows with their new label; same columns, delimiter, line
 * ends, encoding and byte-order mark as the upload. Cells a spreadsheet would run as a formula are
 * defused with a leading apostrophe.
 */
export function correctedFile(input: CorrectedFileInput, list: EditList): Uint8Array<ArrayBuffer> {
  const edits = effectiveEdits(list);
  const edited = applyEdits(input.rows, input.rowNumbers, input.labelColumn, edits);
  const ordered: { row: number; fields: readonly string[] }[] = [];
  edited.rows.forEach((fields, i) => ordered.push({ row: edited.rowNumbers[i] as number, fields }));
  for (const bad of input.malformed) {
    if (edits.get(bad.row)?.action !== 'drop') ordered.push(bad);
  }
  ordered.sort((a, b) => a.row - b.row);
  const { dialect } = input;
  const data = ordered.map((r) => r.fields.map(defuseFormula));
  // Rows as arrays, the header among them: with `fields` Papa would cut longer rows to its width.
  const text = Papa.unparse(dialect.hasHeader ? [input.columns.map(defuseFormula), ...data] : data, {
    delimiter: dialect.delimiter,
    newline: dialect.newline,
  });
  return encodeText(text + dialect.newline, dialect.encoding, dialect.bom);
}

/** One line per edit, oldest first: version, time, note, row, action, given and new label, text. */
export function editLogCsv(list: EditList): string {
  const data: string[][] = [];
  for (const entry of list.entries) {
    for (const edit of entry.edits) {
      data.push(
        [
          String(entry.version),
          new Date(entry.at).toISOString(),
          entry.note,
          String(edit.row),
          edit.action,
          edit.given,
          edit.action === 'relabel' ? (edit.label as string) : edit.action === 'keep' ? edit.given : '',
          edit.text,
        ].map(defuseFormula),
      );
    }
  }
  const fields = ['version', 'time', 'note', 'row', 'action', 'given_label', 'new_label', 'text'];
  return '\ufeff' + Papa.unparse({ fields, data }, { newline: '\r\n' }) + '\r\n';
}
