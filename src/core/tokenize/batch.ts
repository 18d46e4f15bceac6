// Padding at batch time: a batch is padded to its longest example rounded up to a multiple of 8
// (see types.ts), not to max_length.

import type { EncodedSplit } from './types.ts';

export interface PaddedBatch {
  /** [batchSize × seqLength], row-major. */
  inputIds: Int32Array;
  /** 1 for real tokens, 0 for padding, [batchSize × seqLength]. */
  attentionMask: Int32Array;
  batchSize: number;
  seqLength: number;
}

export interface PadOptions {
  padTokenId: number;
  /** Round the batch length up to a multiple of this (default 8). */
  multipleOf?: number;
  /** Never pad beyond this (the max_length the ids were truncated to). */
  maxLength?: number;
  /** Pad to exactly this length instead (like padding="max_length"). */
  length?: number;
}

/** Sequence length a batch of examples with these lengths is padded to. */
export function paddedLength(longest: number, options: Omit<PadOptions, 'padTokenId'>): number {
  if (options.length !== undefined) return options.length;
  const multiple = options.multipleOf ?? 8;
  const rounded = Math.ceil(Math.max(1, longest) / multiple) * multiple;
  return options.maxLength !== undefined ? Math.min(rounded, Math.max(options.maxLength, longest)) : rounded;
}

/** Builds padded input ids and attention mask for the examples `indices` of a split. */
export function padBatch(
  split: Pick<EncodedSplit, 'ids' | 'offsets'>,
  indices: ArrayLike<number>,
  options: PadOptions,
): PaddedBatch {
  let longest = 0;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    longest = Math.max(longest, (split.offsets[i + 1] as number) - (split.offsets[i] as number));
  }
  const seqLength = paddedLength(longest, options);
  if (longest > seqLength)
    throw new RangeError(`an example has ${longest} tokens, more than the length ${seqLength}`);
  const batchSize = indices.length;
  const inputIds = new Int32Array(batchSize * seqLength).fill(options.padTokenId);
  const attentionMask = new Int32Array(batchSize * seqLength);
  for (let k = 0; k < batchSize; k++) {
    const i = indices[k] as number;
    const row = split.ids.subarray(split.offsets[i], split.offsets[i + 1]);
    inputIds.set(row, k * seqLength);
    attentionMask.fill(1, k * seqLength, k * seqLength + row.length);
  }
  return { inputIds, attentionMask, batchSize, seqLength };
}
