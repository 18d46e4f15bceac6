// tfjs-backend-wasm's threaded SIMD build in Node (one WASM module per process: this file only).
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { initNodeBackend } from './backend.ts';

describe('initNodeBackend with threads', () => {
  it('starts the threaded WASM build on 2 threads and computes as the cpu backend does', async () => {
    const a = [...Array(96 * 80).keys()].map((i) => Math.sin(i));
    const b = [...Array(80 * 64).keys()].map((i) => Math.cos(i));
    await initNodeBackend('cpu');
    const expected = tf.tidy(() => tf.matMul(tf.tensor2d(a, [96, 80]), tf.tensor2d(b, [80, 64])).dataSync());

    const choice = await initNodeBackend('wasm', { threads: 2 });
    expect(choice).toMatchObject({ name: 'wasm', threads: 2, forced: true });
    expect(getThreadsCount()).toBe(2);
    const before = tf.memory().numTensors;
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(a, [96, 80]), tf.tensor2d(b, [80, 64])).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    expect(product.length).toBe(96 * 64);
    product.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 3));
  });
});
