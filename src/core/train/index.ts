// Training: settings, the loop and its controller, events, caches and scoring.
export * from './config.ts';
export * from './events.ts';
export * from './trainer/index.ts';
export {
  MemoryFeatureCache,
  memoryFeatureCache,
  type FeatureCache,
  type FeatureCacheFactory,
} from './feature-cache.ts';
export { scoreLogits, type ScoreOptions, type SplitScore } from './evaluate.ts';
export { lrMultiplier, warmupSteps, SCHEDULE_NAMES, type Schedule, type ScheduleName } from './schedules.ts';
export {
  AdamW,
  DEFAULT_ADAMW,
  globalNorm,
  type AdamWEngineName,
  type AdamWHyperparameters,
  type AdamWState,
} from './adamw/index.ts';
export { isNoDecay, layerDepth, layerLrScales } from './param-groups.ts';
export {
  classWeightsFor,
  posWeightsFor,
  lossSum,
  lossNormalizer,
  meanLoss,
  type LossSettings,
  type MicroBatchLossInput,
  type TrainingLoss,
  hostMeanLoss,
} from './losses.ts';
export { ensureGradients, namedGradients } from './gradients.ts';
export { type EncodedDataset, type EncodedSplit, type SplitName, SPLITS, splitSize } from './data.ts';
export { chooseFeatureCache, type SpillStorage } from './feature-cache-choice.ts';
export { formatBytes, type RandomAccessFile } from './feature-cache-file.ts';
export {
  PersistentFeatureStore,
  describeFeatureCache,
  featureCacheKey,
  weightsFingerprint,
  type FeatureCacheIdentity,
  type FeatureStore,
  type FeatureStoreFiles,
  type StoredFeatureCache,
} from './feature-store.ts';
export {
  estimateModes,
  fitWarning,
  memoryCeiling,
  paddedTokensPerExample,
  WASM_HEAP_BYTES,
  type EstimateInput,
  type FitWording,
  type ForwardTiming,
  type ModeEstimate,
} from './estimates.ts';
