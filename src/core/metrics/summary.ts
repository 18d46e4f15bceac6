// Flat views of metrics, for histories, early stopping and the CLI's metrics.json.
import type { MultiLabelMetrics } from './multi-label.ts';
import type { SingleLabelMetrics } from './single-label.ts';

export type ClassificationMetrics = SingleLabelMetrics | MultiLabelMetrics;

/** Every scalar metric by name (accuracy, macro_f1, …), fractions in [0, 1]. */
export function scalarMetrics(metrics: ClassificationMetrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value === 'number' && key !== 'n') out[key] = value;
  }
  return out;
}

const LOWER_IS_BETTER = new Set(['loss', 'eval_loss', 'hamming_loss']);

/** Whether a larger value of the named metric is better (losses are the exception). */
export function greaterIsBetter(metric: string): boolean {
  return !LOWER_IS_BETTER.has(metric) && !metric.endsWith('_loss');
}

export const SINGLE_LABEL_METRIC_NAMES = [
  'loss',
  'accuracy',
  'macro_f1',
  'micro_f1',
  'weighted_f1',
  'macro_precision',
  'macro_recall',
  'micro_precision',
  'micro_recall',
  'weighted_precision',
  'weighted_recall',
] as const;

export const MULTI_LABEL_METRIC_NAMES = [
  'loss',
  'micro_f1',
  'macro_f1',
  'weighted_f1',
  'subset_accuracy',
  'accuracy',
  'hamming_loss',
  'micro_precision',
  'micro_recall',
  'macro_precision',
  'macro_recall',
  'weighted_precision',
  'weighted_recall',
] as const;
