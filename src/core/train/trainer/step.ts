// One update's forward and backward passes: the trainable part's logits, the gradients summed
// over micro-batches (gradient accumulation), and the batch halving an out-of-memory error calls for.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkpointedTransformerLayer,
  classifierHead,
  encode,
  pooledState,
  transformerLayer,
} from '../../model/index.ts';
import { hashSeed } from '../../util/index.ts';
import type { TrainConfig } from '../config.ts';
import { namedGradients } from '../gradients.ts';
import { headLogits } from '../head.ts';
import { hostMeanLoss, lossSum, type LossSettings, type TrainingLoss } from '../losses.ts';
import { disposeBatch, type Batch, type Batcher } from './batches.ts';
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
    return classifierHead(params, modelConfig, pooledState(modelConfig, hidden, batch.mask!), opts);
  }
  const block = gradientCheckpointing ? checkpointedTransformerLayer : transformerLayer;
  let hidden = batch.hidden as tf.Tensor3D;
  for (let layer = firstTrainable; layer < modelConfig.nLayers; layer++) {
    hidden = block(params, modelConfig, layer, hidden, batch.mask!, opts);
  }
  return classifierHead(params, modelConfig, pooledState(modelConfig, hidden, batch.mask!), opts);
}

export interface UpdatePasses {
  rows: Int32Array;
  step: number;
  config: TrainConfig;
  batcher: Batcher;
  trainable: TrainModel['params'];
  /** The caller's loss; without one, the label loss over `normalizer`. */
  loss: TrainingLoss | undefined;
  lossSettings: LossSettings;
  /** The whole update's labels, host form, and their normaliser: every micro-batch divides by it. */
  updateLabels: Int32Array | Uint8Array;
  normalizer: number;
  /** The backend keeps tensors in host memory: the label loss is computed there. */
  onHost: boolean;
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
              microBatchLoss(passes, batch, passes.logits(batch, { training: config.dropout, seed })),
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

/** The micro-batch's share of the update's mean loss. */
function microBatchLoss(passes: UpdatePasses, batch: Batch, logits: tf.Tensor2D): tf.Scalar {
  const { lossSettings: settings, normalizer, onHost } = passes;
  if (passes.loss) {
    const { rows, labels, hostLabels } = batch;
    return passes.loss({
      logits,
      rows,
      labels,
      cpuLabels: hostLabels,
      updateLabels: passes.updateLabels,
      settings,
      onHost,
    });
  }
  return onHost
    ? hostMeanLoss(logits, batch.hostLabels, settings, normalizer)
    : (tf.div(lossSum(logits, batch.labels, settings), normalizer) as tf.Scalar);
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
