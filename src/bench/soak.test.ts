import { describe, expect, it } from 'vitest';
import { benchSoak } from './soak.ts';

describe('soak bench', () => {
  it('runs a short soak and reports no tensor growth after warm-up', async () => {
    // Batch 16 of 800 training rows: 50 steps an epoch, so the third epoch is past warm-up.
    const rows = await benchSoak({ steps: 150, batchSize: 16, maxLength: 32 });
    expect(rows.map((r) => r.name)).toEqual([
      'training steps',
      'tfjs tensors, growth after warm-up',
      'tfjs tensor memory, growth after warm-up',
      'JS heap after a collection, growth after warm-up',
      'ArrayBuffers held, growth after warm-up',
    ]);
    expect(rows[0]!.value).toBe(150);
    expect(rows[1]!.value).toBeLessThanOrEqual(0);
    expect(rows[2]!.value).toBeLessThanOrEqual(0);
  }, 600_000);
});
