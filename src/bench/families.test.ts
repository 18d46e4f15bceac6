// A smoke run of the families benchmark at toy sizes: every family runs on WASM beside its
// transformers class on PyTorch CPU, and every figure is reported.
import { describe, expect, it } from 'vitest';
import { SUPPORTED_MODEL_TYPES } from '../core/model/index.ts';
import { requirePython } from '../node/python.ts';
import { benchFamilies, FAMILY_BASES, quickFamilyBases } from './families.ts';

describe('benchFamilies', () => {
  it('times every family forward and forward+backward with peak memory and the PyTorch ratio', async () => {
    requirePython();
    const rows = await benchFamilies({ bases: quickFamilyBases(), batch: 2, seqLength: 16, iterations: 1 });
    const families = new Set(FAMILY_BASES.map((b) => b.config.model_type));
    // Every family the studio trains has its row.
    expect(families).toEqual(new Set(SUPPORTED_MODEL_TYPES));
    for (const { checkpoint } of FAMILY_BASES) {
      for (const mode of ['forward', 'forward+backward']) {
        const name = `${checkpoint} ${mode} b=2 t=16`;
        const speed = rows.find((r) => r.name === name && r.where === 'node wasm' && r.unit === 'seq/s');
        expect(speed?.value, name).toBeGreaterThan(0);
        expect(speed?.ratio?.against, name).toBe('PyTorch CPU');
        const memory = rows.find((r) => r.name === name && r.unit.startsWith('MB peak tf.memory'));
        expect(memory?.value, name).toBeGreaterThan(0);
        const torch = rows.find((r) => r.name === name && r.where === 'pytorch cpu');
        expect(torch?.value, name).toBeGreaterThan(0);
      }
    }
  });
});
