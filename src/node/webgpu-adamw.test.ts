// AdamW's WebGPU engines (Dawn in Node, on SwiftShader's Vulkan driver where no GPU exists) against
// the same update on the cpu backend, with as many parameter tensors as a transformer layer holds:
// the tfjs-ops engine (WebGPU limits how many buffers one kernel binds, and a kernel over too many
// drops the queued work without an exception) and the fused one over flat buffers.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW, DEFAULT_ADAMW, globalNorm, type AdamWEngineName } from '../core/train/adamw/index.ts';
import { createRng } from '../core/util/random.ts';
import { countGpuWork, type CountableDevice } from '../core/backend/gpu-counter.ts';
import { ADAMW_FIXTURES, reproduceAdamWFixture } from '../core/train/test-support/adamw-fixture.ts';
import { initNodeBackend } from './backend.ts';
import { registerNodeGradients } from './gradients.ts';

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

async function train(engine?: AdamWEngineName): Promise<{ params: number[][]; norms: number[] }> {
  const vars: Record<string, tf.Variable> = {};
  init.forEach((p, i) => (vars[name(i)] = tf.tidy(() => tf.variable(tf.tensor1d(p)))));
  const optimizer = new AdamW(vars, engine ? { engine } : {});
  if (engine) expect(optimizer.engineName).toBe(engine);
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
    await registerNodeGradients();
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

  for (const engine of ['device', 'webgpu'] as const) {
    it(`takes the same clipped steps as on the cpu backend, without leaking tensors (${engine} engine)`, async () => {
      const before = tf.memory().numTensors;
      const gpu = await train(engine);
      expect(tf.memory().numTensors).toBe(before);
      await tf.setBackend('cpu');
      const cpu = await train('host');
      await tf.setBackend('webgpu');
      gpu.norms.forEach((norm, i) => {
        expect(norm).toBeGreaterThan(1); // the clipping branch is the one exercised
        expect(norm).toBeCloseTo(cpu.norms[i]!, 4);
      });
      gpu.params.forEach((param, i) =>
        param.forEach((x, j) => expect(Math.abs(x - cpu.params[i]![j]!)).toBeLessThan(1e-5)),
      );
    });
  }

  it('chooses the fused engine on webgpu and encodes a step in three dispatches', async () => {
    const vars: Record<string, tf.Variable> = {};
    init.forEach((p, i) => (vars[name(i)] = tf.tidy(() => tf.variable(tf.tensor1d(p)))));
    const optimizer = new AdamW(vars);
    expect(optimizer.engineName).toBe('webgpu');
    const g: Record<string, tf.Tensor> = {};
    grads[0]!.forEach((values, i) => (g[name(i)] = tf.tensor1d(values)));
    // The gradients' uploads are queued before counting starts.
    await Promise.all(Object.values(g).map((t) => t.data()));
    const device = (tf.backend() as unknown as { device: CountableDevice }).device;
    const counter = countGpuWork(device);
    const norm = optimizer.step(g, { ...DEFAULT_ADAMW, lr: 0.05 });
    counter.restore();
    expect(counter.counts().dispatches).toBe(3);
    expect(counter.counts().reads).toBe(0);
    expect((await norm.data())[0]).toBeGreaterThan(1);
    tf.dispose([norm, ...Object.values(g)]);
    optimizer.dispose();
    tf.dispose(Object.values(vars));
  });

  it('restores its moments from a state and goes on from parameters changed outside it', async () => {
    const run = async (restore: boolean) => {
      const vars: Record<string, tf.Variable> = {};
      init.forEach((p, i) => (vars[name(i)] = tf.tidy(() => tf.variable(tf.tensor1d(p)))));
      let optimizer = new AdamW(vars, { engine: 'webgpu' });
      const step = (stepGrads: number[][]) => {
        const g: Record<string, tf.Tensor> = {};
        stepGrads.forEach((values, i) => (g[name(i)] = tf.tensor1d(values)));
        optimizer.step(g, { ...DEFAULT_ADAMW, lr: 0.05, weightDecay: 0.1 }).dispose();
        tf.dispose(g);
      };
      step(grads[0]!);
      step(grads[1]!);
      if (restore) {
        const state = await optimizer.getState();
        optimizer.dispose();
        optimizer = new AdamW(vars, { engine: 'webgpu' });
        optimizer.setState(state);
        expect(optimizer.stepCount).toBe(2);
        const copied = await optimizer.getState();
        for (const key of Object.keys(vars))
          expect(Array.from(copied.m[key]!)).toEqual(Array.from(state.m[key]!));
      }
      // A restored checkpoint: the parameters change outside the optimizer.
      init.forEach((p, i) => tf.tidy(() => vars[name(i)]!.assign(tf.tensor1d(p))));
      step(grads[2]!);
      const params = await Promise.all(Object.values(vars).map(async (v) => Array.from(await v.data())));
      optimizer.dispose();
      tf.dispose(Object.values(vars));
      return params;
    };
    const straight = await run(false);
    const restored = await run(true);
    expect(restored).toEqual(straight);
  });

  // Forward and backward on WebGPU too: the Hugging Face reference's parameters after 3 steps.
  for (const fixture of ADAMW_FIXTURES) {
    it(`reproduces adamw.* after 3 steps on ${fixture} (webgpu engine)`, () =>
      reproduceAdamWFixture(fixture, 'webgpu'));
  }
});
