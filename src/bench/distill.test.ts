// A smoke run of the distillation benchmark at toy sizes: every model is timed and compared.
import { describe, expect, it } from 'vitest';
import { benchDistill } from './distill.ts';
import { formatTable } from './table.ts';

describe('benchDistill', () => {
  it('times the teacher and each student on the same forward step', async () => {
    const rows = await benchDistill({
      dims: { dim: 16, nLayers: 4, nHeads: 2, hiddenDim: 32, vocabSize: 2000 },
      batch: 2,
      seqLength: 8,
      iterations: 1,
    });
    expect(rows.map((r) => r.name)).toEqual([
      'predict b=2 t=8, teacher (4 layers)',
      'predict b=2 t=8, student (2 of 4 layers)',
      'predict b=2 t=8, student (1 of 4 layers)',
    ]);
    for (const row of rows) expect(row.value, row.name).toBeGreaterThan(0);
    expect(rows[1]!.note).toContain('blocks 0, 2');
    for (const student of rows.slice(1)) {
      expect(student.ratio?.against).toBe('teacher');
      expect(student.ratio!.value).toBeCloseTo(student.value / rows[0]!.value, 10);
    }
    expect(formatTable(rows)).toContain('student (1 of 4 layers)');
  });
});
