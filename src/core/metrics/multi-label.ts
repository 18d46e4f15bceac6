// Metrics for multi-label classification: each example has a set of labels (possibly empty),
// stored as a row-major [n, numLabels] 0/1 indicator matrix.
import { classScores, macroAverage, microAverage, weightedAverage, type ClassScores } from './scores.ts';

export interface MultiLabelMetrics {
  kind: 'multi_label';
  n: number;
  /** Fraction of examples whose predicted label set equals the true set exactly. */
  subset_accuracy: number;
  /** Same as subset_accuracy (scikit-learn's accuracy_score on multi-label data). */
  accuracy: number;
  /** Fraction of (example, label) decisions that are wrong. */
  hamming_loss: number;
  micro_precision: number;
  micro_recall: number;
  micro_f1: number;
  macro_precision: number;
  macro_recall: number;
  macro_f1: number;
  weighted_precision: number;
  weighted_recall: number;
  weighted_f1: number;
  per_class: ClassScores[];
  /** Decision threshold used for each label's probability. */
  thresholds: number[];
  labels: string[];
}

function thresholdsFor(numLabels: number, thresholds: number | ArrayLike<number>): number[] {
  if (typeof thresholds === 'number') return new Array<number>(numLabels).fill(thresholds);
  if (thresholds.length !== numLabels) {
    throw new Error(`${thresholds.length} thresholds for ${numLabels} labels`);
  }
  return Array.from(thresholds);
}

/**
 * Scores label probabilities (a label is predicted when its probability reaches its threshold)
 * against the true indicator matrix. Macro averages run over every label, as scikit-learn's do for
 * indicator matrices.
 */
export function multiLabelMetrics(
  yTrue: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  labels: readonly string[],
  thresholds: number | ArrayLike<number> = 0.5,
): MultiLabelMetrics {
  const k = labels.length;
  if (yTrue.length !== probabilities.length) {
    throw new Error(`${yTrue.length} true indicators but ${probabilities.length} probabilities`);
  }
  if (k === 0 || yTrue.length % k !== 0)
    throw new Error(`indicator length ${yTrue.length} is not a multiple of ${k}`);
  const t = thresholdsFor(k, thresholds);
  const n = yTrue.length / k;
  const tp = new Array<number>(k).fill(0);
  const fp = new Array<number>(k).fill(0);
  const fn = new Array<number>(k).fill(0);
  let exact = 0;
  let wrong = 0;
  for (let i = 0; i < n; i++) {
    let rowWrong = 0;
    for (let j = 0; j < k; j++) {
      const truth = (yTrue[i * k + j] as number) !== 0;
      const predicted = (probabilities[i * k + j] as number) >= (t[j] as number);
      if (truth && predicted) tp[j]!++;
      else if (predicted) fp[j]!++;
      else if (truth) fn[j]!++;
      if (truth !== predicted) rowWrong++;
    }
    if (rowWrong === 0) exact++;
    wrong += rowWrong;
  }
  const perClass = labels.map((label, j) =>
    classScores(label, tp[j] as number, fp[j] as number, fn[j] as number),
  );
  const micro = microAverage(perClass);
  const macro = macroAverage(perClass);
  const weighted = weightedAverage(perClass);
  const subset = n === 0 ? 0 : exact / n;
  return {
    kind: 'multi_label',
    n,
    subset_accuracy: subset,
    accuracy: subset,
    hamming_loss: n === 0 ? 0 : wrong / (n * k),
    micro_precision: micro.precision,
    micro_recall: micro.recall,
    micro_f1: micro.f1,
    macro_precision: macro.precision,
    macro_recall: macro.recall,
    macro_f1: macro.f1,
    weighted_precision: weighted.precision,
    weighted_recall: weighted.recall,
    weighted_f1: weighted.f1,
    per_class: perClass,
    thresholds: t,
    labels: [...labels],
  };
}

/** Candidate thresholds 0.05, 0.10, …, 0.95: coarse enough not to overfit a small validation split. */
export const THRESHOLD_GRID: readonly number[] = Array.from(
  { length: 19 },
  (_, i) => Math.round((i + 1) * 5) / 100,
);

/**
 * Per-label decision thresholds that maximise that label's F1 on the given (validation) split.
 * Ties go to the threshold nearest 0.5; a label with no positive example keeps 0.5, since no
 * threshold can be judged on it.
 */
export function tuneThresholds(
  yTrue: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  numLabels: number,
  candidates: readonly number[] = THRESHOLD_GRID,
): number[] {
  const k = numLabels;
  if (yTrue.length !== probabilities.length || yTrue.length % k !== 0) {
    throw new Error('indicator and probability matrices differ in shape');
  }
  const n = yTrue.length / k;
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    let positives = 0;
    for (let i = 0; i < n; i++) if ((yTrue[i * k + j] as number) !== 0) positives++;
    if (positives === 0) {
      out.push(0.5);
      continue;
    }
    let best = 0.5;
    let bestF1 = -1;
    for (const threshold of candidates) {
      let tp = 0;
      let fp = 0;
      for (let i = 0; i < n; i++) {
        if ((probabilities[i * k + j] as number) < threshold) continue;
        if ((yTrue[i * k + j] as number) !== 0) tp++;
        else fp++;
      }
      const f1 = (2 * tp) / (2 * tp + fp + (positives - tp));
      const better = f1 > bestF1 + 1e-12;
      const tieCloser = Math.abs(f1 - bestF1) <= 1e-12 && Math.abs(threshold - 0.5) < Math.abs(best - 0.5);
      if (better || tieCloser) {
        bestF1 = f1;
        best = threshold;
      }
    }
    out.push(best);
  }
  return out;
}
