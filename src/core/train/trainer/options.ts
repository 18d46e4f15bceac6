// What a caller gives a training run.
import type { ModelConfig, Params } from '../../model/index.ts';
import type { TrainConfig } from '../config.ts';
import type { EncodedDataset, SplitName } from '../data.ts';
import type { FeatureCache, FeatureCacheFactory } from '../feature-cache.ts';
import type { TrainerCallbacks } from './callbacks.ts';
import type { ResumeState } from './state.ts';

export interface TrainModel {
  config: ModelConfig;
  params: Params;
}

export interface MicroBatchInfo {
  step: number;
  microBatch: number;
  batchSize: number;
}

export interface TrainOptions {
  model: TrainModel;
  data: EncodedDataset;
  config: TrainConfig;
  /** Where frozen activations are cached (default: memory). */
  featureCache?: FeatureCacheFactory;
  /**
   * Cache the frozen part (default). false recomputes it every step instead (same numbers,
   * slower): the reference the cached path is tested against.
   */
  cacheFrozen?: boolean;
  /**
   * Frozen-part caches from an earlier run on the same weights, tokenization and mode (head, or
   * top-k with the same k): reused instead of recomputed, so retraining with other settings
   * starts at once. The caller keeps ownership.
   */
  featureCaches?: Partial<Record<SplitName, FeatureCache>>;
  /** Return the caches this run builds in the result (the caller then owns them) instead of disposing them. */
  keepCaches?: boolean;
  /** Called before each micro-batch; an error thrown here counts as a failure of that step. */
  beforeMicroBatch?: (info: MicroBatchInfo) => void;
  /** Minimum milliseconds between step events (default 100: at most 10 a second). */
  emitIntervalMs?: number;
  now?: () => number;
  /**
   * Continue a run from a state `TrainController.resumeState()` captured: the trainable weights,
   * the optimizer, the schedule's position and the early-stopping bookkeeping are restored, and
   * steps, epochs and history carry on from it. The settings must be the original run's.
   */
  resume?: ResumeState;
  /**
   * Score the model as it is, with no update: validation and test are evaluated as at the end of
   * a run of zero steps, and the result keeps the weights unchanged (a model trained elsewhere).
   */
  evaluateOnly?: boolean;
  /** Extension points: an evaluation hook, the loss, the frozen part's engine. */
  callbacks?: TrainerCallbacks;
}
