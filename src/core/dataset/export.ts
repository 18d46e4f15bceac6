// Downloads for the analyst: every check's affected rows, and the dropped rows with their original
// fields, as CSV files they can open next to their data.

import Papa from 'papaparse';
import { defuseFormula } from '../csv/cells.ts';
import type { DatasetCheck, DroppedRow } from './types.ts';

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
