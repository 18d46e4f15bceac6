// Data quality: which rows' labels the model confidently contradicts (confident learning), from
// probabilities of models that never trained on them (out-of-fold).
export * from './confident-learning.ts';
export * from './out-of-fold.ts';
export * from './label-issues.ts';
