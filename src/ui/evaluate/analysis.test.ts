import { describe, expect, it } from 'vitest';
import { evaluateSplit, examplesInCell, mistakesByConfidence } from './analysis.ts';

describe('evaluateSplit, single-label', () => {
  const split = {
    labels: ['negative', 'positive'],
    multiLabel: false,
    probabilities: new Float32Array([0.9, 0.1, 0.4, 0.6, 0.3, 0.7, 0.45, 0.55]),
    truth: new Int32Array([0, 0, 1, 0]),
  };

  it('takes the argmax without a threshold', () => {
    const { metrics, verdicts } = evaluateSplit(split);
    expect(verdicts.map((v) => v.predicted[0])).toEqual([0, 1, 1, 1]);
    expect(metrics.accuracy).toBeCloseTo(0.5, 12);
  });

  it('moves predictions with the binary threshold', () => {
    const { metrics, verdicts } = evaluateSplit(split, { binary: { positive: 1, threshold: 0.65 } });
    expect(verdicts.map((v) => v.predicted[0])).toEqual([0, 0, 1, 0]);
    expect(metrics.accuracy).toBe(1);
  });

  it('ranks mistakes by confidence and lists a confusion cell', () => {
    const { verdicts } = evaluateSplit(split);
    const mistakes = mistakesByConfidence(verdicts);
    expect(mistakes.map((m) => m.index)).toEqual([1, 3]);
    expect(mistakes[0]!.confidence).toBeCloseTo(0.6, 6);
    expect(examplesInCell(verdicts, 0, 1).map((v) => v.index)).toEqual([1, 3]);
    expect(examplesInCell(verdicts, 1, 1).map((v) => v.index)).toEqual([2]);
  });
});

describe('evaluateSplit, multi-label', () => {
  it('applies per-label thresholds, including a row with no label', () => {
    const split = {
      labels: ['a', 'b'],
      multiLabel: true,
      probabilities: new Float32Array([0.8, 0.2, 0.3, 0.6, 0.1, 0.1]),
      truth: new Uint8Array([1, 0, 0, 0, 0, 0]),
    };
    const loose = evaluateSplit(split, { thresholds: [0.5, 0.5] });
    expect(loose.verdicts.map((v) => v.predicted)).toEqual([[0], [1], []]);
    expect(loose.verdicts.map((v) => v.correct)).toEqual([true, false, true]);
    const strict = evaluateSplit(split, { thresholds: [0.5, 0.7] });
    expect(strict.verdicts.every((v) => v.correct)).toBe(true);
    expect(strict.metrics.kind).toBe('multi_label');
  });
});
