// A smoke run of the label-issue benchmark at toy sizes: it must stay callable and report both figures.
import { describe, expect, it } from 'vitest';
import { benchQuality } from './quality.ts';

describe('benchQuality', () => {
  it('times the fold models against one run and reports the ratio', async () => {
    const rows = await benchQuality({
      dims: { dim: 16, nLayers: 1, nHeads: 2, hiddenDim: 32 },
      rows: 300,
      maxLength: 16,
      folds: 2,
    });
    expect(rows.map((r) => r.name)).toEqual([
      'single head-only run, Banking77 train',
      'label-issue detection, 2 head-only folds, Banking77 train',
    ]);
    for (const r of rows) expect(r.value).toBeGreaterThan(0);
    expect(rows[1]!.ratio?.against).toBe('single run');
    expect(rows[1]!.note).toMatch(/out-of-fold probabilities for all 300 rows/);
  });
});
