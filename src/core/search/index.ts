export * from './space.ts';
export * from './study.ts';
export * from './sampler.ts';
export * from './pruner.ts';
export * from './search.ts';
export {
  buildParzenEstimator,
  parzenLogPdf,
  sampleParzen,
  defaultWeights,
  type ParzenEstimator,
} from './parzen.ts';
export { NumpyRandomState } from './rng.ts';
export { SearchRunner, type KeptTrial } from './trials.ts';
