// Active learning: which unlabelled rows to label next (uncertainty with diversity).
export * from './uncertainty.ts';
export * from './suggest.ts';
