// The device AdamW on WebGPU (Dawn in Node, on SwiftShader's Vulkan driver where no GPU exists)
// against the same update on the cpu backend, with as many parameter tensors as a transformer
// layer holds: WebGPU limits how many buffers one kernel binds, and a kernel over too many
// drops the queued work without an exception.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW, DEFAULT_ADAMW, globalNorm } from '../core/train/adamw/index.ts';
import { createRng } from '../core/util/random.ts';
import { initNodeBackend } from './backend.ts';

const PARAMETERS = 40;
const STEPS = 3;

function values(seed: string, count: number, scale: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, () => (rng.next() * 2 - 1) * scale);
}

/** Parameters of 1 to 5 values and, per step, gradients large enough that clipping applies. */
const init = Array.from({ length: PARAMETERS }, (_, i) => values(`param ${i}`, 1 + (i % 5), 1));
const grads = Array.from({ length: STEPS }, (_, step) =>
  init.map((p, i) => values(`grad ${step} ${i}`, p.length, 3)),
);

const name = (i: number): string => `p${String(i).padStart(2, '0')}`;

async function train(): Promise<{ params: number[][]; norms: number[] }> {
  const vars: Record<string, tf.Variable> = {};
  init.forEach((p, i) => (vars[name(i)] = tf.tidy(() => tf.variable(tf.tensor1d(p)))));
  const optimizer = new AdamW(vars, { engine: 'device' });
  const norms: number[] = [];
  for (const stepGrads of grads) {
    const g: Record<string, tf.Tensor> = {};
    stepGrads.forEach((values, i) => (g[name(i)] = tf.tensor1d(values)));
    const norm = optimizer.step(g, { ...DEFAULT_ADAMW, lr: 0.05, weightDecay: 0.1, maxGradNorm: 1 });
    norms.push((await norm.data())[0]!);
    norm.dispose();
    tf.dispose(g);
  }
  const params = await Promise.all(Object.values(vars).map(async (v) => Array.from(await v.data())));
  optimizer.dispose();
  tf.dispose(Object.values(vars));
  return { params, norms };
}

describe('device AdamW on WebGPU', () => {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    const choice = await initNodeBackend('webgpu');
    expect(
      choice.name,
      'WebGPU (Dawn) must start here; npm run setup checks Chromium, whose SwiftShader it uses',
    ).toBe('webgpu');
  });
  afterAll(async () => {
    await tf.setBackend(previous || 'cpu');
  });

  // Reads are asynchronous: tfjs' synchronous WebGPU read needs an OffscreenCanvas, which Node lacks.
  it('computes the global norm of 40 gradients', async () => {
    const tensors = init.map((p) => tf.tensor1d(p));
    const norm = globalNorm(tensors);
    const expected = Math.sqrt(init.flat().reduce((sum, x) => sum + x * x, 0));
    expect((await norm.data())[0]).toBeCloseTo(expected, 4);
    tf.dispose([norm, ...tensors]);
  });

  it('takes the same clipped steps as on the cpu backend, without leaking tensors', async () => {
    const before = tf.memory().numTensors;
    const gpu = await train();
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    const cpu = await train();
    await tf.setBackend('webgpu');
    gpu.norms.forEach((norm, i) => {
      expect(norm).toBeGreaterThan(1); // the clipping branch is the one exercised
      expect(norm).toBeCloseTo(cpu.norms[i]!, 4);
    });
    gpu.params.forEach((param, i) =>
      param.forEach((x, j) => expect(Math.abs(x - cpu.params[i]![j]!)).toBeLessThan(1e-5)),
    );
  });
});
