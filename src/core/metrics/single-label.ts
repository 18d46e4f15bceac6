// Metrics for single-label classification: one class index per example.
import { classScores, macroAverage, microAverage, weightedAverage, type ClassScores } from './scores.ts';

export interface SingleLabelMetrics {
  kind: 'single_label';
  /** Number of examples scored. */
  n: number;
  accuracy: number;
  macro_precision: number;
  macro_recall: number;
  macro_f1: number;
  micro_precision: number;
  micro_recall: number;
  micro_f1: number;
  weighted_precision: number;
  weighted_recall: number;
  weighted_f1: number;
  /** One entry per label, in label order, including labels absent from this split. */
  per_class: ClassScores[];
  /** confusion_matrix[true][predicted], counts. */
  confusion_matrix: number[][];
  labels: string[];
}

/**
 * Scores predictions against true class indices. Averages run, as scikit-learn's do by default,
 * over the labels that occur in the true or the predicted classes; a label absent from both (say,
 * missing from a small validation split and never predicted) would otherwise drag every macro
 * score down for nothing the model did.
 */
export function singleLabelMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  labels: readonly string[],
): SingleLabelMetrics {
  if (yTrue.length !== yPred.length) {
    throw new Error(`${yTrue.length} true labels but ${yPred.length} predictions`);
  }
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] as number;
    const p = yPred[i] as number;
    if (!(t >= 0 && t < k && Number.isInteger(t)))
      throw new Error(`true label ${t} at row ${i} is not in 0..${k - 1}`);
    if (!(p >= 0 && p < k && Number.isInteger(p)))
      throw new Error(`prediction ${p} at row ${i} is not in 0..${k - 1}`);
    (confusion[t] as number[])[p]! += 1;
    if (t === p) correct++;
  }
  const perClass: ClassScores[] = [];
  const present: ClassScores[] = [];
  for (let c = 0; c < k; c++) {
    const row = confusion[c] as number[];
    const tp = row[c] as number;
    let fn = 0;
    let fp = 0;
    for (let j = 0; j < k; j++) {
      if (j === c) continue;
      fn += row[j] as number;
      fp += (confusion[j] as number[])[c] as number;
    }
    const scores = classScores(labels[c] as string, tp, fp, fn);
    perClass.push(scores);
    if (scores.support > 0 || scores.predicted > 0) present.push(scores);
  }
  const macro = macroAverage(present);
  const micro = microAverage(present);
  const weighted = weightedAverage(present);
  return {
    kind: 'single_label',
    n: yTrue.length,
    accuracy: yTrue.length === 0 ? 0 : correct / yTrue.length,
    macro_precision: macro.precision,
    macro_recall: macro.recall,
    macro_f1: macro.f1,
    micro_precision: micro.precision,
    micro_recall: micro.recall,
    micro_f1: micro.f1,
    weighted_precision: weighted.precision,
    weighted_recall: weighted.recall,
    weighted_f1: weighted.f1,
    per_class: perClass,
    confusion_matrix: confusion,
    labels: [...labels],
  };
}

/** Index of the largest score in each row of a row-major [n, k] matrix (first one on ties). */
export function argmaxRows(scores: ArrayLike<number>, k: number): Int32Array {
  const n = Math.floor(scores.length / k);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = scores[i * k] as number;
    for (let j = 1; j < k; j++) {
      const v = scores[i * k + j] as number;
      if (v > bestValue) {
        bestValue = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}
