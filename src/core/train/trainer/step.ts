// One update's forward and backward passes: the trainable part's logits, the gradients summed
// over micro-batches (gradient accumulation), and the batch halving an out-of-memory error calls for.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkpointedTransformerLayer,
  classifierHead,
  encode,
  firstToken,
  transformerLayer,
} from '../../model/distilbert.ts';
import { hashSeed } from '../../util/random.ts';
import type { TrainConfig } from '../config.ts';
import { namedGradients } from '../gradients.ts';
import { headLogits } from '../head.ts';
import type { LossSettings } from '../losses.ts';
import { disposeBatch, type Batch, type Batcher } from './batches.ts';
import type { TrainLoss } from './callbacks.ts';
import { errorText } from './errors.ts';
import type { MicroBatchInfo, TrainModel } from './options.ts';

/** Logits of the trainable part for a batch (blocks from `firstTrainable` up, and the head). */
export function trainableLogits(
  model: TrainModel,
  config: Pick<TrainConfig, 'mode' | 'gradientCheckpointing'>,
  firstTrainable: number,
  batch: Batch,
  opts: { training: boolean; seed?: number },
): tf.Tensor2D {
  const { config: modelConfig, params } = model;
  if (config.mode === 'head') return headLogits(params, modelConfig, batch.hidden as tf.Tensor2D, opts);
  const gradientCheckpointing = config.gradientCheckpointing;
  if (config.mode === 'full') {
    const hidden = encode(params, modelConfig, batch.ids!, batch.mask!, { ...opts, gradientCheckpointing });
    return classifierHead(params, modelConfig, firstToken(hidden), opts);
  }
  const block = gradientCheckpointing ? checkpointedTransformerLayer : transformerLayer;
  let hidden = batch.hidden as tf.Tensor3D;
  for (let layer = firstTrainable; layer < modelConfig.nLayers; layer++) {
    hidden = block(params, modelConfig, layer, hidden, batch.mask!, opts);
  }
  return classifierHead(params, modelConfig, firstToken(hidden), opts);
}

export interface UpdatePasses {
  rows: Int32Array;
  step: number;
  config: TrainConfig;
  batcher: Batcher;
  trainable: TrainModel['params'];
  loss: TrainLoss;
  lossSettings: LossSettings;
  /** The update's normaliser: every micro-batch divides by it. */
  normalizer: number;
  logits(batch: Batch, opts: { training: boolean; seed: number }): tf.Tensor2D;
  /** An error the backend reported outside an op (thrown before the next micro-batch). */
  takeError(): unknown;
  beforeMicroBatch?: (info: MicroBatchInfo) => void;
}

/**
 * The update's gradients and loss, summed over micro-batches of `config.batchSize` rows. On an
 * error everything allocated is freed before it is rethrown.
 */
export async function accumulatedGradients(
  passes: UpdatePasses,
): Promise<{ grads: Record<string, tf.Tensor>; loss: tf.Scalar; tokens: number }> {
  const { rows, config, step } = passes;
  let grads: Record<string, tf.Tensor> | null = null;
  let loss: tf.Scalar | null = null;
  let tokens = 0;
  try {
    const micro = config.batchSize;
    for (let m = 0, start = 0; start < rows.length; m++, start += micro) {
      const microRows = rows.subarray(start, Math.min(rows.length, start + micro));
      const reported = passes.takeError();
      if (reported !== undefined) throw reported;
      passes.beforeMicroBatch?.({ step, microBatch: m, batchSize: micro });
      const batch = await passes.batcher.make('train', microRows);
      tokens += batch.tokens;
      try {
        const seed = hashSeed(`${config.seed}:${step}:${start}`);
        const { value, grads: microGrads } = namedGradients(
          () =>
            tf.tidy(() =>
              passes.loss.loss(
                passes.logits(batch, { training: config.dropout, seed }),
                batch,
                passes.lossSettings,
                passes.normalizer,
              ),
            ),
          passes.trainable,
        );
        grads = grads === null ? microGrads : sumAndDispose(grads, microGrads);
        loss = loss === null ? value : (sumAndDispose({ loss }, { loss: value }).loss as tf.Scalar);
      } finally {
        disposeBatch(batch);
      }
    }
    return { grads: grads!, loss: loss!, tokens };
  } catch (error) {
    if (grads) tf.dispose(Object.values(grads));
    if (loss) loss.dispose();
    throw error;
  }
}

/** The sum of two sets of named tensors; both inputs are disposed. */
function sumAndDispose(
  a: Record<string, tf.Tensor>,
  b: Record<string, tf.Tensor>,
): Record<string, tf.Tensor> {
  const sum = tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const name of Object.keys(a)) out[name] = tf.add(a[name]!, b[name]!);
    return out;
  });
  tf.dispose([...Object.values(a), ...Object.values(b)]);
  return sum;
}

/**
 * After an out-of-memory error: halves the micro-batch and doubles the accumulation, so the
 * effective batch stays; returns the notice to give. At batch size 1 there is nothing to halve.
 */
export function halveBatch(
  config: Pick<TrainConfig, 'batchSize' | 'gradAccumSteps'>,
  error: unknown,
): string {
  if (config.batchSize === 1) {
    throw new Error(
      `out of memory even at batch size 1 (${errorText(error)}); try a shorter max length or fewer trainable layers`,
      { cause: error },
    );
  }
  config.batchSize = Math.ceil(config.batchSize / 2);
  config.gradAccumSteps *= 2;
  return `Out of memory: batch size halved to ${config.batchSize}, gradient accumulation doubled to ${config.gradAccumSteps} (same effective batch).`;
}
