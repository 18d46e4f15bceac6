// Label cells → label names. Labels are strings, always: "1" stays "1" (a numeric-looking label
// is a name, and "01" must not become "1"); only surrounding spaces go, and case too if asked.

export const LABEL_SEPARATORS = ['|', ';', ','] as const;

export interface LabelSeparatorGuess {
  multiLabel: boolean;
  separator: string | null;
  /** Why, in words, for the user to confirm. */
  evidence: string;
}

/**
 * Looks for `|`, `;` or `,` inside label cells. A separator counts when it occurs in at least 1%
 * of the non-empty cells (and in 2 or more) and splitting on it gives fewer distinct names than
 * there are distinct cells, as when a handful of labels combine in many ways (`minCells` is 1 for
 * a column named in the plural, like "labels" or "tags"). Only a suggestion:
 * "Arts, Crafts" may be one label, so the user confirms.
 */
export function detectLabelSeparator(cells: readonly string[], minCells = 2): LabelSeparatorGuess {
  const values = cells.map((c) => c.trim()).filter((c) => c !== '');
  if (values.length === 0) return { multiLabel: false, separator: null, evidence: 'no label values' };
  const distinctCells = new Set(values).size;
  let best: { separator: string; cells: number; parts: number } | null = null;
  for (const separator of LABEL_SEPARATORS) {
    const withSeparator = values.filter((v) => v.includes(separator));
    if (withSeparator.length < Math.max(minCells, 0.01 * values.length)) continue;
    const parts = new Set(values.flatMap((v) => splitLabelCell(v, separator, false)));
    if (minCells > 1 && parts.size >= distinctCells) continue;
    if (!best || withSeparator.length > best.cells) {
      best = { separator, cells: withSeparator.length, parts: parts.size };
    }
  }
  if (!best) {
    return { multiLabel: false, separator: null, evidence: 'no label cell holds several labels' };
  }
  return {
    multiLabel: true,
    separator: best.separator,
    evidence:
      `${best.cells} of ${values.length} label cells contain "${best.separator}"; ` +
      `split on it they hold ${best.parts} distinct labels (${distinctCells} distinct cells)`,
  };
}

export function normalizeLabel(value: string, caseFold: boolean): string {
  const trimmed = value.trim();
  return caseFold ? trimmed.toLowerCase() : trimmed;
}

/** The labels in one multi-label cell: split, trimmed, empty parts and repeats removed. */
export function splitLabelCell(cell: string, separator: string, caseFold: boolean): string[] {
  const out: string[] = [];
  for (const part of cell.split(separator)) {
    const label = normalizeLabel(part, caseFold);
    if (label !== '' && !out.includes(label)) out.push(label);
  }
  return out;
}

/** What counting labels needs from a mapping (the studio's and the dataset's both fit). */
export interface LabelCellMapping {
  labelColumn: number;
  multiLabel: boolean;
  labelSeparator: string | null;
  caseFold: boolean;
}

/**
 * How many rows carry each label under `mapping`, in order of first appearance: the chart the Data
 * step shows before the mapping is confirmed (the dataset's own counts come after its checks).
 */
export function countLabels(
  rows: readonly string[][],
  mapping: LabelCellMapping,
): { label: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const cell = row[mapping.labelColumn] ?? '';
    const labels = mapping.multiLabel
      ? splitLabelCell(cell, mapping.labelSeparator ?? '|', mapping.caseFold)
      : [normalizeLabel(cell, mapping.caseFold)].filter(Boolean);
    for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => ({ label, count }));
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** Sorted label order: numerically when every label is a number ("2" before "10"), else by code unit. */
export function sortLabels(labels: Iterable<string>): string[] {
  const list = [...labels];
  if (list.length > 0 && list.every((l) => NUMBER.test(l))) {
    return list.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
  }
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A label file: a JSON array of names, or one name per line (blank lines and surrounding spaces
 * ignored). Gives the class order the model will use.
 */
export function parseLabelFile(text: string): string[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
      throw new Error('a JSON label file must be an array of label names');
    }
    return dedupe(parsed.map((v) => String(v).trim()).filter((v) => v !== ''));
  }
  return dedupe(
    trimmed
      .split(/\r\n|\r|\n/)
      .map((l) => l.trim())
      .filter((l) => l !== ''),
  );
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

/** Groups labels that differ only in case (when case folding is off), for a warning. */
export function caseVariants(labels: readonly string[]): string[][] {
  const byFolded = new Map<string, string[]>();
  for (const label of labels) {
    const key = label.toLowerCase();
    byFolded.set(key, [...(byFolded.get(key) ?? []), label]);
  }
  return [...byFolded.values()].filter((group) => group.length > 1);
}
