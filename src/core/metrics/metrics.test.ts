import { describe, expect, it } from 'vitest';
import {
  argmaxRows,
  greaterIsBetter,
  multiLabelMetrics,
  scalarMetrics,
  singleLabelMetrics,
  tuneThresholds,
} from './index.ts';

describe('single-label metrics', () => {
  // Class c occurs twice and is never predicted; class d neither occurs nor is predicted.
  const labels = ['a', 'b', 'c', 'd'];
  const yTrue = [0, 0, 0, 1, 1, 2, 2, 1];
  const yPred = [0, 1, 0, 1, 1, 0, 1, 1];
  const m = singleLabelMetrics(yTrue, yPred, labels);

  it('counts the confusion matrix as [true][predicted]', () => {
    expect(m.confusion_matrix).toEqual([
      [2, 1, 0, 0],
      [0, 3, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('scores each class, a never-predicted class with precision 0', () => {
    const [a, b, c, d] = m.per_class;
    expect(a).toMatchObject({ label: 'a', tp: 2, fp: 1, fn: 1, support: 3, predicted: 3 });
    expect(a!.precision).toBeCloseTo(2 / 3, 12);
    expect(a!.recall).toBeCloseTo(2 / 3, 12);
    expect(a!.f1).toBeCloseTo(2 / 3, 12);
    expect(b!.precision).toBeCloseTo(3 / 5, 12);
    expect(b!.recall).toBe(1);
    expect(b!.f1).toBeCloseTo(0.75, 12);
    expect(c).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 2, predicted: 0 });
    expect(d).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 0 });
  });

  it('averages over the labels that occur, like scikit-learn', () => {
    expect(m.accuracy).toBe(5 / 8);
    expect(m.macro_precision).toBeCloseTo(19 / 45, 12);
    expect(m.macro_recall).toBeCloseTo(5 / 9, 12);
    expect(m.macro_f1).toBeCloseTo(17 / 36, 12);
    expect(m.weighted_precision).toBeCloseTo(0.475, 12);
    expect(m.weighted_recall).toBeCloseTo(5 / 8, 12);
    expect(m.weighted_f1).toBeCloseTo(0.53125, 12);
    expect(m.micro_precision).toBeCloseTo(5 / 8, 12);
    expect(m.micro_recall).toBeCloseTo(5 / 8, 12);
    expect(m.micro_f1).toBeCloseTo(5 / 8, 12);
  });

  it('handles an empty split and rejects out-of-range labels', () => {
    const empty = singleLabelMetrics([], [], ['x', 'y']);
    expect(empty.accuracy).toBe(0);
    expect(empty.macro_f1).toBe(0);
    expect(() => singleLabelMetrics([0, 2], [0, 1], ['x', 'y'])).toThrow(/true label 2/);
    expect(() => singleLabelMetrics([0], [0, 1], ['x', 'y'])).toThrow(/1 true labels but 2/);
  });

  it('flattens scalars and knows which way is better', () => {
    const flat = scalarMetrics(m);
    expect(flat.accuracy).toBe(5 / 8);
    expect(flat).not.toHaveProperty('n');
    expect(greaterIsBetter('macro_f1')).toBe(true);
    expect(greaterIsBetter('eval_loss')).toBe(false);
    expect(greaterIsBetter('hamming_loss')).toBe(false);
  });

  it('takes the first maximum per row', () => {
    expect(Array.from(argmaxRows([0.1, 0.7, 0.2, 0.5, 0.5, 0, -1, -2, -0.5], 3))).toEqual([1, 0, 2]);
  });
});

describe('multi-label metrics', () => {
  const labels = ['x', 'y', 'z'];
  // Rows 1 and 3 have no label at all.
  const yTrue = [1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0];
  const probs = [0.9, 0.2, 0.4, 0.1, 0.1, 0.2, 0.6, 0.7, 0.1, 0.3, 0.2, 0.8];

  it('scores at the default 0.5 threshold', () => {
    const m = multiLabelMetrics(yTrue, probs, labels);
    expect(m.n).toBe(4);
    expect(m.subset_accuracy).toBe(1 / 4);
    expect(m.accuracy).toBe(1 / 4);
    expect(m.hamming_loss).toBe(3 / 12);
    expect(m.micro_precision).toBeCloseTo(0.5, 12);
    expect(m.micro_recall).toBeCloseTo(2 / 3, 12);
    expect(m.micro_f1).toBeCloseTo(4 / 7, 12);
    expect(m.macro_precision).toBeCloseTo(0.5, 12);
    expect(m.macro_recall).toBeCloseTo(2 / 3, 12);
    expect(m.macro_f1).toBeCloseTo(5 / 9, 12);
    expect(m.per_class.map((c) => [c.tp, c.fp, c.fn])).toEqual([
      [1, 1, 0],
      [1, 0, 0],
      [0, 1, 1],
    ]);
    expect(m.thresholds).toEqual([0.5, 0.5, 0.5]);
  });

  it('tunes per-label thresholds for F1, ties nearest 0.5', () => {
    const thresholds = tuneThresholds(yTrue, probs, 3);
    expect(thresholds).toEqual([0.65, 0.5, 0.4]);
    const tuned = multiLabelMetrics(yTrue, probs, labels, thresholds);
    expect(tuned.subset_accuracy).toBe(3 / 4);
    expect(tuned.hamming_loss).toBe(1 / 12);
    expect(tuned.micro_f1).toBeCloseTo(6 / 7, 12);
  });

  it('keeps 0.5 for a label with no positive example', () => {
    expect(tuneThresholds([0, 1, 0, 0], [0.9, 0.3, 0.2, 0.1], 2)).toEqual([0.5, 0.3]);
  });

  it('counts empty predicted and true sets as an exact match', () => {
    const m = multiLabelMetrics([0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], ['p', 'q']);
    expect(m.subset_accuracy).toBe(1);
    expect(m.hamming_loss).toBe(0);
    expect(m.micro_f1).toBe(0);
    expect(m.macro_f1).toBe(0);
  });
});
