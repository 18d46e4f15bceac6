import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { centredDirections, suggestRows } from './suggest.ts';
import { uncertaintyScores } from './uncertainty.ts';

const distance = (v: Float32Array, dim: number, a: number, b: number) => {
  let squared = 0;
  for (let j = 0; j < dim; j++) squared += (v[a * dim + j]! - v[b * dim + j]!) ** 2;
  return Math.sqrt(squared);
};

describe('centred directions', () => {
  it('subtract the mean and scale each row to unit length', () => {
    // mean (2, 1): rows become (−1, 1) / √2, (1, −1) / √2, (0, 0) kept at the origin
    const out = centredDirections([1, 2, 3, 0, 2, 1], 3, 2);
    const h = Math.SQRT1_2;
    [-h, h, h, -h, 0, 0].forEach((value, i) => expect(out[i]).toBeCloseTo(value, 6));
  });

  it('refuse features of the wrong size in one line', () => {
    expect(() => centredDirections([1, 2, 3], 2, 2)).toThrow(/hold 3 values, expected 2 × 2/);
  });
});

describe('suggested rows', () => {
  // Four rows, two classes; rows 0 and 1 are near-duplicates (same direction, tiny offset).
  const outputs = {
    probabilities: Float32Array.from([0.5, 0.5, 0.52, 0.48, 0.9, 0.1, 0.6, 0.4]),
    numLabels: 2,
    multiLabel: false,
    features: Float32Array.from([10, 0, 10.01, 0, 0, 10, -10, -10]),
    dim: 2,
  };

  it('rank by uncertainty, skip a near-duplicate of a chosen row, and name the predicted label', () => {
    const chosen = suggestRows(outputs, { count: 3, strategy: 'margin' });
    expect(chosen.map((s) => s.index)).toEqual([0, 3, 2]);
    expect(chosen[0]).toEqual({ index: 0, score: 1, predicted: [0] });
    expect(chosen[1]!.score).toBeCloseTo(0.8, 6);
    expect(chosen[2]!.predicted).toEqual([0]);
    // Radius 0 keeps the plain ranking, the duplicate included.
    expect(suggestRows(outputs, { count: 2, strategy: 'margin', radius: 0 }).map((s) => s.index)).toEqual([
      0, 1,
    ]);
  });

  it('predict every label at p ≥ 0.5 for multi-label rows', () => {
    const multi = {
      ...outputs,
      multiLabel: true,
      probabilities: Float32Array.from([0.5, 0.2, 0.7, 0.9, 0.1, 0.1, 0.4, 0.6]),
    };
    const chosen = suggestRows(multi, { count: 4, strategy: 'entropy', radius: 0 });
    const byIndex = new Map(chosen.map((s) => [s.index, s.predicted]));
    expect(byIndex.get(0)).toEqual([0]);
    expect(byIndex.get(1)).toEqual([0, 1]);
    expect(byIndex.get(2)).toEqual([]);
  });

  it('never hold two rows closer than the radius, and take the most uncertain row first', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        fc.infiniteStream(fc.double({ min: -3, max: 3, noNaN: true })),
        (rows, dim, count, radius, values) => {
          const take = (n: number) => Float32Array.from({ length: n }, () => values.next().value as number);
          const raw = take(rows);
          const probabilities = new Float32Array(rows * 2);
          raw.forEach((v, r) => {
            const p = 1 / (1 + Math.exp(-v));
            probabilities[2 * r] = p;
            probabilities[2 * r + 1] = 1 - p;
          });
          const features = take(rows * dim);
          const chosen = suggestRows(
            { probabilities, numLabels: 2, multiLabel: false, features, dim },
            { count, strategy: 'entropy', radius },
          );
          const directions = centredDirections(features, rows, dim);
          for (let a = 0; a < chosen.length; a++) {
            for (let b = a + 1; b < chosen.length; b++) {
              expect(distance(directions, dim, chosen[a]!.index, chosen[b]!.index)).toBeGreaterThanOrEqual(
                radius,
              );
            }
          }
          const scores = uncertaintyScores(probabilities, 2, 'entropy');
          expect(chosen[0]!.score).toBe(Math.max(...scores));
          expect(chosen.length).toBeLessThanOrEqual(count);
        },
      ),
    );
  });
});
