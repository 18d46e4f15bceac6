// Small shared pieces: seeded randomness and progress reporting that yields to the event loop.
export { ProgressReporter, Yielder, type ProgressCallback, type StageProgress } from './progress.ts';
export { createRng, hashSeed, permutation, type Rng } from './random.ts';
export { oneLine } from './one-line.ts';
