// The one inference path of a finished classifier, as transformers' text-classification pipeline
// runs it: rows sorted by length and padded per batch to their longest, the forward pass, then
// probabilities by problem type (single-label softmax, multi-label each label's sigmoid) and the
// argmax. The forward pass is a ForwardEngine (core/infer): tfjs or ONNX Runtime, whichever the
// caller opened, so the CLI, the studio's playground and predictions and the int8 check share it.
import type { ForwardEngine } from '../infer/index.ts';
import { padBatch } from '../tokenize/index.ts';
import type { ModelConfig, ProblemType } from './config.ts';

/** Token ids of n rows, concatenated: row i is ids[offsets[i] .. offsets[i + 1]). */
export interface TokenRows {
  ids: Int32Array;
  offsets: Int32Array;
  /** 0/1 per id, aligned with `ids`; all ones when omitted. */
  mask?: Int32Array;
}

export interface ClassifyOptions {
  /** A logits engine over the model (core/infer). */
  engine: ForwardEngine;
  padTokenId: number;
  /** Longest padded length (default: the model's positions). */
  maxLength?: number;
  /** Rows per forward pass (default 64). */
  batchSize?: number;
  onProgress?(done: number, total: number): void;
}

export interface Classification {
  /** [n, numLabels], in the rows' order. */
  logits: Float32Array;
  /** [n, numLabels]: softmax (single-label) or each label's sigmoid (multi-label). */
  probabilities: Float32Array;
  /** [n]: each row's most probable label. */
  argmax: Int32Array;
}

/** log Σ exp(values[start .. start + width)), shifted by the maximum so no term overflows. */
export function logSumExp(values: ArrayLike<number>, start: number, width: number): number {
  let max = -Infinity;
  for (let j = 0; j < width; j++) max = Math.max(max, values[start + j] as number);
  let sum = 0;
  for (let j = 0; j < width; j++) sum += Math.exp((values[start + j] as number) - max);
  return max + Math.log(sum);
}

/**
 * Probabilities of row-major [n, numLabels] logits, as the problem type defines them, into `out`
 * (float32 unless a caller needs doubles).
 */
export function probabilitiesOf<Out extends Float32Array | Float64Array = Float32Array>(
  logits: ArrayLike<number>,
  numLabels: number,
  problemType: ProblemType,
  out: Out = new Float32Array(logits.length) as Out,
): Out {
  if (problemType === 'multi_label_classification') {
    for (let i = 0; i < logits.length; i++) out[i] = 1 / (1 + Math.exp(-(logits[i] as number)));
    return out;
  }
  const n = logits.length / numLabels;
  for (let row = 0; row < n; row++) {
    const start = row * numLabels;
    const logSum = logSumExp(logits, start, numLabels);
    for (let j = 0; j < numLabels; j++) out[start + j] = Math.exp((logits[start + j] as number) - logSum);
  }
  return out;
}

/** Index of each row's largest value in row-major [n, width] (the first on ties). */
export function argmaxRows(values: ArrayLike<number>, width: number): Int32Array {
  const n = values.length / width;
  const out = new Int32Array(n);
  for (let row = 0; row < n; row++) {
    let best = 0;
    for (let j = 1; j < width; j++) {
      if ((values[row * width + j] as number) > (values[row * width + best] as number)) best = j;
    }
    out[row] = best;
  }
  return out;
}

/** Row indices sorted by length (stable), so batches carry little padding. */
function byLength(offsets: Int32Array): Int32Array {
  const n = offsets.length - 1;
  const length = (i: number) => (offsets[i + 1] as number) - (offsets[i] as number);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => length(a) - length(b) || a - b);
  return Int32Array.from(order);
}

/** Logits, probabilities and argmax of every row, in the rows' order. */
export async function classify(
  config: Pick<ModelConfig, 'numLabels' | 'problemType' | 'maxPositionEmbeddings'>,
  rows: TokenRows,
  options: ClassifyOptions,
): Promise<Classification> {
  if (options.engine.output.kind !== 'logits') {
    throw new Error(`classify needs a logits engine, got one computing ${options.engine.output.kind}`);
  }
  const k = config.numLabels;
  const n = rows.offsets.length - 1;
  const batchSize = options.batchSize ?? 64;
  const maxLength = options.maxLength ?? config.maxPositionEmbeddings;
  const logits = new Float32Array(n * k);
  const order = byLength(rows.offsets);
  for (let start = 0; start < n; start += batchSize) {
    const batchRows = order.subarray(start, Math.min(n, start + batchSize));
    const padded = padBatch(rows, batchRows, { padTokenId: options.padTokenId, maxLength });
    if (rows.mask) {
      batchRows.forEach((r, b) => {
        const from = rows.offsets[r] as number;
        const to = rows.offsets[r + 1] as number;
        padded.attentionMask.set(rows.mask!.subarray(from, to), b * padded.seqLength);
      });
    }
    const values = await options.engine.run({
      ids: padded.inputIds,
      mask: padded.attentionMask,
      batchSize: batchRows.length,
      seqLength: padded.seqLength,
    });
    // values: [batch, k] in batch order → rows' places in [n, k]
    batchRows.forEach((r, b) => logits.set(values.subarray(b * k, (b + 1) * k), r * k));
    options.onProgress?.(start + batchRows.length, n);
  }
  return {
    logits,
    probabilities: probabilitiesOf(logits, k, config.problemType),
    argmax: argmaxRows(logits, k),
  };
}
