// The GPU benchmark at toy sizes: on this machine's WebGPU adapter (SwiftShader without a GPU) it
// must report every figure, and its PyTorch script, run on the CPU, every precision and step.
import { describe, expect, it } from 'vitest';
import { requirePython } from '../node/python.ts';
import { benchGpu, measureTorch } from './gpu.ts';

const DIMS = { dim: 16, nLayers: 2, nHeads: 2, hiddenDim: 32, vocabSize: 2000, numLabels: 2 };

describe('benchGpu', () => {
  it('times the forward pass, the full fine-tuning step and the head-only epoch on WebGPU in Node', async () => {
    const rows = await benchGpu({ dims: DIMS, batches: [2], seqLength: 8, steps: 1, headEpochExamples: 64 });
    const ours = rows.filter((r) => r.where.startsWith('node webgpu (dawn'));
    expect(ours.map((r) => r.name)).toEqual([
      'forward (frozen) b=2 t=8',
      'full fine-tuning step b=2 t=8',
      'head-only epoch, 64 cached [64, 16] features, b=16',
    ]);
    for (const r of ours) expect(r.value, r.name).toBeGreaterThan(0);
    // No CUDA here: the baseline says why it is missing instead of vanishing.
    const baseline = rows.find((r) => r.where === 'pytorch cuda');
    expect(baseline?.note).toMatch(/^skipped: /);
  }, 300_000);

  it("runs the PyTorch baseline's steps in every precision (on the CPU where no GPU is)", async () => {
    requirePython();
    const result = await measureTorch(DIMS, [2], 8, 1, ['fp32', 'tf32', 'bf16'], 'cpu');
    expect(result.available).toBe(true);
    if (!result.available) return;
    expect(result.rows.map((r) => `${r.precision} ${r.mode}`)).toEqual([
      'fp32 forward',
      'fp32 full',
      'tf32 forward',
      'tf32 full',
      'bf16 forward',
      'bf16 full',
    ]);
    for (const r of result.rows) expect(r.msPerStep).toBeGreaterThan(0);
  }, 120_000);
});
