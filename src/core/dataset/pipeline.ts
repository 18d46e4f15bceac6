// The Data step end to end, for callers that want one call: read the file (streamed), guess the
// columns, apply the user's choices by column name, build the dataset with its checks.

import {
  CsvError,
  readCsvTable,
  type CsvDialectOptions,
  type CsvTable,
  type ByteChunks,
} from '../csv/index.ts';
import type { ProgressCallback } from '../util/index.ts';
import { buildDataset } from './build.ts';
import { guessColumns, resolveColumn, type ColumnGuess } from './columns.ts';
import { LABEL_SEPARATORS } from './labels.ts';
import type { ColumnMapping, Dataset } from './types.ts';

/** The user's choices, by column name (or 1-based number); anything left out is guessed. */
export interface MappingChoices {
  textColumns?: string[];
  labelColumn?: string;
  /** A column name, or null for "no split column" even when one is guessed. */
  splitColumn?: string | null;
  idColumn?: string | null;
  multiLabel?: boolean;
  labelSeparator?: string;
  caseFold?: boolean;
  labelOrder?: string[] | null;
  dropDuplicates?: boolean;
}

/** Turns guesses plus choices into a mapping; throws a one-line reason when that is impossible. */
export function resolveMapping(
  columns: readonly string[],
  guess: ColumnGuess,
  choices: MappingChoices = {},
): ColumnMapping {
  const pick = (name: string): number => resolveColumn(columns, name);
  if (columns.length < 2) {
    throw new CsvError(
      'one-column',
      'the file has a single column, so there is no label column (a text column and a label column are needed)',
    );
  }
  const labelColumn = choices.labelColumn !== undefined ? pick(choices.labelColumn) : guess.labelColumn;
  if (labelColumn === null) throw new Error('no label column found: name one');
  let textColumns = choices.textColumns?.map(pick) ?? guess.textColumns.filter((c) => c !== labelColumn);
  if (textColumns.length === 0) {
    const other = columns.findIndex((_, i) => i !== labelColumn);
    textColumns = other >= 0 ? [other] : [];
  }
  const splitColumn =
    choices.splitColumn === null
      ? null
      : choices.splitColumn !== undefined
        ? pick(choices.splitColumn)
        : guess.splitColumn;
  const idColumn =
    choices.idColumn === null
      ? null
      : choices.idColumn !== undefined
        ? pick(choices.idColumn)
        : guess.idColumn;
  const separator = choices.labelSeparator;
  if (separator !== undefined && !(LABEL_SEPARATORS as readonly string[]).includes(separator)) {
    throw new Error(`label separator must be one of ${LABEL_SEPARATORS.join(' ')}, got "${separator}"`);
  }
  const labelGuess =
    choices.labelColumn !== undefined && labelColumn !== guess.labelColumn ? null : guess.labelSeparator;
  const multiLabel =
    choices.multiLabel ?? (separator !== undefined ? true : (labelGuess?.multiLabel ?? false));
  return {
    textColumns,
    labelColumn,
    splitColumn:
      splitColumn === labelColumn || (splitColumn !== null && textColumns.includes(splitColumn))
        ? null
        : splitColumn,
    idColumn,
    multiLabel,
    labelSeparator: multiLabel ? (separator ?? labelGuess?.separator ?? '|') : null,
    caseFold: choices.caseFold ?? false,
    labelOrder: choices.labelOrder ?? null,
    dropDuplicates: choices.dropDuplicates ?? false,
  };
}

export interface ImportOptions extends CsvDialectOptions, MappingChoices {
  totalBytes?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface ImportResult {
  table: CsvTable;
  guess: ColumnGuess;
  mapping: ColumnMapping;
  dataset: Dataset;
}

/**
 * Reads a labelled file and builds the dataset. The label-separator guess is made from a sample
 * of the whole file's label column (a few thousand rows spread over it), not only its start.
 */
export async function importDataset(chunks: ByteChunks, options: ImportOptions = {}): Promise<ImportResult> {
  const table = await readCsvTable(chunks, options);
  const step = Math.max(1, Math.floor(table.rows.length / 5000));
  const sample = step === 1 ? table.rows : table.rows.filter((_, i) => i % step === 0);
  const guess = guessColumns(table.columns, sample);
  const mapping = resolveMapping(table.columns, guess, options);
  const dataset = buildDataset(table, mapping);
  return { table, guess, mapping, dataset };
}
