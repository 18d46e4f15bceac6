// The rows the map shows and their features: every example of the three splits, ordered by its
// data row in the file, with the frozen model's first-token features (the head-only cache's
// content). Features come from kept per-split caches when a run left them, or from a forward
// engine run once over each split here.

import type { ForwardEngine } from '../infer/index.ts';
import { padBatch, splitSize, type EncodedDataset, type EncodedSplit } from '../tokenize/index.ts';

export const MAP_SPLITS = ['train', 'validation', 'test'] as const;
export type MapSplit = (typeof MAP_SPLITS)[number];

export interface MapRows {
  /** 1-based data row of each map point, ascending. */
  rows: Int32Array;
  /** Split of each point: an index into MAP_SPLITS. */
  split: Uint8Array;
  /** Index of each point within its split (its position in the split's arrays). */
  indexInSplit: Int32Array;
}

export interface MapFeatures extends MapRows {
  dim: number;
  /** Row-major [points × dim], in the order of `rows`. */
  features: Float32Array;
}

/** Every example of the dataset, ordered by data row. */
export function mapRows(data: Pick<EncodedDataset, MapSplit>): MapRows {
  const entries: [row: number, split: number, index: number][] = [];
  MAP_SPLITS.forEach((name, s) => {
    const split = data[name];
    for (let i = 0; i < splitSize(split); i++) entries.push([split.rows[i]!, s, i]);
  });
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    rows: Int32Array.from(entries, (e) => e[0]),
    split: Uint8Array.from(entries, (e) => e[1]),
    indexInSplit: Int32Array.from(entries, (e) => e[2]),
  };
}

/** Joins per-split first-token features ([split size × dim] each) into the map's row order. */
export function joinSplitFeatures(
  data: Pick<EncodedDataset, MapSplit>,
  perSplit: Record<MapSplit, Float32Array>,
  dim: number,
): MapFeatures {
  const order = mapRows(data);
  MAP_SPLITS.forEach((name) => {
    const expected = splitSize(data[name]) * dim;
    if (perSplit[name].length !== expected) {
      throw new Error(
        `the ${name} features hold ${perSplit[name].length} values, expected ${expected} (rows × ${dim})`,
      );
    }
  });
  const features = new Float32Array(order.rows.length * dim);
  for (let p = 0; p < order.rows.length; p++) {
    const source = perSplit[MAP_SPLITS[order.split[p]!]!];
    const start = order.indexInSplit[p]! * dim;
    features.set(source.subarray(start, start + dim), p * dim);
  }
  return { ...order, dim, features };
}

export interface FeatureRunOptions {
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** One split's (or any token rows') first-token features through `engine` (output kind `features`), [size × dim]. */
export async function splitFeatures(
  engine: ForwardEngine,
  split: Pick<EncodedSplit, 'ids' | 'offsets'>,
  data: Pick<EncodedDataset, 'padTokenId' | 'maxLength'>,
  dim: number,
  options: FeatureRunOptions & { done?: number; total?: number } = {},
): Promise<Float32Array> {
  if (engine.output.kind !== 'features') {
    throw new Error(`the map needs first-token features, not the engine's ${engine.output.kind} output`);
  }
  const n = splitSize(split);
  const batchSize = Math.max(1, options.batchSize ?? 32);
  // Similar lengths together, so batches carry little padding.
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) =>
      split.offsets[a + 1]! - split.offsets[a]! - (split.offsets[b + 1]! - split.offsets[b]!) || a - b,
  );
  const out = new Float32Array(n * dim);
  for (let start = 0; start < n; start += batchSize) {
    options.signal?.throwIfAborted();
    const rows = order.slice(start, start + batchSize);
    const batch = padBatch(split, rows, { padTokenId: data.padTokenId, maxLength: data.maxLength });
    const values = await engine.run({
      ids: batch.inputIds,
      mask: batch.attentionMask,
      batchSize: rows.length,
      seqLength: batch.seqLength,
    });
    rows.forEach((r, i) => out.set(values.subarray(i * dim, (i + 1) * dim), r * dim));
    options.onProgress?.((options.done ?? 0) + start + rows.length, options.total ?? n);
  }
  return out;
}

/** Every example's first-token features through `engine`, in the map's row order. */
export async function datasetFeatures(
  engine: ForwardEngine,
  data: EncodedDataset,
  dim: number,
  options: FeatureRunOptions = {},
): Promise<MapFeatures> {
  const total = MAP_SPLITS.reduce((sum, name) => sum + splitSize(data[name]), 0);
  let done = 0;
  const perSplit = {} as Record<MapSplit, Float32Array>;
  for (const name of MAP_SPLITS) {
    perSplit[name] = await splitFeatures(engine, data[name], data, dim, { ...options, done, total });
    done += splitSize(data[name]);
  }
  return joinSplitFeatures(data, perSplit, dim);
}
