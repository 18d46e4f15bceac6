// A run's own set of variables over a loaded base model, so runs (and search trials) never disturb
// each other or the base.
import * as tf from '@tensorflow/tfjs-core';
import { withLabels, type ModelConfig } from './config.ts';
import type { Params } from './encoder.ts';
import { storedNames, wholeTable } from './row-chunks.ts';
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
      const parts = storedNames(base.params, name);
      if (parts.length > 1) {
        // A table the base holds in row chunks (row-chunks.ts) keeps the base's chunks; an override
        // (whole, or chunked under another limit) is split over them.
        const whole = overrides && wholeTable(overrides, name);
        const width = shape[1]!;
        let row = 0;
        for (const part of parts) {
          const baseParam = base.params[part]!;
          const rows = baseParam.shape[0]!;
          const override = whole?.subarray(row * width, (row + rows) * width);
          const value = override ? tf.tensor(override, baseParam.shape, 'float32') : tf.clone(baseParam);
          params[part] = tf.variable(value, baseParam.trainable);
          value.dispose();
          row += rows;
        }
        continue;
      }
      const baseParam = base.params[name];
      const trainable = baseParam?.trainable ?? true;
      const override = overrides && wholeTable(overrides, name);
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
