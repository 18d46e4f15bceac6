// Downloads for the analyst: every check's affected rows, and the dropped rows with their original
// fields, as CSV files they can open next to their data.

import Papa from 'papaparse';
import { defuseFormula } from '../csv/index.ts';
import type { KeptTable } from './edits.ts';
import type { Dataset, DatasetCheck, DroppedRow } from './types.ts';

/** One line per affected row of every check: check, severity, row, detail. */
export function checksToCsv(checks: readonly DatasetCheck[]): string {
  const data: string[][] = [];
  for (const check of checks) {
    if (check.rows.length === 0) {
      data.push([check.id, check.severity, '', check.message]);
      continue;
    }
    check.rows.forEach((row, k) => {
      data.push([check.id, check.severity, String(row), check.details?.[k] ?? check.title]);
    });
  }
  return Papa.unparse({ fields: ['check', 'severity', 'row', 'detail'], data }, { newline: '\r\n' }) + '\r\n';
}

/**
 * The dropped rows as the studio's download and `inspect --export-dropped` both write them: row
 * number, reason, detail, then the row's own fields under the file's column names (malformed rows
 * may have more fields than columns: extra ones go in `extra field N`), formulas defused, with a
 * byte-order mark so that spreadsheet programs read the file as UTF-8.
 */
export function droppedRowsToCsv(dropped: readonly DroppedRow[], columns: readonly string[]): string {
  const width = Math.max(columns.length, ...dropped.map((d) => d.fields.length));
  const fields = ['row', 'reason', 'detail', ...columns];
  for (let i = columns.length; i < width; i++) fields.push(`extra field ${i - columns.length + 1}`);
  const data = dropped.map((d) => [
    String(d.row),
    d.reason,
    d.detail,
    ...d.fields.map(defuseFormula),
    ...new Array<string>(width - d.fields.length).fill(''),
  ]);
  return '\ufeff' + Papa.unparse({ fields, data }, { newline: '\r\n' }) + '\r\n';
}

/**
 * The rows one check names, with the reason and the row's own fields (formulas defused); malformed
 * rows may hold more fields than the header names, so extra ones go in `extra field N` and none is
 * lost. UTF-8 mark as in `droppedRowsToCsv`.
 */
export function checkRowsToCsv(check: DatasetCheck, table: KeptTable): string {
  const header = ['row', 'reason', ...table.columns];
  const lines: string[][] = [];
  const byNumber = new Map<number, readonly string[]>();
  const wanted = new Set(check.rows);
  for (let index = 0; index < table.rows.length; index++) {
    const number = table.rowNumbers[index] as number;
    if (wanted.has(number)) byNumber.set(number, table.rows[index]!);
  }
  for (const bad of table.summary.malformed) if (wanted.has(bad.row)) byNumber.set(bad.row, bad.fields);
  check.rows.forEach((number, i) => {
    lines.push([
      String(number),
      check.details?.[i] ?? check.title,
      ...(byNumber.get(number) ?? []).map(defuseFormula),
    ]);
  });
  const widest = lines.reduce((max, line) => Math.max(max, line.length), header.length);
  const named = header.length;
  for (let extra = 1; named + extra <= widest; extra += 1) header.push(`extra field ${extra}`);
  return '\ufeff' + Papa.unparse({ fields: header, data: lines }, { newline: '\r\n' });
}

/** The Data step's row download: `dropped` for the dropped rows, otherwise a check's id. */
export function rowsDownloadCsv(checkId: string, table: KeptTable, dataset: Dataset): string {
  if (checkId === 'dropped') return droppedRowsToCsv(dataset.dropped, table.columns);
  const check = dataset.checks.find((c) => c.id === checkId);
  if (!check) throw new Error(`No check named ${checkId}.`);
  return checkRowsToCsv(check, table);
}

/** `reviews.csv`, `dropped` → `reviews-dropped-rows.csv`. */
export function rowsDownloadName(fileName: string, checkId: string): string {
  const base = fileName.replace(/\.[^.]+$/, '') || 'data';
  return `${base}-${checkId}-rows.csv`;
}
