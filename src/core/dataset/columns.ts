// Column statistics and the first guess of what each column is for: text = the longest on average,
// label = few distinct values, plus split and id columns when they look like them. The user can
// override any of it; the reasons are kept so the Data step can show why it guessed so.

import { detectLabelSeparator, splitLabelCell, type LabelSeparatorGuess } from './labels.ts';
import type { SplitIndex } from './types.ts';

export interface ColumnStats {
  index: number;
  name: string;
  nonEmpty: number;
  empty: number;
  distinct: number;
  averageLength: number;
  maxLength: number;
  /** Share of non-empty values that are numbers. */
  numericShare: number;
  /** Share of non-empty values that are distinct. */
  uniqueShare: number;
  /** (Nearly) every non-empty value names a split (train, validation, dev, test, ...). */
  splitLike: boolean;
  /** First few distinct values, for the preview. */
  examples: string[];
}

export type ColumnRole = 'text' | 'label' | 'split' | 'id' | 'ignored';

export interface ColumnGuess {
  textColumns: number[];
  labelColumn: number | null;
  splitColumn: number | null;
  idColumn: number | null;
  labelSeparator: LabelSeparatorGuess;
  roles: ColumnRole[];
  stats: ColumnStats[];
  reasons: string[];
}

const SPLIT_VALUES: Record<string, SplitIndex> = {
  train: 0,
  training: 0,
  trn: 0,
  validation: 1,
  valid: 1,
  val: 1,
  dev: 1,
  development: 1,
  eval: 1,
  test: 2,
  testing: 2,
  tst: 2,
  holdout: 2,
};

/** train/validation/test (and the usual synonyms) → 0/1/2; anything else → −1. */
export function splitValueIndex(value: string): SplitIndex | -1 {
  return SPLIT_VALUES[value.trim().toLowerCase()] ?? -1;
}

const NUMBER = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
const LABEL_NAMES =
  /^(labels?|class(es)?|category|categories|intents?|targets?|sentiment|emotions?|tags?|topics?|y|gold|annotation|classification)$/i;
const TEXT_NAMES =
  /^(text|texts|sentence|review|body|content|message|comment|utterance|document|tweet|query)$/i;
const PLURAL_LABEL_NAMES = /^(labels|tags|categories|topics|intents|emotions|classes|targets)$/i;
const SPLIT_COLUMN_NAMES = /^(split|splits|fold|set|subset|partition|dataset)$/i;
const ID_NAMES = /^(id|ids|uid|uuid|guid|idx|index|row|row_?id|#|unnamed: ?0|.*[_ ]id)$/i;

export function columnStats(columns: readonly string[], rows: readonly string[][]): ColumnStats[] {
  return columns.map((name, index) => {
    let nonEmpty = 0;
    let totalLength = 0;
    let maxLength = 0;
    let numeric = 0;
    let splitValues = 0;
    const distinct = new Set<string>();
    for (const row of rows) {
      const value = row[index] ?? '';
      const trimmed = value.trim();
      if (trimmed === '') continue;
      nonEmpty++;
      totalLength += value.length;
      if (value.length > maxLength) maxLength = value.length;
      if (NUMBER.test(trimmed)) numeric++;
      if (splitValueIndex(trimmed) !== -1) splitValues++;
      distinct.add(trimmed);
    }
    return {
      index,
      name,
      nonEmpty,
      empty: rows.length - nonEmpty,
      distinct: distinct.size,
      averageLength: nonEmpty ? totalLength / nonEmpty : 0,
      maxLength,
      numericShare: nonEmpty ? numeric / nonEmpty : 0,
      uniqueShare: nonEmpty ? distinct.size / nonEmpty : 0,
      splitLike:
        nonEmpty > 0 &&
        (splitValues >= 0.9 * nonEmpty ||
          (SPLIT_COLUMN_NAMES.test(name.trim()) && splitValues >= 0.5 * nonEmpty)),
      examples: [...distinct].slice(0, 5),
    };
  });
}

function looksLikeId(stats: ColumnStats, rows: readonly string[][]): boolean {
  if (stats.nonEmpty < 2 || stats.uniqueShare < 0.98) return false;
  if (ID_NAMES.test(stats.name.trim())) return true;
  if (stats.numericShare < 1)
    return /^[0-9a-f-]{16,}$/i.test(stats.examples[0] ?? '') && stats.averageLength < 40;
  // Integers that only go up: a row number.
  let previous = -Infinity;
  for (const row of rows) {
    const value = Number((row[stats.index] ?? '').trim());
    if (!Number.isInteger(value) || value <= previous) return false;
    previous = value;
  }
  return true;
}

/** Distinct values are counted up to this cap: past it only "many" matters. */
export const DISTINCT_CAP = 10_000;

/** Distinct non-empty values of each column over every row, counted up to `DISTINCT_CAP` (+1). */
export function distinctCounts(columnCount: number, rows: readonly string[][]): number[] {
  return Array.from({ length: columnCount }, (_, column) => {
    const seen = new Set<string>();
    for (const row of rows) {
      const value = row[column]?.trim();
      if (value) seen.add(value);
      if (seen.size > DISTINCT_CAP) break;
    }
    return seen.size;
  });
}

/**
 * Guesses the roles from a sample of rows (the first thousand are plenty). `labelColumn` is null
 * only when there is a single column.
 */
export function guessColumns(columns: readonly string[], rows: readonly string[][]): ColumnGuess {
  const stats = columnStats(columns, rows);
  const reasons: string[] = [];
  const roles: ColumnRole[] = columns.map(() => 'ignored');
  const free = new Set(stats.map((s) => s.index));

  let splitColumn: number | null = null;
  const split = stats.find((s) => s.splitLike && s.distinct >= 2 && columns.length > 2);
  if (split) {
    splitColumn = split.index;
    free.delete(split.index);
    roles[split.index] = 'split';
    reasons.push(`"${split.name}" holds split names (${split.examples.join(', ')})`);
  }

  let idColumn: number | null = null;
  if (free.size > 2) {
    const id = stats.find((s) => free.has(s.index) && looksLikeId(s, rows));
    if (id) {
      idColumn = id.index;
      free.delete(id.index);
      roles[id.index] = 'id';
      reasons.push(`"${id.name}" looks like an id (every value unique), so it is ignored`);
    }
  }

  const candidates = stats.filter((s) => free.has(s.index));
  const textCandidates = [...candidates].sort(
    (a, b) =>
      Number(TEXT_NAMES.test(b.name.trim())) - Number(TEXT_NAMES.test(a.name.trim())) ||
      b.averageLength - a.averageLength,
  );
  const text = textCandidates[0];
  const textColumns: number[] = [];
  if (text) {
    textColumns.push(text.index);
    free.delete(text.index);
    roles[text.index] = 'text';
    reasons.push(
      TEXT_NAMES.test(text.name.trim())
        ? `"${text.name}" is named like a text column`
        : `"${text.name}" has the longest values (${text.averageLength.toFixed(0)} characters on average)`,
    );
  }

  let labelColumn: number | null = null;
  const labelCandidates = stats.filter((s) => free.has(s.index) && s.nonEmpty > 0);
  const cardinality = (s: ColumnStats): number => {
    const separator = detectLabelSeparator(rows.map((r) => r[s.index] ?? ''));
    if (!separator.separator) return s.distinct;
    return new Set(
      rows.flatMap((r) => splitLabelCell(r[s.index] ?? '', separator.separator as string, false)),
    ).size;
  };
  const ranked = labelCandidates
    .map((s) => ({ s, named: LABEL_NAMES.test(s.name.trim()), distinct: cardinality(s) }))
    .sort(
      (a, b) =>
        Number(b.named) - Number(a.named) ||
        a.distinct / Math.max(1, a.s.nonEmpty) - b.distinct / Math.max(1, b.s.nonEmpty) ||
        a.s.averageLength - b.s.averageLength,
    );
  const label = ranked[0];
  if (label) {
    labelColumn = label.s.index;
    free.delete(label.s.index);
    roles[label.s.index] = 'label';
    reasons.push(
      label.named
        ? `"${label.s.name}" is named like a label column`
        : `"${label.s.name}" has few distinct values (${label.distinct} in ${label.s.nonEmpty} rows)`,
    );
  } else if (columns.length === 1) {
    reasons.push('the file has a single column, so there is no label column');
  }

  const plural = labelColumn !== null && PLURAL_LABEL_NAMES.test((columns[labelColumn] ?? '').trim());
  const labelSeparator =
    labelColumn === null
      ? { multiLabel: false, separator: null, evidence: 'no label column' }
      : detectLabelSeparator(
          rows.map((r) => r[labelColumn as number] ?? ''),
          plural ? 1 : 2,
        );
  return { textColumns, labelColumn, splitColumn, idColumn, labelSeparator, roles, stats, reasons };
}

/**
 * Finds a column the user named: the exact header name, then ignoring case, then a 1-based
 * number, then `column N`. Throws with the available names when nothing matches.
 */
export function resolveColumn(columns: readonly string[], name: string): number {
  const exact = columns.indexOf(name);
  if (exact !== -1) return exact;
  const lower = name.trim().toLowerCase();
  const folded = columns.findIndex((c) => c.toLowerCase() === lower);
  if (folded !== -1) return folded;
  const numbered = /^(?:column\s*)?(\d+)$/i.exec(name.trim());
  if (numbered) {
    const index = Number(numbered[1]) - 1;
    if (index >= 0 && index < columns.length) return index;
  }
  throw new Error(`no column "${name}" (columns: ${columns.map((c) => JSON.stringify(c)).join(', ')})`);
}
