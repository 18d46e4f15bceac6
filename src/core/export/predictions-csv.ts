// predictions.csv: the test split with true and predicted labels and one probability column per
// label. Cells are quoted per RFC 4180, and text that a spreadsheet would run as a formula is
// defused with a leading apostrophe (the OWASP recommendation).

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell as a spreadsheet will see it: numbers untouched, formula-like text prefixed with '. */
export function defuseFormula(cell: string): string {
  if (NUMBER.test(cell)) return cell;
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

export function csvCell(cell: string): string {
  const safe = defuseFormula(cell);
  return /[",\r\n]/.test(safe) || /^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

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
