// AdamW: the optimizer, its settings and its engines.
export { AdamW, type AdamWEngineName, type AdamWState } from './adamw.ts';
export { globalNorm } from './device.ts';
export { DEFAULT_ADAMW, type AdamWGroups, type AdamWHyperparameters } from './hyperparameters.ts';
