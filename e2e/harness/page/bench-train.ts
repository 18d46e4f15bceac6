// Head-only training epochs on cached first-token features, through the studio's training loop,
// as the Node training benchmark measures them (src/bench/train.ts): random unit-normal features
// [examples, dim] handed to the loop as its cache, so only the head trains, as on a retrain.
import * as tf from '@tensorflow/tfjs-core';
import { disposeParams, initParams } from '../../../src/core/model/index.ts';
import { defaultTrainConfig } from '../../../src/core/train/config.ts';
import type { EncodedDataset, EncodedSplit } from '../../../src/core/train/data.ts';
import { MemoryFeatureCache } from '../../../src/core/train/feature-cache.ts';
import { trainModel } from '../../../src/core/train/trainer/index.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { timeSteps } from '../../../src/bench/train-step.ts';
import { ensureGradients } from '../../../src/core/train/gradients.ts';
import type { HeadEpochReport, HeadEpochRequest, TrainStepReport, TrainStepRequest } from '../types.ts';
import { useBackend } from './backends.ts';
import { benchModelConfig } from './bench-model.ts';

const EMPTY: EncodedSplit = {
  ids: new Int32Array(0),
  offsets: new Int32Array([0]),
  labels: new Int32Array(0),
  rows: new Int32Array(0),
};

/** Two-token examples ([CLS] [SEP]) with random labels: the cache stands in for their features. */
function examplesSplit(examples: number, numLabels: number): EncodedSplit {
  const rng = createRng('head-epoch');
  const ids = new Int32Array(examples * 2);
  for (let i = 0; i < examples; i++) {
    ids[2 * i] = 101;
    ids[2 * i + 1] = 102;
  }
  return {
    ids,
    offsets: Int32Array.from({ length: examples + 1 }, (_, i) => 2 * i),
    labels: Int32Array.from({ length: examples }, () => rng.int(numLabels)),
    rows: Int32Array.from({ length: examples }, (_, i) => i + 1),
  };
}

export async function runHeadEpochBench(request: HeadEpochRequest): Promise<HeadEpochReport> {
  const backend = await useBackend(request.backend);
  // The encoder never runs (the cache replaces it), so it is as small as a config allows; the
  // head (pre_classifier [dim, dim], classifier [labels, dim]) is the size the request gives.
  const config = benchModelConfig({
    dim: request.dim,
    nLayers: 1,
    nHeads: 1,
    hiddenDim: 4,
    vocabSize: 128,
    numLabels: request.numLabels,
  });
  const params = initParams(config, 0);
  const n = request.examples;
  const cache = new MemoryFeatureCache(new Int32Array(n).fill(1), request.dim);
  const rng = createRng('head-features');
  const values = new Float32Array(n * request.dim);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  cache.write(
    Int32Array.from({ length: n }, (_, i) => i),
    values,
    1,
  );
  const data: EncodedDataset = {
    labels: [...config.id2label],
    multiLabel: false,
    maxLength: 8,
    padTokenId: 0,
    train: examplesSplit(n, config.numLabels),
    validation: EMPTY,
    test: EMPTY,
  };
  const epochSeconds: number[] = [];
  let finalLoss = NaN;
  let prepareSeconds = 0;
  let stepsPerEpoch = 0;
  const tensorsBefore = tf.memory().numTensors;
  const started = performance.now();
  try {
    await trainModel(
      {
        model: { config, params },
        data,
        config: { ...defaultTrainConfig('head'), epochs: request.epochs, batchSize: request.batchSize },
        featureCaches: { train: cache },
      },
      (event) => {
        if (event.type === 'start') {
          prepareSeconds = (performance.now() - started) / 1000;
          stepsPerEpoch = event.stepsPerEpoch;
        } else if (event.type === 'epoch') {
          epochSeconds.push(event.seconds);
          finalLoss = event.trainLoss;
        }
      },
    );
    return {
      backend,
      examples: n,
      dim: request.dim,
      numLabels: request.numLabels,
      batchSize: request.batchSize,
      stepsPerEpoch,
      epochSeconds,
      prepareSeconds,
      finalLoss,
      leakedTensors: tf.memory().numTensors - tensorsBefore,
    };
  } finally {
    cache.dispose();
    disposeParams(params);
  }
}

/** The full fine-tuning step (forward, backward, clipping, AdamW) through the training loop. */
export async function runTrainStepBench(request: TrainStepRequest): Promise<TrainStepReport> {
  const backend = await useBackend(request.backend, request.threads);
  await ensureGradients();
  const config = benchModelConfig(request.dims);
  const model = { config, params: initParams(config, 0) };
  try {
    const timing = await timeSteps(model, 'full', 2, request.batch, request.seqLength, request.steps);
    return {
      backend,
      batch: request.batch,
      seqLength: request.seqLength,
      steps: request.steps,
      msPerStep: timing.msPerStep,
      examplesPerSec: timing.examplesPerSec,
    };
  } finally {
    disposeParams(model.params);
  }
}
