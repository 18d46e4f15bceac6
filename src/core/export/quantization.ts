// Whether onnx/model_quantized.onnx may ship: the int8 model must decide like the float model on
// the validation split. The margin is fixed here and printed in the model card.

/** At least this share of validation rows gets the same decision from both models. */
export const MIN_AGREEMENT = 0.99;
/** The validation metric may fall by at most this much (one point). */
export const MAX_METRIC_DROP = 0.01;

/** The check's outcome, as the run records it and the model card shows it. */
export interface QuantizationCheck {
  split: 'validation';
  rows: number;
  /** accuracy (single-label) or micro_f1 (multi-label). */
  metric: 'accuracy' | 'micro_f1';
  float: number;
  quantized: number;
  /** Share of rows with the same top label (single-label) or the same label set (multi-label). */
  agreement: number;
  accepted: boolean;
}

export interface QuantizationCheckInput {
  numLabels: number;
  multiLabel: boolean;
  /** Single-label: label id per row; multi-label: 0/1 per row and label. */
  truth: ArrayLike<number>;
  /** Probabilities (or logits: only their order and thresholds matter) per row and label. */
  floatScores: ArrayLike<number>;
  quantizedScores: ArrayLike<number>;
  /** Multi-label decision thresholds on probabilities, per label (default 0.5). */
  thresholds?: readonly number[];
}

function argmax(scores: ArrayLike<number>, offset: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++)
    if ((scores[offset + j] as number) > (scores[offset + best] as number)) best = j;
  return best;
}

function microF1(decisions: Uint8Array, truth: ArrayLike<number>): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i] === 1;
    const t = truth[i] === 1;
    if (d && t) tp++;
    else if (d) fp++;
    else if (t) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

export function checkQuantization(input: QuantizationCheckInput): QuantizationCheck {
  const k = input.numLabels;
  const rows = input.floatScores.length / k;
  if (!Number.isInteger(rows) || input.quantizedScores.length !== input.floatScores.length) {
    throw new Error('quantization check: the two models scored different numbers of rows');
  }
  if (rows === 0) throw new Error('quantization check: the validation split is empty');
  let agree = 0;
  if (!input.multiLabel) {
    let rightFloat = 0;
    let rightQuantized = 0;
    for (let i = 0; i < rows; i++) {
      const f = argmax(input.floatScores, i * k, k);
      const q = argmax(input.quantizedScores, i * k, k);
      if (f === q) agree++;
      if (f === input.truth[i]) rightFloat++;
      if (q === input.truth[i]) rightQuantized++;
    }
    return verdict(rows, 'accuracy', rightFloat / rows, rightQuantized / rows, agree / rows);
  }
  const decide = (scores: ArrayLike<number>): Uint8Array =>
    Uint8Array.from({ length: rows * k }, (_, at) =>
      (scores[at] as number) >= (input.thresholds?.[at % k] ?? 0.5) ? 1 : 0,
    );
  const fromFloat = decide(input.floatScores);
  const fromQuantized = decide(input.quantizedScores);
  for (let i = 0; i < rows; i++) {
    let same = true;
    for (let j = 0; j < k && same; j++) same = fromFloat[i * k + j] === fromQuantized[i * k + j];
    if (same) agree++;
  }
  return verdict(
    rows,
    'micro_f1',
    microF1(fromFloat, input.truth),
    microF1(fromQuantized, input.truth),
    agree / rows,
  );
}

function verdict(
  rows: number,
  metric: QuantizationCheck['metric'],
  float: number,
  quantized: number,
  agreement: number,
): QuantizationCheck {
  // A hair of slack so a drop of exactly one point is not refused by float rounding.
  const accepted = agreement >= MIN_AGREEMENT && float - quantized <= MAX_METRIC_DROP + 1e-9;
  return { split: 'validation', rows, metric, float, quantized, agreement, accepted };
}

/** Reads a recorded check back (from a run folder); undefined when it is absent or malformed. */
export function quantizationCheckFrom(value: unknown): QuantizationCheck | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const num = (x: unknown): number | undefined =>
    typeof x === 'number' && Number.isFinite(x) ? x : undefined;
  const rows = num(v.rows);
  const float = num(v.float);
  const quantized = num(v.quantized);
  const agreement = num(v.agreement);
  if (
    rows === undefined ||
    float === undefined ||
    quantized === undefined ||
    agreement === undefined ||
    (v.metric !== 'accuracy' && v.metric !== 'micro_f1')
  ) {
    return undefined;
  }
  // The decision is taken again under this version's margin, never trusted from the file.
  return verdict(rows, v.metric, float, quantized, agreement);
}

const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;

const MARGIN_TEXT = `at least ${percent(MIN_AGREEMENT)} of validation rows decided as by the float model, and a validation metric at most ${(100 * MAX_METRIC_DROP).toFixed(0)} point below it`;

/** The model card's paragraph on onnx/model_quantized.onnx: why it is there, or why not. */
export function quantizationNote(check: QuantizationCheck | undefined): string {
  const heading = '### Quantized ONNX model (int8)';
  const scheme =
    'every Linear weight stored as int8 (symmetric, one scale per output channel, a DequantizeLinear before each MatMul; embeddings and layer norms stay float32)';
  if (!check) {
    return `${heading}\n\nThere is no \`onnx/model_quantized.onnx\`: an int8 model (${scheme}) ships only when it keeps its margin (${MARGIN_TEXT}) on the run's validation split, and this run's export had no validation split to check it on.`;
  }
  const decision = check.metric === 'accuracy' ? 'top label' : 'label set';
  const metricName = check.metric === 'accuracy' ? 'accuracy' : 'micro F1';
  const figures = `On the validation split (${check.rows} rows) it gave the float model's ${decision} for ${percent(check.agreement)} of rows; ${metricName} ${check.float.toFixed(4)} (float) and ${check.quantized.toFixed(4)} (int8).`;
  if (check.accepted) {
    return `${heading}\n\n\`onnx/model_quantized.onnx\` is this model with ${scheme}; its Linear weights take a quarter of their float32 bytes. ${figures} That is within the margin it must keep to ship: ${MARGIN_TEXT}. transformers.js loads it with \`{ dtype: 'q8' }\`. The check ran the int8 weights with float32 activations; ONNX Runtime's default graph optimizations also quantize each MatMul's activations at run time, which moves scores a little further from the float model's.`;
  }
  return `${heading}\n\nThere is no \`onnx/model_quantized.onnx\`: the int8 model (${scheme}) did not keep its margin (${MARGIN_TEXT}). ${figures}`;
}
