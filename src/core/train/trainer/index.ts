// The training loop: controller, epoch/step loop, trainer state, batching, frozen features,
// trackers, callbacks and the checkpoint rule.
export { TrainController, trainModel } from './controller.ts';
export type { TrainModel, TrainOptions, MicroBatchInfo } from './options.ts';
export {
  RESUMED_SETTINGS,
  type ResumedSettings,
  type ResumeState,
  type TrainerState,
  type KeptBest,
} from './state.ts';
export { trainableParams, firstTrainableLayer } from './trainable.ts';
export { isOutOfMemory, isDeviceLost } from './errors.ts';
export type { TrainerCallbacks, Evaluation, FeatureEngineFactory } from './callbacks.ts';
export { watchCheckpoints, snapshotTrainable, type CheckpointHandlers } from './checkpoints.ts';
