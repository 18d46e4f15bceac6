// The wasm-friendly product equals tf.matMul on the cpu backend, value and both gradients, for
// every transpose combination, on plain and batched (attention-shaped) operands.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../node/backend.ts';
import { matMul } from './matmul.ts';

type Case = { name: string; a: number[]; b: number[]; transposeA: boolean; transposeB: boolean };

const CASES: Case[] = [
  { name: 'plain', a: [5, 7], b: [7, 3], transposeA: false, transposeB: false },
  { name: 'Linear layer, x·Wᵀ', a: [5, 7], b: [3, 7], transposeA: false, transposeB: true },
  { name: 'weight gradient shape, xᵀ·dy', a: [7, 5], b: [7, 3], transposeA: true, transposeB: false },
  { name: 'both transposed', a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
  { name: 'attention scores, q·kᵀ', a: [2, 3, 4, 6], b: [2, 3, 4, 6], transposeA: false, transposeB: true },
  { name: 'attention context, p·v', a: [2, 3, 4, 4], b: [2, 3, 4, 6], transposeA: false, transposeB: false },
  { name: 'batched, both transposed', a: [2, 3, 6, 4], b: [2, 3, 5, 6], transposeA: true, transposeB: true },
];

interface Outcome {
  value: Float32Array;
  gradA: Float32Array;
  gradB: Float32Array;
}

/** Value and gradients of sum(product ⊙ weights), so every output element weighs differently. */
function evaluate(product: typeof matMul, c: Case): Outcome {
  return tf.tidy(() => {
    const a = tf.randomNormal(c.a, 0, 1, 'float32', 1);
    const b = tf.randomNormal(c.b, 0, 1, 'float32', 2);
    const shape = product(a, b, c.transposeA, c.transposeB).shape;
    const weights = tf.randomNormal(shape, 0, 1, 'float32', 3);
    const objective = (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(product(x, y, c.transposeA, c.transposeB), weights));
    const [gradA, gradB] = tf.grads(objective)([a, b]) as [tf.Tensor, tf.Tensor];
    return {
      value: product(a, b, c.transposeA, c.transposeB).dataSync() as Float32Array,
      gradA: gradA.dataSync() as Float32Array,
      gradB: gradB.dataSync() as Float32Array,
    };
  });
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThan(1e-5);
}

const tfMatMul: typeof matMul = (a, b, transposeA, transposeB) =>
  tf.matMul(a, b, transposeA, transposeB) as unknown as typeof a;

describe('matMul on wasm', () => {
  const reference = new Map<string, Outcome>();

  beforeAll(async () => {
    await initNodeBackend('cpu');
    for (const c of CASES) reference.set(c.name, evaluate(tfMatMul, c));
    await initNodeBackend('wasm');
  });

  it.each(CASES)('$name: value and gradients equal tf.matMul on cpu', (c) => {
    expect(tf.getBackend()).toBe('wasm');
    const expected = reference.get(c.name)!;
    const actual = evaluate(matMul, c);
    expectClose(actual.value, expected.value);
    expectClose(actual.gradA, expected.gradA);
    expectClose(actual.gradB, expected.gradB);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    evaluate(matMul, CASES[1]!);
    evaluate(matMul, CASES[4]!);
    expect(tf.memory().numTensors).toBe(before);
  });
});
