// predictions.csv: the test split with true and predicted labels and one probability column per
// label. Cells are quoted per RFC 4180, and text that a spreadsheet would run as a formula is
// defused (core/csv/cells.ts).
import { csvCell } from '../csv/index.ts';

export { csvCell, defuseFormula } from '../csv/index.ts';

export interface PredictionRow {
  text: string;
  /** True label(s): one name for single-label data, zero or more for multi-label data. */
  trueLabels: readonly string[];
  /** Probability per label, in label id order. */
  probabilities: ArrayLike<number>;
}

export interface PredictionsOptions {
  labels: readonly string[];
  multiLabel: boolean;
  /** Multi-label decision thresholds in label id order (default 0.5 each). */
  thresholds?: readonly number[];
  /** Joins several labels in one cell, as the studio's multi-label CSV format does (default "|"). */
  separator?: string;
}

/** Predicted label(s) from probabilities: the arg-max, or every label at or above its threshold. */
export function predictedLabels(probabilities: ArrayLike<number>, options: PredictionsOptions): string[] {
  const { labels } = options;
  if (options.multiLabel) {
    return labels.filter((_, i) => (probabilities[i] as number) >= (options.thresholds?.[i] ?? 0.5));
  }
  let best = 0;
  for (let i = 1; i < labels.length; i++)
    if ((probabilities[i] as number) > (probabilities[best] as number)) best = i;
  return [labels[best] as string];
}

export function buildPredictionsCsv(rows: Iterable<PredictionRow>, options: PredictionsOptions): string {
  const separator = options.separator ?? '|';
  const { labels } = options;
  const header = [
    'text',
    options.multiLabel ? 'true_labels' : 'true_label',
    options.multiLabel ? 'predicted_labels' : 'predicted_label',
    ...labels.map((label) => `probability_${label}`),
  ];
  const lines = [header.map(csvCell).join(',')];
  let index = 0;
  for (const row of rows) {
    if (row.probabilities.length !== labels.length) {
      throw new Error(
        `predictions: row ${index + 1} has ${row.probabilities.length} probabilities for ${labels.length} labels`,
      );
    }
    const cells = [
      row.text,
      row.trueLabels.join(separator),
      predictedLabels(row.probabilities, options).join(separator),
      ...Array.from(row.probabilities, (p) => p.toFixed(6)),
    ];
    lines.push(cells.map(csvCell).join(','));
    index++;
  }
  return lines.join('\r\n') + '\r\n';
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function truthFrom(row: Json, labels: readonly string[], separator: string): string[] | undefined {
  const value = row.true_labels ?? row.true_label ?? row.labels ?? row.label ?? row.truth;
  const byIndex = (i: unknown): string | undefined =>
    typeof i === 'number' && Number.isInteger(i) ? labels[i] : undefined;
  if (typeof value === 'string') return value === '' ? [] : value.split(separator);
  if (typeof value === 'number') {
    const label = byIndex(value);
    return label === undefined ? undefined : [label];
  }
  if (Array.isArray(value)) {
    // Either label names, or a 0/1 indicator row in label order.
    if (value.every((v) => typeof v === 'string')) return value as string[];
    if (value.length === labels.length && value.every((v) => v === 0 || v === 1)) {
      return labels.filter((_, i) => value[i] === 1);
    }
  }
  return undefined;
}

function probabilitiesFrom(row: Json, labels: readonly string[]): number[] | undefined {
  const value = row.probabilities ?? row.probs ?? row.scores;
  const list = Array.isArray(value) ? value : isRecord(value) ? labels.map((l) => value[l]) : undefined;
  if (
    !list ||
    list.length !== labels.length ||
    !list.every((p) => typeof p === 'number' && Number.isFinite(p))
  ) {
    return undefined;
  }
  return list as number[];
}

/**
 * Rows of the training CLI's test_predictions.jsonl: one JSON object per line with the text, its
 * true label(s) (names or ids) and the probability of every label (a list in label order, or an
 * object by label name).
 */
export function predictionRowsFromJsonl(
  text: string,
  labels: readonly string[],
  separator = '|',
): PredictionRow[] {
  const rows: PredictionRow[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `test_predictions.jsonl line ${index + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${where} is not valid JSON`);
    }
    if (!isRecord(parsed) || typeof parsed.text !== 'string') throw new Error(`${where} has no "text"`);
    const trueLabels = truthFrom(parsed, labels, separator);
    if (!trueLabels) throw new Error(`${where} has no true label the model knows`);
    const probabilities = probabilitiesFrom(parsed, labels);
    if (!probabilities)
      throw new Error(`${where} has no probability for each of the ${labels.length} labels`);
    rows.push({ text: parsed.text, trueLabels, probabilities });
  });
  return rows;
}
