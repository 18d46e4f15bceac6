import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifierHead } from '../model/encoder.ts';
import { disposeParams } from '../model/index.ts';
import { headLogits } from './head.ts';
import { syntheticModel } from './test-support/synthetic.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const HEAD = ['pre_classifier.weight', 'pre_classifier.bias', 'classifier.weight', 'classifier.bias'];

describe('headLogits', () => {
  for (const opts of [{ training: false }, { training: true, seed: 11 }]) {
    it(`has the logits and gradients of classifierHead (${opts.training ? 'dropout on' : 'dropout off'})`, () => {
      const { config, params } = syntheticModel({ seed: 4 });
      const before = tf.memory().numTensors;
      const features = tf.randomNormal([6, config.dim], 0, 1, 'float32', 5) as tf.Tensor2D;
      const labels = tf.tensor1d([0, 2, 1, 1, 0, 2], 'int32');
      const head = HEAD.map((name) => params[name]!);
      const lossOf = (logits: tf.Tensor2D) =>
        tf.losses.softmaxCrossEntropy(tf.oneHot(labels, config.numLabels), logits) as tf.Scalar;
      const expected = tf.variableGrads(() => lossOf(classifierHead(params, config, features, opts)), head);
      const got = tf.variableGrads(() => lossOf(headLogits(params, config, features, opts)), head);
      expect(got.value.dataSync()[0]).toBeCloseTo(expected.value.dataSync()[0]!, 6);
      for (const variable of head) {
        const want = expected.grads[variable.name]!.dataSync();
        const have = got.grads[variable.name]!.dataSync();
        expect(have.length).toBe(want.length);
        const worst = Math.max(...have.map((x, i) => Math.abs(x - want[i]!)));
        expect(worst, variable.name).toBeLessThan(1e-6);
        // The gradient is not trivially zero.
        expect(Math.max(...want.map(Math.abs)), variable.name).toBeGreaterThan(1e-4);
      }
      const diff = tf.tidy(() =>
        tf.max(
          tf.abs(
            tf.sub(
              headLogits(params, config, features, opts),
              classifierHead(params, config, features, opts),
            ),
          ),
        ),
      );
      expect(diff.dataSync()[0]).toBeLessThan(1e-6);
      tf.dispose([
        diff,
        features,
        labels,
        expected.value,
        got.value,
        ...Object.values(expected.grads),
        ...Object.values(got.grads),
      ]);
      expect(tf.memory().numTensors).toBe(before);
      disposeParams(params);
    });
  }
});
