import { describe, expect, it } from 'vitest';
import { packSteps, unpackSteps } from './savedSeries.ts';

describe('saved step series', () => {
  it('round-trips every step exactly through the packed columns, and survives a structured clone', () => {
    const steps = Array.from({ length: 1000 }, (_, i) => ({
      step: i + 1,
      epoch: (i + 1) / 333,
      loss: Math.fround(Math.exp(-i / 200) + 0.01 * Math.sin(i)),
      lr: 2e-5 * Math.min(1, (i + 1) / 100),
    }));
    const packed = structuredClone(packSteps(steps));
    expect(packed.values).toBeInstanceOf(Float64Array);
    expect(packed.values).toHaveLength(4000);
    expect(unpackSteps(packed)).toEqual(steps);
  });

  it('reads older saves (an object per step) as they are, and an empty or unreadable series as no steps', () => {
    const old = [{ step: 1, epoch: 0.1, loss: 0.7, lr: 1e-3 }];
    expect(unpackSteps(old)).toBe(old);
    expect(unpackSteps(packSteps([]))).toEqual([]);
    expect(unpackSteps(undefined)).toEqual([]);
    expect(unpackSteps({ columns: 'other', values: new Float64Array(4) })).toEqual([]);
  });
});
