import { describe, expect, it } from 'vitest';
import { SPEED_TOKENS, speedFromTiming } from './model.ts';

describe('speedFromTiming', () => {
  it('counts texts of SPEED_TOKENS tokens per second in batches of 16, the fixed cost included', () => {
    // A batch of 16 × 128 tokens: 0.05 s fixed + 2048 × 1e-4 s = 0.2548 s, so 16 / 0.2548 texts/s.
    expect(SPEED_TOKENS).toBe(128);
    expect(speedFromTiming({ overheadSec: 0.05, secPerToken: 1e-4 })).toBeCloseTo(16 / 0.2548, 6);
  });

  it('gives no speed for a timing that cannot be one', () => {
    expect(speedFromTiming({ overheadSec: 0, secPerToken: 0 })).toBeNull();
    expect(speedFromTiming({ overheadSec: Number.NaN, secPerToken: 1e-4 })).toBeNull();
  });
});
