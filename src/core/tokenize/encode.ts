// Texts → unpadded token ids in CSR form, in batches, with progress and cancellation; and a
// whole split dataset → `EncodedDataset` for the training worker.

import { throwIfAborted } from '../csv/index.ts';
import {
  splitIndices,
  type SplitResult,
  type Dataset,
  type SplitIndex,
  type DatasetCheck,
} from '../dataset/index.ts';
import { ProgressReporter, Yielder, type ProgressCallback } from '../util/index.ts';
import { tokenLengthStats, tooLongCheck, type TokenLengthStats } from './lengths.ts';
import type { TextTokenizer } from './tokenizer.ts';
import type { EncodedDataset, EncodedSplit } from './types.ts';

export interface EncodeTextsOptions {
  /** Truncation length, special tokens included. */
  maxLength: number;
  /** Texts between progress reports and cancellation checks. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface EncodedTexts {
  ids: Int32Array;
  offsets: Int32Array;
  /** Token count of each text before truncation (for the histogram and the too-long check). */
  fullLengths: Int32Array;
}

/** Grows like a vector; `finish` returns an exactly sized array that owns its buffer. */
class Int32Builder {
  private data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  /** Appends values[0 .. count). */
  pushAll(values: readonly number[], count = values.length): void {
    if (this.length + count > this.data.length) {
      const next = new Int32Array(Math.max(this.data.length * 2, this.length + count));
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    const data = this.data;
    const at = this.length;
    for (let k = 0; k < count; k++) data[at + k] = values[k] as number;
    this.length += count;
  }
  finish(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Encodes texts with truncation to `maxLength`, storing the ids unpadded (see types.ts for why).
 * Yields to the event loop between batches so a worker stays responsive to "cancel".
 */
export async function encodeTexts(
  tokenizer: TextTokenizer,
  texts: readonly string[],
  options: EncodeTextsOptions,
): Promise<EncodedTexts> {
  const { maxLength, signal } = options;
  if (!Number.isInteger(maxLength) || maxLength < tokenizer.specialTokensSingle + 1) {
    throw new RangeError(
      `max length must be a whole number of at least ${tokenizer.specialTokensSingle + 1}`,
    );
  }
  const batchSize = options.batchSize ?? 256;
  const progress = new ProgressReporter('tokenizing', options.onProgress);
  const yielder = new Yielder();
  const n = texts.length;
  const ids = new Int32Builder(n * 24);
  const offsets = new Int32Array(n + 1);
  const fullLengths = new Int32Array(n);
  // The same ids as tokenizer.encode(text, { maxLength }), written straight into the CSR buffer.
  const { prefix, suffix } = tokenizer.singleTemplate;
  const room = maxLength - prefix.length - suffix.length;
  for (let start = 0; start < n; start += batchSize) {
    throwIfAborted(signal);
    const end = Math.min(n, start + batchSize);
    for (let i = start; i < end; i++) {
      const content = tokenizer.contentIds(texts[i] as string);
      ids.pushAll(prefix);
      ids.pushAll(content, Math.min(content.length, room));
      ids.pushAll(suffix);
      offsets[i + 1] = ids.length;
      fullLengths[i] = content.length + prefix.length + suffix.length;
    }
    progress.report(0, end, { totalRows: n });
    await yielder.maybeYield();
  }
  throwIfAborted(signal);
  progress.report(0, n, { totalRows: n }, true);
  return { ids: ids.finish(), offsets, fullLengths };
}

/** Picks the examples at `indices` out of CSR arrays into a new, compact CSR pair. */
export function gatherCsr(
  ids: Int32Array,
  offsets: Int32Array,
  indices: ArrayLike<number>,
): { ids: Int32Array; offsets: Int32Array } {
  const outOffsets = new Int32Array(indices.length + 1);
  let total = 0;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    total += (offsets[i + 1] as number) - (offsets[i] as number);
    outOffsets[k + 1] = total;
  }
  const outIds = new Int32Array(total);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    outIds.set(ids.subarray(offsets[i], offsets[i + 1]), outOffsets[k] as number);
  }
  return { ids: outIds, offsets: outOffsets };
}

export interface EncodeDatasetOptions extends Omit<EncodeTextsOptions, 'maxLength'> {
  /** Truncation length; must not exceed the model's limit. */
  maxLength: number;
}

export interface EncodeDatasetResult {
  encoded: EncodedDataset;
  /** Full token length of each kept row (file order), before truncation. */
  fullLengths: Int32Array;
  lengths: TokenLengthStats;
  /** The too-long check at this max_length, or null when no text is cut. */
  tooLong: DatasetCheck | null;
}

/**
 * Tokenizes every kept row once, in file order, then lays the rows out per split. The label
 * arrays follow the EncodedSplit contract: class index per row, or a 0/1 row per example.
 */
export async function encodeDataset(
  tokenizer: TextTokenizer,
  dataset: Dataset,
  split: Pick<SplitResult, 'assignment'>,
  options: EncodeDatasetOptions,
): Promise<EncodeDatasetResult> {
  const { maxLength } = options;
  if (tokenizer.modelMaxLength !== null && maxLength > tokenizer.modelMaxLength) {
    throw new RangeError(
      `max length ${maxLength} exceeds the model's limit of ${tokenizer.modelMaxLength} tokens`,
    );
  }
  const all = await encodeTexts(tokenizer, dataset.texts, options);
  const numLabels = dataset.labels.length;
  const makeSplit = (s: SplitIndex): EncodedSplit => {
    const indices = splitIndices(split.assignment, s);
    const { ids, offsets } = gatherCsr(all.ids, all.offsets, indices);
    const rows = Int32Array.from(indices, (i) => dataset.rows[i] as number);
    let labels: Int32Array | Uint8Array;
    if (dataset.multiLabel) {
      labels = new Uint8Array(indices.length * numLabels);
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k] as number;
        for (let j = dataset.labelOffsets[i] as number; j < (dataset.labelOffsets[i + 1] as number); j++) {
          labels[k * numLabels + (dataset.labelIds[j] as number)] = 1;
        }
      }
    } else {
      labels = Int32Array.from(indices, (i) => dataset.labelIndex[i] as number);
    }
    return { ids, offsets, labels, rows };
  };
  const encoded: EncodedDataset = {
    labels: [...dataset.labels],
    multiLabel: dataset.multiLabel,
    maxLength,
    padTokenId: tokenizer.padTokenId,
    train: makeSplit(0),
    validation: makeSplit(1),
    test: makeSplit(2),
  };
  return {
    encoded,
    fullLengths: all.fullLengths,
    lengths: tokenLengthStats(all.fullLengths, tokenizer.modelMaxLength),
    tooLong: tooLongCheck(all.fullLengths, dataset.rows, maxLength),
  };
}
