// What tokenization hands to training: token ids per split as typed arrays (transferable from the
// data worker to the training worker without copies) plus labels and source row numbers.
//
// Ids are stored UNPADDED in CSR form: the ids of example i are ids[offsets[i] .. offsets[i+1]).
// Padding happens per batch in training (`padBatch`), to the longest example of the batch rounded
// up to a multiple of 8. Why not pad everything to max_length here: dynamic padding saves the
// compute that attention and the feed-forward layers would spend on padding (short texts such as
// Banking77's ~12 tokens would otherwise cost as much as 128-token ones), and storage shrinks by
// the same factor. Rounding to multiples of 8 keeps the number of distinct sequence lengths small
// (16 for max_length 128), so WebGPU compiles few shader/program variants and caches stay warm.

export interface EncodedSplit {
  /** All token ids of the split, concatenated (special tokens included, no padding). */
  ids: Int32Array;
  /** Length N+1: example i is ids[offsets[i] .. offsets[i+1]). */
  offsets: Int32Array;
  /** Single-label: class index per example [N]. Multi-label: 0/1 per label, row-major [N × numLabels]. */
  labels: Int32Array | Uint8Array;
  /** 1-based data row number in the source file of each example. */
  rows: Int32Array;
}

export interface EncodedDataset {
  /** Class names; index = class id = output unit. */
  labels: string[];
  multiLabel: boolean;
  /** Truncation length the ids were encoded with (special tokens included). */
  maxLength: number;
  /** Id to pad batches with (the tokenizer's pad token). */
  padTokenId: number;
  train: EncodedSplit;
  validation: EncodedSplit;
  test: EncodedSplit;
}

/** The typed-array buffers of an encoded dataset, for a worker's postMessage transfer list. */
export function transferables(dataset: EncodedDataset): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const split of [dataset.train, dataset.validation, dataset.test]) {
    for (const array of [split.ids, split.offsets, split.labels, split.rows]) {
      if (array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
    }
  }
  return [...buffers];
}

/** Number of examples in a split. */
export function splitSize(split: Pick<EncodedSplit, 'offsets'>): number {
  return split.offsets.length - 1;
}
