// The fused LayerNorm kernels on WebGPU (Dawn in Node, SwiftShader where no GPU exists) against
// the composed ops on the cpu backend, which the fixture parity tests hold to transformers: the
// output and every gradient, a row length that is not a multiple of the workgroup, no leaks, and
// the dispatches the fused kernels save.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countGpuWork, type CountableDevice } from '../core/backend/gpu-counter.ts';
import { layerNormRows } from '../core/model/layers.ts';
import { fusedLayerNormAvailable } from '../core/model/layer-norm-webgpu.ts';
import { createRng } from '../core/util/random.ts';
import { initNodeBackend } from './backend.ts';
import { registerNodeGradients } from './gradients.ts';

function values(seed: string, count: number, scale: number, offset = 0): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => offset + (rng.next() * 2 - 1) * scale);
}

async function layerNormAndGrads(rows: number, dim: number) {
  const x = tf.tensor2d(values('x', rows * dim, 3, 0.5), [rows, dim]);
  const gamma = tf.tensor1d(values('gamma', dim, 0.5, 1));
  const beta = tf.tensor1d(values('beta', dim, 0.2));
  const dy = tf.tensor2d(values('dy', rows * dim, 1), [rows, dim]);
  const y = layerNormRows(x, gamma, beta);
  const grads = tf.grads((a, g, b) =>
    tf.sum(tf.mul(layerNormRows(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D), dy)),
  );
  const [dx, dgamma, dbeta] = grads([x, gamma, beta]);
  const out = await Promise.all([y, dx!, dgamma!, dbeta!].map(async (t) => Array.from(await t.data())));
  tf.dispose([x, gamma, beta, dy, y, dx!, dgamma!, dbeta!]);
  return { y: out[0]!, dx: out[1]!, dgamma: out[2]!, dbeta: out[3]! };
}

const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('fused LayerNorm on WebGPU', () => {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    const choice = await initNodeBackend('webgpu');
    expect(choice.name, 'WebGPU (Dawn) must start here').toBe('webgpu');
    await registerNodeGradients();
  });
  afterAll(async () => {
    await tf.setBackend(previous || 'cpu');
  });

  for (const [rows, dim] of [
    [7, 768],
    [3, 300],
    [1, 32],
  ] as const) {
    it(`matches the composed ops on the cpu backend, output and every gradient ([${rows}, ${dim}])`, async () => {
      expect(fusedLayerNormAvailable()).toBe(true);
      const before = tf.memory().numTensors;
      const gpu = await layerNormAndGrads(rows, dim);
      expect(tf.memory().numTensors).toBe(before);
      await tf.setBackend('cpu');
      const cpu = await layerNormAndGrads(rows, dim);
      await tf.setBackend('webgpu');
      expect(maxAbsDiff(gpu.y, cpu.y)).toBeLessThan(1e-5);
      expect(maxAbsDiff(gpu.dx, cpu.dx)).toBeLessThan(1e-5);
      expect(maxAbsDiff(gpu.dgamma, cpu.dgamma)).toBeLessThan(1e-4);
      expect(maxAbsDiff(gpu.dbeta, cpu.dbeta)).toBeLessThan(1e-4);
      // Not a degenerate case: the gradients carry signal.
      expect(Math.max(...gpu.dx.map(Math.abs))).toBeGreaterThan(1e-3);
    });
  }

  it('runs the forward in one dispatch', async () => {
    const x = tf.tensor2d(values('x', 4 * 64, 1), [4, 64]);
    const gamma = tf.ones([64]) as tf.Tensor1D;
    const beta = tf.zeros([64]) as tf.Tensor1D;
    await Promise.all([x, gamma, beta].map((t) => t.data()));
    const device = (tf.backend() as unknown as { device: CountableDevice }).device;
    const counter = countGpuWork(device);
    const y = layerNormRows(x, gamma, beta);
    counter.restore();
    expect(counter.counts().dispatches).toBe(1);
    tf.dispose([x, gamma, beta, y]);
  });
});
