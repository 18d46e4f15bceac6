// Turns a run's test-split probabilities into what the Evaluate step shows: metrics at the chosen
// decision threshold, predictions, and the mistakes ranked by how sure the model was.
import {
  multiLabelMetrics,
  singleLabelMetrics,
  type MultiLabelMetrics,
  type SingleLabelMetrics,
} from '../../core/metrics/index.ts';

export interface ScoredSplit {
  labels: readonly string[];
  multiLabel: boolean;
  /** Row-major [n, k] probabilities (softmax for single-label, sigmoid for multi-label). */
  probabilities: Float32Array;
  /** Single-label: class index per example. Multi-label: [n, k] 0/1. */
  truth: ArrayLike<number>;
}

export interface Decision {
  /** Binary single-label: index of the positive label and the probability it needs. */
  binary?: { positive: number; threshold: number };
  /** Multi-label: threshold per label. */
  thresholds?: readonly number[];
}

export interface ExampleVerdict {
  index: number;
  /** Single-label: [class]; multi-label: the label indices, possibly none. */
  truth: number[];
  predicted: number[];
  correct: boolean;
  /** Probability the model gave its (wrong or right) decision: the predicted class, or for
   *  multi-label the mean distance of each label's probability from its threshold, as a 0–1 score. */
  confidence: number;
}

export interface Evaluation {
  metrics: SingleLabelMetrics | MultiLabelMetrics;
  verdicts: ExampleVerdict[];
}

export function exampleCount(split: ScoredSplit): number {
  return split.labels.length === 0 ? 0 : split.probabilities.length / split.labels.length;
}

function singleLabelPredictions(split: ScoredSplit, decision: Decision): Int32Array {
  const k = split.labels.length;
  const n = exampleCount(split);
  const out = new Int32Array(n);
  const binary = k === 2 ? decision.binary : undefined;
  for (let i = 0; i < n; i++) {
    if (binary) {
      const p = split.probabilities[i * k + binary.positive]!;
      out[i] = p >= binary.threshold ? binary.positive : 1 - binary.positive;
      continue;
    }
    let best = 0;
    for (let j = 1; j < k; j++) {
      if (split.probabilities[i * k + j]! > split.probabilities[i * k + best]!) best = j;
    }
    out[i] = best;
  }
  return out;
}

export function evaluateSplit(split: ScoredSplit, decision: Decision = {}): Evaluation {
  const k = split.labels.length;
  const n = exampleCount(split);
  if (!split.multiLabel) {
    const predicted = singleLabelPredictions(split, decision);
    const metrics = singleLabelMetrics(split.truth, predicted, split.labels);
    const verdicts: ExampleVerdict[] = [];
    for (let i = 0; i < n; i++) {
      const t = split.truth[i]!;
      const p = predicted[i]!;
      verdicts.push({
        index: i,
        truth: [t],
        predicted: [p],
        correct: t === p,
        confidence: split.probabilities[i * k + p]!,
      });
    }
    return { metrics, verdicts };
  }
  const thresholds = decision.thresholds ?? new Array<number>(k).fill(0.5);
  const metrics = multiLabelMetrics(split.truth, split.probabilities, split.labels, thresholds);
  const verdicts: ExampleVerdict[] = [];
  for (let i = 0; i < n; i++) {
    const truth: number[] = [];
    const predicted: number[] = [];
    let margin = 0;
    for (let j = 0; j < k; j++) {
      const p = split.probabilities[i * k + j]!;
      const t = thresholds[j] ?? 0.5;
      if (split.truth[i * k + j]) truth.push(j);
      if (p >= t) predicted.push(j);
      // How far past the threshold the decision was, scaled to 0–1 on its side of the threshold.
      margin += p >= t ? (p - t) / Math.max(1 - t, 1e-9) : (t - p) / Math.max(t, 1e-9);
    }
    const correct = truth.length === predicted.length && truth.every((j, idx) => predicted[idx] === j);
    verdicts.push({ index: i, truth, predicted, correct, confidence: margin / k });
  }
  return { metrics, verdicts };
}

/** Wrong predictions, the most confident first: those are the ones worth reading. */
export function mistakesByConfidence(verdicts: readonly ExampleVerdict[]): ExampleVerdict[] {
  return verdicts.filter((v) => !v.correct).sort((a, b) => b.confidence - a.confidence || a.index - b.index);
}

/** Examples in one confusion-matrix cell (single-label), the most confident first. */
export function examplesInCell(
  verdicts: readonly ExampleVerdict[],
  truth: number,
  predicted: number,
): ExampleVerdict[] {
  return verdicts
    .filter((v) => v.truth[0] === truth && v.predicted[0] === predicted)
    .sort((a, b) => b.confidence - a.confidence || a.index - b.index);
}
