// How each training setting is edited in the form: its label, widget and which group it sits in.
// The help lines and defaults come from core/train, so the form and the CLI say the same thing.
import type { TrainConfig } from '../../core/train/index.ts';

export type FieldKind = 'number' | 'integer' | 'boolean' | 'select' | 'classWeights';

export interface FieldSpec {
  key: keyof TrainConfig;
  label: string;
  kind: FieldKind;
  options?: readonly { value: string; label: string }[];
  /** Shown only when this holds for the current settings. */
  when?: (config: TrainConfig, context: FieldContext) => boolean;
  /** Lower bound for number inputs (browser hint only; core validates). */
  min?: number;
}

export interface FieldContext {
  multiLabel: boolean;
  nLayers: number;
  metricOptions: readonly string[];
}

export const BASIC_FIELDS: readonly FieldSpec[] = [
  {
    key: 'layers',
    label: 'Layers to train',
    kind: 'integer',
    min: 1,
    when: (c) => c.mode === 'top-k',
  },
  { key: 'epochs', label: 'Epochs', kind: 'integer', min: 1 },
  { key: 'learningRate', label: 'Learning rate', kind: 'number', min: 0 },
  { key: 'batchSize', label: 'Batch size', kind: 'integer', min: 1 },
  { key: 'evalSteps', label: 'Evaluate every (updates)', kind: 'integer', min: 0 },
  { key: 'metricForBestModel', label: 'Metric for the best checkpoint', kind: 'select' },
];

export const ADVANCED_FIELDS: readonly FieldSpec[] = [
  {
    key: 'schedule',
    label: 'Learning-rate schedule',
    kind: 'select',
    options: [
      { value: 'linear', label: 'linear' },
      { value: 'cosine', label: 'cosine' },
      { value: 'constant', label: 'constant' },
    ],
  },
  { key: 'warmupRatio', label: 'Warmup ratio', kind: 'number', min: 0 },
  { key: 'warmupSteps', label: 'Warmup steps', kind: 'integer', min: 0 },
  { key: 'weightDecay', label: 'Weight decay', kind: 'number', min: 0 },
  { key: 'gradAccumSteps', label: 'Gradient accumulation', kind: 'integer', min: 1 },
  { key: 'evalBatchSize', label: 'Evaluation batch size', kind: 'integer', min: 1 },
  { key: 'maxGradNorm', label: 'Max gradient norm', kind: 'number', min: 0 },
  { key: 'layerLrDecay', label: 'Layer-wise lr decay', kind: 'number', min: 0 },
  { key: 'classWeights', label: 'Class weights', kind: 'classWeights' },
  {
    key: 'labelSmoothing',
    label: 'Label smoothing',
    kind: 'number',
    min: 0,
    when: (_c, ctx) => !ctx.multiLabel,
  },
  { key: 'earlyStoppingPatience', label: 'Early stopping patience', kind: 'integer', min: 0 },
  { key: 'earlyStoppingMinDelta', label: 'Early stopping min delta', kind: 'number', min: 0 },
  {
    key: 'tuneThresholds',
    label: 'Tune thresholds on validation',
    kind: 'boolean',
    when: (_c, ctx) => ctx.multiLabel,
  },
  { key: 'freezeEmbeddings', label: 'Freeze embeddings', kind: 'boolean', when: (c) => c.mode === 'full' },
  {
    key: 'gradientCheckpointing',
    label: 'Gradient checkpointing',
    kind: 'boolean',
    when: (c) => c.mode !== 'head',
  },
  { key: 'dropout', label: 'Dropout', kind: 'boolean' },
  { key: 'seed', label: 'Seed', kind: 'integer' },
  { key: 'adamBeta1', label: 'Adam β1', kind: 'number', min: 0 },
  { key: 'adamBeta2', label: 'Adam β2', kind: 'number', min: 0 },
  { key: 'adamEpsilon', label: 'Adam ε', kind: 'number', min: 0 },
];

/** How a number is shown in a text box: small rates in exponent form, as people write them. */
export function formatSetting(value: number): string {
  if (value !== 0 && Math.abs(value) < 1e-3) {
    const [mantissa, exponent] = value.toExponential().split('e');
    return `${Number(Number(mantissa).toPrecision(6))}e${exponent}`;
  }
  return String(value);
}

/** Parses a number as typed ("5e-5", "0.001", " 3 "); NaN when it is not one. */
export function parseSetting(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return Number.NaN;
  return Number(trimmed);
}

/** "positive: 2, negative: 1" → { positive: 2, negative: 1 }; throws a plain message otherwise. */
export function parseClassWeights(text: string, labels: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const at = part.lastIndexOf(':');
    if (at < 0) throw new Error(`“${part.trim()}” needs the form label: weight`);
    const label = part.slice(0, at).trim();
    const weight = parseSetting(part.slice(at + 1));
    if (!labels.includes(label)) throw new Error(`“${label}” is not one of the labels`);
    if (!(weight > 0)) throw new Error(`the weight of “${label}” must be a positive number`);
    out[label] = weight;
  }
  if (Object.keys(out).length === 0) throw new Error('give at least one label: weight pair');
  return out;
}

export function formatClassWeights(weights: Record<string, number>): string {
  return Object.entries(weights)
    .map(([label, weight]) => `${label}: ${weight}`)
    .join(', ');
}
