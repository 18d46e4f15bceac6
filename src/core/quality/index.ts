// Data quality: which rows' labels the model confidently contradicts (confident learning).
export * from './confident-learning.ts';
