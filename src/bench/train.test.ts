// A smoke run of the training benchmark at toy sizes: it must stay callable and report every figure.
import { describe, expect, it } from 'vitest';
import { requirePython } from '../node/python.ts';
import { formatTable } from './table.ts';
import { benchTrain } from './train.ts';

describe('benchTrain', () => {
  it('measures head-only, top-2 and full training, the cached head epoch and the PyTorch baseline', async () => {
    const rows = await benchTrain({
      dims: { dim: 16, nLayers: 2, nHeads: 2, hiddenDim: 32, vocabSize: 2000 },
      seqLength: 16,
      batchSize: 4,
      headBatchSize: 8,
      steps: 2,
      headEpochExamples: 200,
    });
    for (const prefix of [
      'head-only (cached) b=8',
      'top-2 + head (cached bottom) b=4',
      'full fine-tuning b=4',
    ]) {
      const measured = rows.filter((r) => r.where === 'node wasm' && r.name.startsWith(prefix));
      expect(
        measured.map((r) => r.unit),
        prefix,
      ).toContain('examples/s');
      for (const r of measured) expect(r.value, `${r.name} ${r.unit}`).toBeGreaterThan(0);
    }
    const epoch = rows.find((r) => r.unit === 's/epoch');
    expect(epoch?.name).toMatch(/head-only epoch, 200 cached \[200, 16\] features/);
    expect(epoch!.value).toBeGreaterThan(0);
    const full = rows.find(
      (r) => r.name.startsWith('full fine-tuning') && r.where === 'node wasm' && r.unit === 'examples/s',
    )!;
    // The full step trains its whole batch at once by default, as the studio does.
    expect(full.name).toBe('full fine-tuning b=4 t=16');
    expect(full.note).toContain('gradient checkpointing');
    requirePython();
    expect(rows.find((r) => r.where === 'pytorch cpu')!.value).toBeGreaterThan(0);
    expect(full.ratio?.against).toBe('PyTorch CPU');
    expect(full.ratio!.value).toBeGreaterThan(0);
    expect(formatTable(rows)).toContain('head-only epoch');
  });
});
