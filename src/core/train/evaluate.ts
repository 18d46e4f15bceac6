// Scoring a split: logits → probabilities (the model layer's one conversion), the plain loss, and
// every metric. Used by the training loop after each evaluation pass, and by
// `finetune-studio evaluate` for any labelled file.
import {
  multiLabelMetrics,
  scalarMetrics,
  singleLabelMetrics,
  tuneThresholds,
  type ClassificationMetrics,
} from '../metrics/index.ts';
import { argmaxRows, probabilitiesOf } from '../model/index.ts';

export interface SplitScore {
  /** Plain mean cross-entropy (single-label) or BCE-with-logits (multi-label). */
  loss: number;
  /** `loss` and every scalar metric, as fractions. */
  metrics: Record<string, number>;
  details: ClassificationMetrics;
  /** n × numLabels softmax or sigmoid outputs. */
  probabilities: Float32Array;
  /** Multi-label: thresholds tuned on this split and the metrics they give (when asked). */
  tunedThresholds?: number[];
  tunedMetrics?: Record<string, number>;
}

export interface ScoreOptions {
  labels: readonly string[];
  multiLabel: boolean;
  /** Multi-label decision thresholds (default 0.5 each). */
  thresholds?: readonly number[];
  /** Multi-label: also tune thresholds on this split. */
  tune?: boolean;
}

export function scoreLogits(
  logits: Float32Array,
  trueLabels: Int32Array | Uint8Array,
  options: ScoreOptions,
): SplitScore {
  const k = options.labels.length;
  const n = logits.length / k;
  const probabilities = probabilitiesOf(
    logits,
    k,
    options.multiLabel ? 'multi_label_classification' : 'single_label_classification',
  );
  let lossTotal = 0;
  if (!options.multiLabel) {
    const predicted = argmaxRows(logits, k);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, logits[i * k + j] as number);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp((logits[i * k + j] as number) - max);
      // −log softmax at the true label, from the log-sum-exp (stable for large logits)
      lossTotal += max + Math.log(sum) - (logits[i * k + (trueLabels[i] as number)] as number);
    }
    const details = singleLabelMetrics(trueLabels, predicted, options.labels);
    const loss = n > 0 ? lossTotal / n : NaN;
    return { loss, metrics: { loss, ...scalarMetrics(details) }, details, probabilities };
  }
  for (let i = 0; i < n * k; i++) {
    const x = logits[i] as number;
    // softplus(x) − x·y: BCE with logits, stable for large |x|
    lossTotal += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) - x * (trueLabels[i] as number);
  }
  const loss = n > 0 ? lossTotal / (n * k) : NaN;
  const details = multiLabelMetrics(trueLabels, probabilities, options.labels, options.thresholds ?? 0.5);
  const score: SplitScore = { loss, metrics: { loss, ...scalarMetrics(details) }, details, probabilities };
  if (options.tune) {
    const tuned = tuneThresholds(trueLabels, probabilities, k);
    score.tunedThresholds = tuned;
    score.tunedMetrics = {
      loss,
      ...scalarMetrics(multiLabelMetrics(trueLabels, probabilities, options.labels, tuned)),
    };
  }
  return score;
}
