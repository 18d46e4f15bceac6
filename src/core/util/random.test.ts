import { describe, expect, it } from 'vitest';
import { createRng, permutation } from './random.ts';

describe('seeded random numbers', () => {
  it('repeats the same sequence for the same seed and differs for another', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 8 }, () => a.nextUint32());
    const seqB = Array.from({ length: 8 }, () => b.nextUint32());
    const seqC = Array.from({ length: 8 }, () => c.nextUint32());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
  });

  it('draws roughly uniform floats and standard normals', () => {
    const rng = createRng('stats');
    let sum = 0;
    let sumNormal = 0;
    let sumNormalSq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      const z = rng.normal();
      sumNormal += z;
      sumNormalSq += z * z;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sumNormal / n).toBeCloseTo(0, 1);
    expect(sumNormalSq / n).toBeCloseTo(1, 1);
  });

  it('shuffles into a permutation, reproducibly', () => {
    const p = permutation(100, createRng(7));
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(permutation(100, createRng(7)))).toEqual(Array.from(p));
  });

  it('bounds int(n) and rejects bad n', () => {
    const rng = createRng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[rng.int(3)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(() => rng.int(0)).toThrow(RangeError);
  });
});
