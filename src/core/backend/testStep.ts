// The tiny representative step Automatic times each fast backend with: one transformer-shaped
// product, GELU and LayerNorm-like normalisation forward and backward, with the gradient read
// back, as a training step does. Small enough to stay well under 200 ms on a CPU.
import * as tf from '@tensorflow/tfjs-core';

export interface TestStepTiming {
  /** Median milliseconds per step after a warm-up step (shader compilation, first allocations). */
  msPerStep: number;
  steps: number;
}

/** The whole measurement (warm-up included) stops taking new steps after this many ms. */
export const TEST_STEP_BUDGET_MS = 200;

const ROWS = 64;
const WIDTH = 128;

async function step(x: tf.Tensor2D, w: tf.Tensor2D): Promise<number> {
  const gradient = tf.tidy(() => {
    const loss = (weights: tf.Tensor) => {
      const hidden = tf.matMul(x, weights as tf.Tensor2D);
      const activated = tf.mul(hidden, tf.sigmoid(tf.mul(hidden, 1.702)));
      const { mean, variance } = tf.moments(activated, -1, true);
      const normed = tf.div(tf.sub(activated, mean), tf.sqrt(tf.add(variance, 1e-12)));
      return tf.mean(tf.square(normed));
    };
    return tf.grad(loss)(w);
  });
  const values = await gradient.data();
  gradient.dispose();
  return values[0] ?? 0;
}

/** Times the test step on the current tfjs backend. */
export async function timeTestStep(budgetMs = TEST_STEP_BUDGET_MS, maxSteps = 5): Promise<TestStepTiming> {
  const x = tf.randomNormal([ROWS, WIDTH], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([WIDTH, WIDTH], 0, 0.05, 'float32', 2) as tf.Tensor2D;
  try {
    const started = performance.now();
    await step(x, w);
    const durations: number[] = [];
    while (durations.length < maxSteps) {
      const before = performance.now();
      await step(x, w);
      durations.push(performance.now() - before);
      if (performance.now() - started > budgetMs) break;
    }
    durations.sort((a, b) => a - b);
    return { msPerStep: durations[Math.floor(durations.length / 2)]!, steps: durations.length };
  } finally {
    x.dispose();
    w.dispose();
  }
}
