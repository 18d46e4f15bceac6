// The encoded splits training reads (the tokenize module's types), and the helpers that turn
// rows of them into batches.
import {
  padBatch as padTokenBatch,
  paddedLength as tokenPaddedLength,
  splitSize,
  type EncodedDataset,
  type EncodedSplit,
} from '../tokenize/index.ts';

export { splitSize, type EncodedDataset, type EncodedSplit };

export type SplitName = 'train' | 'validation' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

export function lengthsOf(split: EncodedSplit): Int32Array {
  const n = splitSize(split);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = (split.offsets[i + 1] as number) - (split.offsets[i] as number);
  return out;
}

/** Sequence length a batch is padded to: its longest example rounded up to a multiple of 8. */
export function paddedLength(longest: number, maxLength: number): number {
  return tokenPaddedLength(longest, { maxLength });
}

export interface PaddedBatch {
  /** [batch, length] ids, padded with the pad id. */
  ids: Int32Array;
  /** [batch, length] 1 for real tokens, 0 for padding. */
  mask: Int32Array;
  length: number;
  /** Real (unpadded) tokens in the batch. */
  tokens: number;
}

export function padBatch(
  split: EncodedSplit,
  rows: ArrayLike<number>,
  padTokenId: number,
  maxLength: number,
): PaddedBatch {
  const batch = padTokenBatch(split, rows, { padTokenId, maxLength });
  let tokens = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    tokens += (split.offsets[r + 1] as number) - (split.offsets[r] as number);
  }
  return { ids: batch.inputIds, mask: batch.attentionMask, length: batch.seqLength, tokens };
}

/** Labels of `rows`: class ids, or a rows × numLabels float 0/1 matrix for multi-label. */
export function gatherLabels(
  split: EncodedSplit,
  rows: ArrayLike<number>,
  multiLabel: boolean,
  numLabels: number,
): Int32Array | Float32Array {
  if (!multiLabel) {
    const out = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = split.labels[rows[i] as number] as number;
    return out;
  }
  const out = new Float32Array(rows.length * numLabels);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    for (let j = 0; j < numLabels; j++) out[i * numLabels + j] = split.labels[r * numLabels + j] as number;
  }
  return out;
}

/** Row indices sorted by length (stable), so evaluation batches carry little padding. */
export function rowsByLength(split: EncodedSplit): Int32Array {
  const lengths = lengthsOf(split);
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  order.sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  return Int32Array.from(order);
}

export const splitOf = (data: EncodedDataset, name: SplitName): EncodedSplit => data[name];
