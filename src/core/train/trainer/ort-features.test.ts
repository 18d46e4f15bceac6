// Feature caching on ONNX Runtime: head-only and top-k runs whose frozen part runs on
// onnxruntime-node (and onnxruntime-web's wasm build in Node) train like the same runs on tfjs
// features, step by step within 1e-4 (dropout off), on both fixture checkpoints; the run notes
// name the engine, and repeated runs leave no ONNX Runtime session and no tensor behind.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNodeOrt } from '../../../node/ort-runtime.ts';
import { engineOpener, openOrtSessions, type OrtRuntime } from '../../infer/index.ts';
import { disposeParams } from '../../model/index.ts';
import { FIXTURES, fixture, loadFixtureModel, type Fixture } from '../../model/test-support/fixtures.ts';
import { createRng } from '../../util/random.ts';
import { defaultTrainConfig, type TrainConfig, type TrainMode } from '../config.ts';
import type { EncodedDataset, EncodedSplit } from '../data.ts';
import type { TrainEvent } from '../events.ts';
import { trainModel, type FeatureEngineFactory } from './index.ts';

const TOLERANCE = 1e-4;

/** `n` rows of 4–24 random tokens between two fixed ones, with labels of the fixture's task. */
function split(fx: Fixture, vocabSize: number, n: number, seed: string): EncodedSplit {
  const rng = createRng(seed);
  const multiLabel = fx.problemType === 'multi_label_classification';
  const ids: number[] = [];
  const offsets = [0];
  const labels = multiLabel ? new Uint8Array(n * fx.numLabels) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const length = 4 + rng.int(21);
    // Clear of every family's special tokens (DistilBERT's vocabulary and the small trained ones).
    const low = Math.min(1000, vocabSize >> 1);
    ids.push(low - 1);
    for (let t = 0; t < length - 2; t++) ids.push(low + rng.int(vocabSize - low));
    ids.push(low - 2);
    offsets.push(ids.length);
    if (multiLabel) for (let j = 0; j < fx.numLabels; j++) labels[i * fx.numLabels + j] = rng.int(2);
    else labels[i] = rng.int(fx.numLabels);
  }
  return {
    ids: Int32Array.from(ids),
    offsets: Int32Array.from(offsets),
    labels,
    rows: Int32Array.from({ length: n }, (_, i) => i + 1),
  };
}

function dataset(fx: Fixture, vocabSize: number): EncodedDataset {
  return {
    labels: Array.from({ length: fx.numLabels }, (_, i) => `label_${i}`),
    multiLabel: fx.problemType === 'multi_label_classification',
    maxLength: 32,
    padTokenId: 0,
    train: split(fx, vocabSize, 40, 'train'),
    validation: split(fx, vocabSize, 12, 'validation'),
    test: split(fx, vocabSize, 8, 'test'),
  };
}

const settings = (mode: TrainMode): TrainConfig => ({
  ...defaultTrainConfig(mode),
  layers: 1,
  epochs: 2,
  batchSize: 8,
  evalBatchSize: 16,
  dropout: false,
});

interface Run {
  losses: number[];
  notices: string[];
  testLoss: number | undefined;
}

/** Trains a fresh copy of the fixture model, the frozen part's output computed by `featureEngine`. */
async function train(fx: Fixture, mode: TrainMode, featureEngine?: FeatureEngineFactory): Promise<Run> {
  const model = await loadFixtureModel(fx);
  try {
    const losses: number[] = [];
    const result = await trainModel(
      {
        model,
        data: dataset(fx, model.config.vocabSize),
        config: settings(mode),
        emitIntervalMs: 0,
        ...(featureEngine ? { callbacks: { featureEngine } } : {}),
      },
      (event: TrainEvent) => {
        if (event.type === 'step') losses.push(event.loss);
      },
    );
    return { losses, notices: result.notices, testLoss: result.test?.metrics.loss };
  } finally {
    disposeParams(model.params);
  }
}

const runtimes: [string, RegExp, () => Promise<OrtRuntime>][] = [
  [
    'onnxruntime-node',
    /^The frozen encoder's .* were computed by ONNX Runtime \(onnxruntime-node [^,]+, CPU, 1 threads\)\.$/,
    async () => (await loadNodeOrt({ engine: 'onnxruntime-node', threads: 1 })).runtime!,
  ],
  [
    'onnxruntime-web wasm',
    /^The frozen encoder's .* were computed by ONNX Runtime \(onnxruntime-web [^,]+, wasm, 1 threads\)\.$/,
    async () => (await loadNodeOrt({ engine: 'onnxruntime-web-wasm', threads: 1 })).runtime!,
  ],
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(FIXTURES)('%s', (name) => {
  const fx = fixture(name);

  describe.each(runtimes)('%s', (_engineName, note, load) => {
    let runtime: OrtRuntime;
    beforeAll(async () => {
      runtime = await load();
    });

    it.each<TrainMode>(['head', 'top-k'])(
      '%s: the same loss at every step as on tfjs features, within 1e-4',
      async (mode) => {
        const reference = await train(fx, mode);
        const onOrt = await train(fx, mode, engineOpener(runtime));
        expect(reference.notices).toContainEqual(expect.stringMatching(/were computed by tfjs \(cpu\)\.$/));
        expect(onOrt.notices).toContainEqual(expect.stringMatching(note));
        expect(onOrt.losses).toHaveLength(10);
        expect(onOrt.losses.length).toBe(reference.losses.length);
        onOrt.losses.forEach((loss, step) =>
          expect(Math.abs(loss - reference.losses[step]!), `step ${step + 1}`).toBeLessThan(TOLERANCE),
        );
        expect(Math.abs(onOrt.testLoss! - reference.testLoss!)).toBeLessThan(TOLERANCE);
      },
    );

    it('leaves no session and no tensor behind over repeated runs', async () => {
      const sessions = openOrtSessions();
      const tensors = tf.memory().numTensors;
      for (let round = 0; round < 3; round++) {
        await train(fx, 'head', engineOpener(runtime));
        expect(openOrtSessions()).toBe(sessions);
        expect(tf.memory().numTensors).toBe(tensors);
      }
    });
  });
});

it('falls back to tfjs, saying why, when the feature engine does not start', async () => {
  const fx = fixture('distilbert-tiny-seqcls');
  const reference = await train(fx, 'head');
  const run = await train(fx, 'head', () => Promise.reject(new Error('no adapter\nstack')));
  expect(run.notices).toContain('The feature engine did not start (no adapter); tfjs computes the features.');
  expect(run.losses).toEqual(reference.losses);
});
