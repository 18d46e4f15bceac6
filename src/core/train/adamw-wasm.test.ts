// The fused AdamW pass, instruction by instruction against float32 arithmetic, and the optimizer
// on the WASM backend (where it reads gradients straight from the backend's heap).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../node/backend.ts';
import { createRng } from '../util/random.ts';
import { createAdamWKernel } from './adamw-wasm.ts';
import { AdamW } from './optimizer.ts';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

const f32 = Math.fround;

describe('the AdamW kernel', () => {
  it('computes torch’s float32 update exactly and the sum of squares in float64', () => {
    const n = 64;
    const kernel = createAdamWKernel(4 * 4 * n)!;
    expect(kernel).not.toBeNull();
    const memory = new Float32Array(kernel.memory.buffer, 0, 4 * n);
    const rng = createRng('kernel');
    for (let i = 0; i < 4 * n; i++) memory[i] = rng.normal();
    for (let i = 3 * n; i < 4 * n; i++) memory[i] = Math.abs(memory[i]!); // v ≥ 0
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
    for (let i = n; i < 2 * n; i++) squares += before[i]! * before[i]!;
    expect(kernel.sumOfSquares(4 * n, n)).toBeCloseTo(squares, 10);

    kernel.update(0, 4 * n, 8 * n, 12 * n, n, s);
    for (let i = 0; i < n; i++) {
      const g = f32(before[n + i]! * f32(s.clip));
      const m = f32(f32(before[2 * n + i]! * f32(s.beta1)) + f32(g * f32(1 - s.beta1)));
      const v = f32(f32(before[3 * n + i]! * f32(s.beta2)) + f32(f32(g * g) * f32(1 - s.beta2)));
      const denom = f32(f32(f32(Math.sqrt(v)) / f32(s.biasCorrection2Sqrt)) + f32(s.eps));
      const p = f32(f32(before[i]! * f32(s.decay)) - f32(f32(m / denom) * f32(s.stepSize)));
      expect(memory[i], `p[${i}]`).toBe(p);
      expect(memory[2 * n + i], `m[${i}]`).toBe(m);
      expect(memory[3 * n + i], `v[${i}]`).toBe(v);
      expect(memory[n + i], `g[${i}] is read only`).toBe(before[n + i]);
    }
  });
});

describe('AdamW on the WASM backend', () => {
  it('updates on the host by default, as the tfjs-ops update does', () => {
    expect(tf.getBackend()).toBe('wasm');
    const rng = createRng('wasm-adamw');
    const shapes: Record<string, number[]> = {
      'pre_classifier.weight': [33, 17],
      'pre_classifier.bias': [33],
    };
    const init = Object.fromEntries(
      Object.entries(shapes).map(([name, shape]) => [
        name,
        Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
      ]),
    );
    const grads = Array.from({ length: 3 }, () =>
      Object.fromEntries(
        Object.entries(shapes).map(([name, shape]) => [
          name,
          Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
        ]),
      ),
    );
    const before = tf.memory().numTensors;
    const results: Float32Array[] = [];
    for (const onHost of [undefined, false]) {
      const vars = Object.fromEntries(
        Object.entries(shapes).map(([name, shape]) => [
          name,
          tf.tidy(() => tf.variable(tf.tensor(init[name]!, shape))),
        ]),
      );
      const optimizer = new AdamW(vars, { onHost });
      expect(optimizer.onHost).toBe(onHost ?? true);
      for (const step of grads) {
        const g = Object.fromEntries(
          Object.entries(shapes).map(([name, shape]) => [name, tf.tensor(step[name]!, shape)]),
        );
        optimizer.step(g, 0.01).dispose();
        tf.dispose(Object.values(g));
      }
      results.push(
        Float32Array.from([
          ...vars['pre_classifier.weight']!.dataSync(),
          ...vars['pre_classifier.bias']!.dataSync(),
        ]),
      );
      optimizer.dispose();
      tf.dispose(Object.values(vars));
    }
    const [host, device] = results as [Float32Array, Float32Array];
    const moved = Math.max(
      ...host.map((x, i) =>
        Math.abs(x - [...init['pre_classifier.weight']!, ...init['pre_classifier.bias']!][i]!),
      ),
    );
    expect(moved).toBeGreaterThan(1e-3);
    host.forEach((x, i) => expect(Math.abs(x - device[i]!), `[${i}]`).toBeLessThan(1e-6));
    expect(tf.memory().numTensors).toBe(before);
  });
});
