// A smoke run of the model benchmark at toy sizes: it must stay callable and report every figure.
import { describe, expect, it } from 'vitest';
import { requirePython } from '../node/python.ts';
import { benchModel } from './model.ts';
import { formatTable } from './table.ts';

describe('benchModel', () => {
  it('measures forward and forward+backward on wasm and cpu, with memory, dispatches and the PyTorch baseline', async () => {
    const rows = await benchModel({
      dims: { dim: 16, nLayers: 1, nHeads: 2, hiddenDim: 32, vocabSize: 2000 },
      cases: [
        { backend: 'wasm', batch: 2, seqLength: 8 },
        { backend: 'cpu', batch: 1, seqLength: 8 },
      ],
      iterations: 1,
    });
    for (const where of ['node wasm', 'node cpu']) {
      for (const mode of ['forward', 'forward+backward']) {
        const measured = rows.filter((r) => r.where === where && r.name.startsWith(`${mode} b=`));
        expect(measured.map((r) => r.unit).sort(), `${where} ${mode}`).toEqual(
          [
            'MB peak JS heap',
            'MB peak tf.memory (weights included)',
            'kernel dispatches/step',
            'seq/s',
            'tokens/s',
          ].sort(),
        );
        for (const r of measured) expect(r.value, `${where} ${mode} ${r.unit}`).toBeGreaterThan(0);
      }
    }
    const backward = rows.find(
      (r) =>
        r.where === 'node cpu' &&
        r.name.startsWith('forward+backward') &&
        r.unit === 'kernel dispatches/step',
    );
    expect(backward!.note).toMatch(/BatchMatMul \d+/);
    requirePython();
    expect(rows.filter((r) => r.where === 'pytorch cpu' && r.unit === 'seq/s')).toHaveLength(4);
    expect(rows.find((r) => r.where === 'node wasm' && r.unit === 'seq/s')!.ratio?.against).toBe(
      'PyTorch CPU',
    );
    expect(formatTable(rows)).toContain('| model');
  });
});
