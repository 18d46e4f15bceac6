// A run's own set of variables over a loaded base model, so runs (and search trials) never disturb
// each other or the base.
import * as tf from '@tensorflow/tfjs-core';
import { withLabels, type ModelConfig } from './config.ts';
import type { Params } from './encoder.ts';
import { initialValue, isHeadName, parameterShapes, seededRandom } from './weights.ts';

/**
 * The base model's weights, a classification head for the run's labels (the base's own when its
 * labels match, else a new one seeded by the run's seed), and `overrides` (a run's trained
 * weights) on top.
 */
export function runModelCopy(
  base: { config: ModelConfig; params: Params },
  labels: readonly string[],
  multiLabel: boolean,
  seed: number,
  overrides?: ReadonlyMap<string, Float32Array>,
): { config: ModelConfig; params: Params } {
  const problemType = multiLabel ? 'multi_label_classification' : 'single_label_classification';
  const config = withLabels(base.config, [...labels], problemType);
  const keepHead =
    base.config.id2label.length === labels.length &&
    base.config.id2label.every((label, i) => label === labels[i]);
  const random = seededRandom(seed);
  const params: Params = {};
  try {
    for (const [name, shape] of parameterShapes(config)) {
      const baseParam = base.params[name];
      const trainable = baseParam?.trainable ?? true;
      const override = overrides?.get(name);
      let value: tf.Tensor;
      if (override) {
        value = tf.tensor(override, shape, 'float32');
      } else if (baseParam && (keepHead || !isHeadName(config, name))) {
        value = tf.clone(baseParam);
      } else {
        value = tf.tensor(initialValue(name, shape, config, random), shape, 'float32');
      }
      params[name] = tf.variable(value, trainable);
      value.dispose();
    }
  } catch (error) {
    tf.dispose(Object.values(params));
    throw error;
  }
  return { config, params };
}
