// Classification metrics in plain TypeScript (no tfjs), shared by training, evaluation and the CLI.
export * from './scores.ts';
export * from './single-label.ts';
export * from './multi-label.ts';
export * from './summary.ts';
