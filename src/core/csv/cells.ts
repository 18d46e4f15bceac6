// Cells of the CSV files the studio and the CLI write for people to open in a spreadsheet: text
// that a spreadsheet would run as a formula is defused with a leading apostrophe (the OWASP
// recommendation), numbers are left as they are.

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell as a spreadsheet will see it: numbers untouched, formula-like text prefixed with '. */
export function defuseFormula(cell: string): string {
  if (NUMBER.test(cell)) return cell;
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** A defused cell, quoted per RFC 4180 when it needs to be. */
export function csvCell(cell: string): string {
  const safe = defuseFormula(cell);
  return /[",\r\n]/.test(safe) || /^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
