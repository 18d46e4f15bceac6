// The fused AdamW pass, instruction by instruction against float32 arithmetic, and the optimizer
// on the WASM backend, where the pass runs on the backend's own heap.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../../node/backend.ts';
import { createRng } from '../../util/random.ts';
import { adamWElement, createAdamWKernel } from './wasm-kernel.ts';
import { AdamW } from './adamw.ts';
import { DEFAULT_ADAMW } from './hyperparameters.ts';
import { isNoDecay } from '../param-groups.ts';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

const f32 = Math.fround;

describe('the AdamW kernel', () => {
  // 63 floats: 15 SIMD lanes of 4 and a tail of 3.
  it('computes torch’s float32 update exactly and the sum of squares in float64', () => {
    const n = 63;
    const kernel = createAdamWKernel({ bytes: 4 * 5 * 64 })!;
    expect(kernel).not.toBeNull();
    // Regions of 64 floats: p in, g, m, v, p out.
    const memory = new Float32Array(kernel.memory.buffer, 0, 5 * 64);
    const rng = createRng('kernel');
    for (let i = 0; i < 4 * 64; i++) memory[i] = rng.normal();
    for (let i = 3 * 64; i < 4 * 64; i++) memory[i] = Math.abs(memory[i]!); // v ≥ 0
    const before = memory.slice();
    const s = {
      clip: 0.37,
      decay: 0.999,
      beta1: 0.9,
      beta2: 0.999,
      biasCorrection2Sqrt: 0.0447,
      eps: 1e-8,
      stepSize: 0.0123,
    };

    let squares = 0;
    for (let i = 0; i < n; i++) squares += before[64 + i]! * before[64 + i]!;
    expect(kernel.sumOfSquares(4 * 64, n)).toBeCloseTo(squares, 10);

    kernel.update(0, 4 * 4 * 64, 4 * 64, 4 * 2 * 64, 4 * 3 * 64, n, s);
    for (let i = 0; i < n; i++) {
      const g = f32(before[64 + i]! * f32(s.clip));
      const m = f32(f32(before[128 + i]! * f32(s.beta1)) + f32(g * f32(1 - s.beta1)));
      const v = f32(f32(before[192 + i]! * f32(s.beta2)) + f32(f32(g * g) * f32(1 - s.beta2)));
      const denom = f32(f32(f32(Math.sqrt(v)) / f32(s.biasCorrection2Sqrt)) + f32(s.eps));
      const p = f32(f32(before[i]! * f32(s.decay)) - f32(f32(m / denom) * f32(s.stepSize)));
      expect(memory[256 + i], `p[${i}]`).toBe(p);
      expect(memory[128 + i], `m[${i}]`).toBe(m);
      expect(memory[192 + i], `v[${i}]`).toBe(v);
      expect(memory[i], `p in [${i}] is read only`).toBe(before[i]);
      expect(memory[64 + i], `g[${i}] is read only`).toBe(before[64 + i]);
      expect(adamWElement(before[i]!, before[64 + i]!, before[128 + i]!, before[192 + i]!, s)).toEqual([
        p,
        m,
        v,
      ]);
    }
    // Nothing past the count is touched.
    for (const region of [0, 1, 2, 3]) expect(memory[region * 64 + n]).toBe(before[region * 64 + n]);
    expect(memory[256 + n]).toBe(0);
  });
});

/** torch.optim.AdamW + clip_grad_norm_ in float64. */
function reference(
  init: Record<string, number[]>,
  grads: Record<string, number[]>[],
  lr: number,
  wd: number,
): Record<string, number[]> {
  const p = structuredClone(init);
  const m = Object.fromEntries(Object.entries(p).map(([k, x]) => [k, x.map(() => 0)]));
  const v = Object.fromEntries(Object.entries(p).map(([k, x]) => [k, x.map(() => 0)]));
  grads.forEach((step, index) => {
    const t = index + 1;
    let sq = 0;
    for (const g of Object.values(step)) for (const x of g) sq += x * x;
    const coef = Math.min(1, 1 / (Math.sqrt(sq) + 1e-6));
    for (const k of Object.keys(p)) {
      p[k] = p[k]!.map((x, i) => {
        const g = step[k]![i]! * coef;
        m[k]![i] = 0.9 * m[k]![i]! + 0.1 * g;
        v[k]![i] = 0.999 * v[k]![i]! + 0.001 * g * g;
        const denom = Math.sqrt(v[k]![i]!) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
        return x * (1 - lr * (isNoDecay(k) ? 0 : wd)) - (lr / (1 - 0.9 ** t)) * (m[k]![i]! / denom);
      });
    }
  });
  return p;
}

describe('AdamW on the WASM backend', () => {
  const shapes: Record<string, number[]> = {
    'pre_classifier.weight': [33, 17],
    'pre_classifier.bias': [33],
    'classifier.bias': [2],
  };
  const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const rng = createRng('wasm-adamw');
  const init = Object.fromEntries(
    Object.entries(shapes).map(([name, shape]) => [
      name,
      Array.from({ length: sizeOf(shape) }, () => rng.normal()),
    ]),
  );
  const grads = Array.from({ length: 3 }, () =>
    Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [
        name,
        Array.from({ length: sizeOf(shape) }, () => rng.normal()),
      ]),
    ),
  );
  const variables = () =>
    Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [
        name,
        tf.tidy(() => tf.variable(tf.tensor(init[name]!, shape))),
      ]),
    );
  const step = (optimizer: AdamW, values: Record<string, number[]>) => {
    const g = Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [name, tf.tensor(values[name]!, shape)]),
    );
    optimizer.step(g, { ...DEFAULT_ADAMW, lr: 0.01 }).dispose();
    tf.dispose(Object.values(g));
  };

  it('updates on the heap by default, as the float64 reference and the tfjs-ops update do', () => {
    expect(tf.getBackend()).toBe('wasm');
    const expected = reference(init, grads, 0.01, 0.01);
    const before = tf.memory().numTensors;
    for (const engine of [undefined, 'device'] as const) {
      const vars = variables();
      // A clone shares the parameter's data: the update must not write through it.
      const clone = tf.clone(vars['pre_classifier.weight']!);
      const optimizer = new AdamW(vars, engine ? { engine } : {});
      expect(optimizer.engineName).toBe(engine ?? 'host');
      for (const values of grads) step(optimizer, values);
      for (const name of Object.keys(shapes)) {
        const got = vars[name]!.dataSync();
        got.forEach((x, i) => expect(Math.abs(x - expected[name]![i]!), `${name}[${i}]`).toBeLessThan(1e-6));
      }
      expect(Array.from(clone.dataSync())).toEqual(
        Array.from(Float32Array.from(init['pre_classifier.weight']!)),
      );
      clone.dispose();
      optimizer.dispose();
      tf.dispose(Object.values(vars));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('carries its moments through getState and setState', async () => {
    const before = tf.memory().numTensors;
    const vars = variables();
    const optimizer = new AdamW(vars);
    step(optimizer, grads[0]!);
    const state = await optimizer.getState();
    const other = variables();
    const copy = new AdamW(other);
    copy.setState(state);
    for (const name of Object.keys(shapes)) other[name]!.assign(vars[name]!);
    for (const values of grads.slice(1)) {
      step(optimizer, values);
      step(copy, values);
    }
    for (const name of Object.keys(shapes)) {
      expect(Array.from(other[name]!.dataSync()), name).toEqual(Array.from(vars[name]!.dataSync()));
    }
    optimizer.dispose();
    copy.dispose();
    tf.dispose([...Object.values(vars), ...Object.values(other)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
