// Head-only training epochs on cached first-token features, through the studio's training loop.
import * as tf from '@tensorflow/tfjs-core';
import { initParams, disposeParams } from '../../../src/core/model/index.ts';
import { defaultTrainConfig } from '../../../src/core/train/config.ts';
import type { EncodedDataset, EncodedSplit } from '../../../src/core/train/data.ts';
import { trainModel } from '../../../src/core/train/trainer.ts';
import type { HeadEpochReport, HeadEpochRequest } from '../types.ts';
import { useBackend } from './backends.ts';
import { benchModelConfig } from './bench-model.ts';

const EMPTY: EncodedSplit = {
  ids: new Int32Array(0),
  offsets: new Int32Array([0]),
  labels: new Int32Array(0),
  rows: new Int32Array(0),
};

/** Two-token examples ([CLS] and a random word) with random labels. */
function randomSplit(examples: number, vocabSize: number, numLabels: number): EncodedSplit {
  let state = 12345;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const ids = new Int32Array(examples * 2);
  const labels = new Int32Array(examples);
  for (let i = 0; i < examples; i++) {
    ids[2 * i] = 1;
    ids[2 * i + 1] = 2 + Math.floor(random() * (vocabSize - 2));
    labels[i] = Math.floor(random() * numLabels);
  }
  return {
    ids,
    offsets: Int32Array.from({ length: examples + 1 }, (_, i) => 2 * i),
    labels,
    rows: Int32Array.from({ length: examples }, (_, i) => i + 1),
  };
}

export async function runHeadEpochBench(request: HeadEpochRequest): Promise<HeadEpochReport> {
  const backend = await useBackend(request.backend);
  // The cached features are the embeddings' output for random words: [examples, dim], about
  // unit-normal after the LayerNorm. An encoder of zero blocks makes the one-off caching cheap;
  // the epochs run only the head on the cache, so their time does not depend on the encoder.
  const config = {
    ...benchModelConfig({
      dim: request.dim,
      nLayers: 1,
      nHeads: 12,
      hiddenDim: 4,
      vocabSize: 2048,
      numLabels: request.numLabels,
    }),
    nLayers: 0,
  };
  const params = initParams(config, 0);
  const labels = config.id2label;
  const data: EncodedDataset = {
    labels,
    multiLabel: false,
    maxLength: 8,
    padTokenId: 0,
    train: randomSplit(request.examples, config.vocabSize, labels.length),
    validation: EMPTY,
    test: EMPTY,
  };
  const trainConfig = {
    ...defaultTrainConfig('head'),
    epochs: request.epochs,
    batchSize: request.batchSize,
    maxLength: 8,
  };
  const epochSeconds: number[] = [];
  let finalLoss = NaN;
  let cacheSeconds = 0;
  let stepsPerEpoch = 0;
  const started = performance.now();
  const tensorsBefore = tf.memory().numTensors;
  try {
    await trainModel({ model: { config, params }, data, config: trainConfig }, (event) => {
      if (event.type === 'start') {
        cacheSeconds = (performance.now() - started) / 1000;
        stepsPerEpoch = event.stepsPerEpoch;
      } else if (event.type === 'epoch') {
        epochSeconds.push(event.seconds);
        finalLoss = event.trainLoss;
      }
    });
    return {
      backend,
      examples: request.examples,
      dim: request.dim,
      numLabels: request.numLabels,
      batchSize: request.batchSize,
      stepsPerEpoch,
      epochSeconds,
      cacheSeconds,
      finalLoss,
      leakedTensors: tf.memory().numTensors - tensorsBefore,
    };
  } finally {
    disposeParams(params);
  }
}
