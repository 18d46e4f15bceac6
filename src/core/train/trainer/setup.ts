// What a run checks and builds before its first step: its inputs, the optimizer with its
// parameter groups, and the weights of the trainable parameters read and written as host arrays.
import * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../../model/index.ts';
import { checkTrainConfig, type TrainConfig } from '../config.ts';
import { splitSize, type EncodedDataset } from '../data.ts';
import { AdamW, type AdamWHyperparameters } from '../adamw/index.ts';
import { layerLrScales } from '../param-groups.ts';
import type { TrainModel } from './options.ts';

/** Refuses settings, data and model that do not go together, with what to do about it. */
export function checkRunInputs(config: TrainConfig, model: TrainModel, data: EncodedDataset): void {
  const problems = checkTrainConfig(config, model.config);
  if (problems.length > 0) throw new Error(`invalid training settings: ${problems.join('; ')}`);
  if (data.labels.length !== model.config.numLabels) {
    throw new Error(
      `the model's head has ${model.config.numLabels} outputs but the data has ${data.labels.length} labels; load the model with the data's labels`,
    );
  }
  if (splitSize(data.train) === 0) throw new Error('the training split is empty');
  if (data.maxLength > model.config.maxPositionEmbeddings) {
    throw new Error(
      `the data was encoded with max length ${data.maxLength}, but the model has only ${model.config.maxPositionEmbeddings} positions`,
    );
  }
}

/** AdamW over the trainable parameters, with layer-wise learning-rate decay when set. */
export function createOptimizer(trainable: Params, config: TrainConfig, nLayers: number): AdamW {
  return new AdamW(
    trainable,
    config.layerLrDecay < 1
      ? { lrScales: layerLrScales(Object.keys(trainable), nLayers, config.layerLrDecay) }
      : {},
  );
}

/** The optimizer's settings for one update, from the run's current (possibly live-changed) settings. */
export function adamWHyperparameters(config: TrainConfig, lr: number): AdamWHyperparameters {
  return {
    lr,
    beta1: config.adamBeta1,
    beta2: config.adamBeta2,
    eps: config.adamEpsilon,
    weightDecay: config.weightDecay,
    maxGradNorm: config.maxGradNorm,
  };
}

/** Copies of the parameters' values, by name. */
export async function readWeights(params: Params): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, variable] of Object.entries(params)) {
    out[name] = ((await variable.data()) as Float32Array).slice();
  }
  return out;
}

/** Assigns the given values to the parameters of the same name (others keep theirs). */
export function writeWeights(params: Params, weights: Record<string, Float32Array>): void {
  for (const [name, variable] of Object.entries(params)) {
    const values = weights[name];
    if (!values) continue;
    tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
  }
}
