// Batching: rows of a split become the inputs of the trainable part (token ids and mask, or the
// frozen part's cached output) with their labels; evaluation batches halve on out-of-memory.
import * as tf from '@tensorflow/tfjs-core';
import { encode, pooledState } from '../../model/index.ts';
import type { TrainConfig } from '../config.ts';
import { gatherLabels, padBatch, paddedLength, type EncodedDataset, type SplitName } from '../data.ts';
import { isOutOfMemory } from './errors.ts';
import { hostRows, type FrozenFeatures } from './frozen-features.ts';
import type { TrainModel } from './options.ts';

export interface Batch {
  rows: Int32Array;
  size: number;
  /** Real tokens, for tokens/s. */
  tokens: number;
  /** Inputs of the trainable part: ids + mask (full, or recomputed frozen part), or cached activations. */
  ids?: tf.Tensor2D;
  mask?: tf.Tensor2D;
  hidden?: tf.Tensor;
  labels: tf.Tensor;
  hostLabels: Int32Array | Uint8Array;
}

export interface BatcherOptions {
  model: TrainModel;
  data: EncodedDataset;
  mode: TrainConfig['mode'];
  /** The first block that trains. */
  toLayer: number;
  features: FrozenFeatures;
}

export class Batcher {
  private readonly numLabels: number;

  constructor(private readonly options: BatcherOptions) {
    this.numLabels = options.data.labels.length;
  }

  async make(splitName: SplitName, rows: Int32Array): Promise<Batch> {
    const { data, model, mode, features } = this.options;
    const split = data[splitName];
    const dim = model.config.dim;
    const multiLabel = data.multiLabel;
    const cpuLabels = gatherLabels(split, rows, multiLabel, this.numLabels);
    const labels = multiLabel
      ? tf.tensor2d(cpuLabels as Float32Array, [rows.length, this.numLabels])
      : tf.tensor1d(cpuLabels as Int32Array, 'int32');
    const hostLabels = multiLabel ? Uint8Array.from(cpuLabels) : (cpuLabels as Int32Array);
    const cached = features.get(splitName);
    if (cached?.onDevice || cached?.onHost) {
      let tokens = 0;
      for (const r of rows) tokens += (split.offsets[r + 1] as number) - (split.offsets[r] as number);
      const hidden = cached.onHost
        ? tf.tensor2d(hostRows(cached.onHost, rows, dim), [rows.length, dim])
        : tf.tidy(() => tf.gather(cached.onDevice!, tf.tensor1d(rows, 'int32')));
      return { rows, size: rows.length, tokens, hidden, labels, hostLabels };
    }
    if (cached) {
      let longest = 1;
      let tokens = 0;
      for (const r of rows) {
        const length = cached.cache.lengths[r] as number;
        longest = Math.max(longest, length);
        tokens += length;
      }
      const length = paddedLength(longest, data.maxLength);
      const values = await cached.cache.read(rows, length);
      const maskValues = new Int32Array(rows.length * length);
      rows.forEach((r, i) =>
        maskValues.fill(1, i * length, i * length + (cached.cache.lengths[r] as number)),
      );
      return {
        rows,
        size: rows.length,
        tokens,
        hidden: tf.tensor3d(values, [rows.length, length, dim]),
        mask: tf.tensor2d(maskValues, [rows.length, length], 'int32'),
        labels,
        hostLabels,
      };
    }
    const padded = padBatch(split, rows, data.padTokenId, data.maxLength);
    const ids = tf.tensor2d(padded.ids, [rows.length, padded.length], 'int32');
    const mask = tf.tensor2d(padded.mask, [rows.length, padded.length], 'int32');
    const batch: Batch = { rows, size: rows.length, tokens: padded.tokens, ids, mask, labels, hostLabels };
    if (mode !== 'full') {
      // Frozen part recomputed every step (no cache): same math as the cache, dropout off.
      batch.hidden = tf.tidy(() => {
        const hidden = encode(model.params, model.config, ids, mask, {
          training: false,
          toLayer: this.options.toLayer,
        });
        return mode === 'head' ? pooledState(model.config, hidden, mask) : hidden;
      });
    }
    return batch;
  }
}

export function disposeBatch(batch: Batch): void {
  tf.dispose(
    [batch.ids, batch.mask, batch.hidden, batch.labels].filter((t): t is tf.Tensor => t !== undefined),
  );
}

/**
 * Calls `work` on consecutive slices of `rows` of `settings.evalBatchSize`, halving it on
 * out-of-memory (the smaller size stays for the rest of the run).
 */
export async function inEvalBatches(
  rows: Int32Array,
  settings: Pick<TrainConfig, 'evalBatchSize'>,
  onHalved: (size: number) => void,
  work: (rows: Int32Array) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < rows.length;) {
    const size = settings.evalBatchSize;
    const slice = rows.subarray(start, Math.min(rows.length, start + size));
    try {
      await work(slice);
      start += slice.length;
    } catch (error) {
      if (!isOutOfMemory(error) || size === 1) throw error;
      settings.evalBatchSize = Math.ceil(size / 2);
      onHalved(settings.evalBatchSize);
    }
  }
}
