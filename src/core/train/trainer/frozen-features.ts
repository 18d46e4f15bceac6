// Frozen-feature preparation for head-only and top-k runs: the frozen part runs once over each
// split (dropout off) and its output is kept in a feature cache, or a caller's cache from an
// earlier run on the same weights and tokenization is taken as it is.
import * as tf from '@tensorflow/tfjs-core';
import { tfjsEngine, type ForwardEngine, type ForwardOutput } from '../../infer/index.ts';
import {
  lengthsOf,
  padBatch,
  rowsByLength,
  splitSize,
  type EncodedDataset,
  type SplitName,
} from '../data.ts';
import { memoryFeatureCache, type FeatureCache, type FeatureCacheFactory } from '../feature-cache.ts';
import { isHostBackend } from '../host-backend.ts';
import type { FeatureEngineFactory } from './callbacks.ts';
import type { TrainModel } from './options.ts';

export interface SplitFeatures {
  cache: FeatureCache;
  /** Built by this run (not passed in by the caller). */
  builtHere: boolean;
  /** Head-only on a GPU: all first-token features on the device, [n, dim]. */
  onDevice?: tf.Tensor2D;
  /** Head-only on a host backend: all first-token features, [n, dim] row-major. */
  onHost?: Float32Array;
}

export interface FrozenFeatureOptions {
  model: TrainModel;
  data: EncodedDataset;
  /** The first block that trains: the frozen part is the embeddings and the blocks below it. */
  toLayer: number;
  /** Head-only: keep the first token's vector; top-k: every position's. */
  firstTokenOnly: boolean;
  featureCache?: FeatureCacheFactory;
  featureCaches?: Partial<Record<SplitName, FeatureCache>>;
  featureEngine?: FeatureEngineFactory;
  /** Runs `work` over `rows` in evaluation batches (halving them on out-of-memory). */
  inBatches(rows: Int32Array, work: (rows: Int32Array) => Promise<void>): Promise<void>;
  /** Reports progress at most once per `progressIntervalMs`, and at the end of each split. */
  onProgress(split: SplitName, done: number, total: number): Promise<void>;
  progressIntervalMs: number;
  now(): number;
}

export class FrozenFeatures {
  private readonly splits = new Map<SplitName, SplitFeatures>();
  private engine: ForwardEngine | null = null;

  constructor(private readonly options: FrozenFeatureOptions) {}

  get(split: SplitName): SplitFeatures | undefined {
    return this.splits.get(split);
  }

  get byteLength(): number {
    let bytes = 0;
    for (const { cache } of this.splits.values()) bytes += cache.byteLength;
    return bytes;
  }

  /** The caches, for a caller that keeps them for its next run. */
  caches(): Partial<Record<SplitName, FeatureCache>> {
    const out: Partial<Record<SplitName, FeatureCache>> = {};
    for (const [split, entry] of this.splits) out[split] = entry.cache;
    return out;
  }

  /** Frees device copies and the engine; caches built here are disposed unless handed over. */
  dispose(handOver: boolean): void {
    for (const { cache, onDevice, builtHere } of this.splits.values()) {
      onDevice?.dispose();
      if (builtHere && !handOver) void cache.dispose();
    }
    this.splits.clear();
    if (this.engine) void this.engine.dispose();
    this.engine = null;
  }

  /** Runs the frozen part once over a split and keeps its output (or takes the caller's cache). */
  async prepare(splitName: SplitName): Promise<void> {
    const { data, model, firstTokenOnly } = this.options;
    const dim = model.config.dim;
    const split = data[splitName];
    const n = splitSize(split);
    const lengths = firstTokenOnly ? new Int32Array(n).fill(1) : lengthsOf(split);
    const given = this.options.featureCaches?.[splitName];
    if (given) {
      const matches =
        given.rows === n && given.dim === dim && given.lengths.every((l, i) => l === lengths[i]);
      if (!matches) {
        throw new Error(
          `the cached ${splitName} features do not fit this run (${given.rows} rows × ${given.dim}, expected ${n} × ${dim} with the split's token counts); drop the cache`,
        );
      }
      const entry: SplitFeatures = { cache: given, builtHere: false };
      this.splits.set(splitName, entry);
      if (firstTokenOnly) await this.upload(entry, n);
      return;
    }
    const factory = this.options.featureCache ?? memoryFeatureCache;
    const cache = await factory(lengths, dim);
    const entry: SplitFeatures = { cache, builtHere: true };
    this.splits.set(splitName, entry);
    const engine = await this.openEngine();
    let done = 0;
    let lastProgress = -Infinity;
    await this.options.inBatches(rowsByLength(split), async (rows) => {
      const padded = padBatch(split, rows, data.padTokenId, data.maxLength);
      const values = await engine.run({
        ids: padded.ids,
        mask: padded.mask,
        batchSize: rows.length,
        seqLength: padded.length,
      });
      await cache.write(rows, values, firstTokenOnly ? 1 : padded.length);
      done += rows.length;
      if (this.options.now() - lastProgress >= this.options.progressIntervalMs || done === n) {
        lastProgress = this.options.now();
        await this.options.onProgress(splitName, done, n);
      }
    });
    if (firstTokenOnly) await this.upload(entry, n);
  }

  private async openEngine(): Promise<ForwardEngine> {
    if (!this.engine) {
      const { model, toLayer, firstTokenOnly, featureEngine } = this.options;
      const output: ForwardOutput = firstTokenOnly
        ? { kind: 'features' }
        : { kind: 'hidden', layers: toLayer };
      this.engine = featureEngine
        ? await featureEngine(model, output)
        : tfjsEngine(model.params, model.config, output);
    }
    return this.engine;
  }

  /**
   * Head-only: all first-token features are read once. A GPU gets them uploaded and gathers each
   * batch on the device; a host backend copies each batch's rows (its gather kernel walks every
   * element with index arithmetic: ~0.4 ms for 16 rows on WASM, against microseconds for a copy).
   */
  private async upload(entry: SplitFeatures, n: number): Promise<void> {
    const all = await entry.cache.read(
      Int32Array.from({ length: n }, (_, i) => i),
      1,
    );
    if (isHostBackend()) entry.onHost = all;
    else entry.onDevice = tf.tensor2d(all, [n, this.options.model.config.dim]);
  }
}

/** The given rows of a row-major [n, dim] feature matrix, as one [rows, dim] array. */
export function hostRows(features: Float32Array, rows: Int32Array, dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) {
    const start = (rows[i] as number) * dim;
    out.set(features.subarray(start, start + dim), i * dim);
  }
  return out;
}
