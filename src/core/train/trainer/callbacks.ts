// The loop's extension points: small callbacks a caller passes in TrainOptions.callbacks, each with
// the loop's own behaviour as the default.
//   onEvaluate     after every validation evaluation; may end the run (a pruned search trial);
//   loss           the training objective (default: the weighted, smoothed cross-entropy or BCE);
//   featureEngine  the frozen part's forward pass when features are cached (default: tfjs).
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardEngine, ForwardOutput } from '../../infer/index.ts';
import type { EvalReport } from '../events.ts';
import { hostMeanLoss, lossNormalizer, lossSum, type LossSettings } from '../losses.ts';
import type { TrainModel } from './options.ts';

export interface Evaluation {
  step: number;
  epoch: number;
  report: EvalReport;
  /** The metric the best checkpoint follows, and its value in this evaluation. */
  metric: string;
  value: number;
  isBest: boolean;
}

/** What a loss sees of a micro-batch. */
export interface LossBatch {
  /** Rows of the training split in the batch. */
  rows: Int32Array;
  /** int32 [B] class ids, or float32 [B, L] 0/1 targets. */
  labels: tf.Tensor;
  /** The same labels on the host: class ids [B], or 0/1 targets [B, L] row-major. */
  hostLabels: Int32Array | Uint8Array;
}

export interface TrainLoss {
  /**
   * The divisor of an update's summed loss, from the update's labels alone: every micro-batch of
   * the update divides by it, so accumulated gradients equal the gradient of the update's mean.
   */
  normalizer(labels: Int32Array | Uint8Array, settings: LossSettings): number;
  /** The micro-batch's summed loss over `normalizer`, as a scalar gradients are taken of. */
  loss(logits: tf.Tensor2D, batch: LossBatch, settings: LossSettings, normalizer: number): tf.Scalar;
}

/**
 * Builds the engine that computes frozen features (core/infer's ForwardEngine): `features` for
 * head-only, `hidden` after the frozen blocks for top-k. Called once per run that caches.
 */
export type FeatureEngineFactory = (
  model: TrainModel,
  output: ForwardOutput,
) => ForwardEngine | Promise<ForwardEngine>;

export interface TrainerCallbacks {
  /** Return `{ stop: message }` to end the run after this evaluation (reason `stopped`). */
  onEvaluate?(evaluation: Evaluation): void | { stop: string } | Promise<void | { stop: string }>;
  loss?: TrainLoss;
  featureEngine?: FeatureEngineFactory;
}

/**
 * The torch losses of `losses.ts`. On backends whose tensors live in host memory the loss and its
 * gradient are computed on the host from the logits (one small copy instead of ~35 kernels).
 */
export function crossEntropyLoss(onHost: boolean): TrainLoss {
  return {
    normalizer: lossNormalizer,
    loss: (logits, batch, settings, normalizer) =>
      onHost
        ? hostMeanLoss(logits, batch.hostLabels, settings, normalizer)
        : (tf.div(lossSum(logits, batch.labels, settings), normalizer) as tf.Scalar),
  };
}
