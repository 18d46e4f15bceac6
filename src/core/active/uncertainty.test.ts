import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diverseBatch, uncertaintyScores } from './uncertainty.ts';

describe('uncertainty scores', () => {
  it('equal hand-computed entropy and margin (single-label)', () => {
    const probabilities = [
      [1, 0, 0], // certain
      [0.5, 0.5, 0], // a tie between two
      [0.25, 0.25, 0.5],
      [1 / 3, 1 / 3, 1 / 3], // uniform
    ].flat();
    const entropy = [...uncertaintyScores(probabilities, 3, 'entropy')];
    const expected = [0, Math.LN2, 0.5 * Math.log(4) + 0.5 * Math.LN2, Math.log(3)];
    entropy.forEach((h, i) => expect(h).toBeCloseTo(expected[i]!, 12));
    // 1 − (p₍₁₎ − p₍₂₎): 1 − 1, 1 − 0, 1 − 0.25, 1 − 0
    expect([...uncertaintyScores(probabilities, 3, 'margin')]).toEqual([0, 1, 0.75, 1]);
  });

  it('equal hand-computed values per label (multi-label)', () => {
    const probabilities = [0.5, 1, 0.9, 0.2];
    const h = (p: number) => -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
    const entropy = uncertaintyScores(probabilities, 2, 'entropy', true);
    expect(entropy[0]).toBeCloseTo(Math.LN2 / 2, 12); // (ln 2 + 0) / 2
    expect(entropy[1]).toBeCloseTo((h(0.9) + h(0.2)) / 2, 12);
    const margin = uncertaintyScores(probabilities, 2, 'margin', true);
    expect(margin[0]).toBe(1); // p = 0.5 sits on the threshold
    expect(margin[1]).toBeCloseTo(1 - 0.6, 12); // |2 · 0.2 − 1| = 0.6 < |2 · 0.9 − 1| = 0.8
  });

  it('rejects bad shapes and strategies in one line', () => {
    expect(() => uncertaintyScores([0.5, 0.5, 1], 2, 'entropy')).toThrow(/do not split into rows of 2/);
    expect(() => uncertaintyScores([0.5, 0.5], 2, 'random' as 'entropy')).toThrow(
      /entropy or margin, got "random"/,
    );
  });
});

describe('diverse batch', () => {
  it('takes the most uncertain rows, skipping one too close to a chosen row', () => {
    const scores = [0.9, 0.8, 0.7, 0.1];
    const features = [0, 0, 0.5, 0, 3, 0, 10, 0]; // row 1 is 0.5 from row 0
    expect(diverseBatch(scores, features, 2, 3, 1)).toEqual([0, 2, 3]);
    expect(diverseBatch(scores, features, 2, 3, 0)).toEqual([0, 1, 2]);
    expect(diverseBatch(scores, features, 2, 2, 100)).toEqual([0]);
  });

  it('never holds two rows closer than the radius, and holds the top row', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.double({ min: -5, max: 5, noNaN: true }),
            fc.double({ min: -5, max: 5, noNaN: true }),
          ),
          { minLength: 1, maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        (points, count, radius) => {
          const scores = points.map((p) => p[0]);
          const features = points.flatMap((p) => [p[1], p[2]]);
          const batch = diverseBatch(scores, features, 2, count, radius);
          expect(batch.length).toBeLessThanOrEqual(count);
          expect(new Set(batch).size).toBe(batch.length);
          expect(scores[batch[0]!]).toBe(Math.max(...scores));
          for (let a = 0; a < batch.length; a++) {
            for (let b = a + 1; b < batch.length; b++) {
              const [i, j] = [batch[a]!, batch[b]!];
              expect(
                Math.sqrt(
                  (features[2 * i]! - features[2 * j]!) ** 2 +
                    (features[2 * i + 1]! - features[2 * j + 1]!) ** 2,
                ),
              ).toBeGreaterThanOrEqual(radius);
            }
          }
        },
      ),
    );
  });
});
