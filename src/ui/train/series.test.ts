import { describe, expect, it } from 'vitest';
import { lttb, smoothEma } from './series.ts';

describe('lttb', () => {
  it('returns the series unchanged when it is already short', () => {
    const points = [0, 1, 2].map((x) => ({ x, y: x * 2 }));
    expect(lttb(points, 10)).toEqual(points);
  });

  it('keeps the endpoints, the threshold size and an isolated spike', () => {
    const points = Array.from({ length: 10_000 }, (_, x) => ({ x, y: x === 4321 ? 100 : Math.sin(x / 50) }));
    const sampled = lttb(points, 300);
    expect(sampled).toHaveLength(300);
    expect(sampled[0]).toBe(points[0]);
    expect(sampled[sampled.length - 1]).toBe(points[9999]);
    expect(sampled.some((p) => p.x === 4321)).toBe(true);
    for (let i = 1; i < sampled.length; i++) expect(sampled[i]!.x).toBeGreaterThan(sampled[i - 1]!.x);
  });
});

describe('smoothEma', () => {
  it('starts at the first value and equals a hand computation', () => {
    const out = smoothEma([1, 3], 0.5);
    expect(out[0]).toBeCloseTo(1, 12);
    // last = 0.5*0.5 + 0.5*3 = 1.75; debias = 0.75
    expect(out[1]).toBeCloseTo(1.75 / 0.75, 12);
  });

  it('is the identity with weight 0', () => {
    expect(smoothEma([4, 2, 7], 0)).toEqual([4, 2, 7]);
  });
});
