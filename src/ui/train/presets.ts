// The three ways to train, as presets over core/train's defaults.
import { defaultTrainConfig, type TrainConfig, type TrainMode } from '../../core/train/index.ts';

export interface Preset {
  id: 'quick' | 'balanced' | 'thorough';
  name: string;
  mode: TrainMode;
  summary: string;
  settings: () => TrainConfig;
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'quick',
    name: 'Quick',
    mode: 'head',
    summary: 'Head only: the encoder is frozen and its features are cached once, so training takes seconds.',
    settings: () => defaultTrainConfig('head'),
  },
  {
    id: 'balanced',
    name: 'Balanced',
    mode: 'top-k',
    summary: 'Top 2 layers + head: the frozen bottom is cached; a good accuracy for the time.',
    settings: () => ({ ...defaultTrainConfig('top-k'), layers: 2 }),
  },
  {
    id: 'thorough',
    name: 'Thorough',
    mode: 'full',
    summary: 'Full fine-tuning: every weight trains; the most accurate and the slowest.',
    settings: () => defaultTrainConfig('full'),
  },
];

export function presetOf(config: TrainConfig): Preset {
  return PRESETS.find((p) => p.mode === config.mode) ?? PRESETS[1]!;
}
