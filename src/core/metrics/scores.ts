// Precision, recall and F1 from counts, defined as scikit-learn defines them with
// zero_division=0: a ratio whose denominator is zero counts as 0 (a class never predicted has
// precision 0; a class that never occurs has recall 0).

export interface ClassScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Examples whose true label is this class. */
  support: number;
  /** Examples predicted as this class. */
  predicted: number;
  tp: number;
  fp: number;
  fn: number;
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

const ratio = (numerator: number, denominator: number): number =>
  denominator === 0 ? 0 : numerator / denominator;

export function classScores(label: string, tp: number, fp: number, fn: number): ClassScores {
  return {
    label,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    support: tp + fn,
    predicted: tp + fp,
    tp,
    fp,
    fn,
  };
}

export function macroAverage(classes: readonly ClassScores[]): Averages {
  const n = classes.length;
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  for (const c of classes) {
    precision += c.precision;
    recall += c.recall;
    f1 += c.f1;
  }
  return { precision: ratio(precision, n), recall: ratio(recall, n), f1: ratio(f1, n) };
}

export function weightedAverage(classes: readonly ClassScores[]): Averages {
  let total = 0;
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  for (const c of classes) {
    total += c.support;
    precision += c.precision * c.support;
    recall += c.recall * c.support;
    f1 += c.f1 * c.support;
  }
  return { precision: ratio(precision, total), recall: ratio(recall, total), f1: ratio(f1, total) };
}

export function microAverage(classes: readonly ClassScores[]): Averages {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const c of classes) {
    tp += c.tp;
    fp += c.fp;
    fn += c.fn;
  }
  return { precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn) };
}
