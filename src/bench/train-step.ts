// Optimizer steps of one training mode through the real training loop (TrainController) on
// random tokens, for the Node training benchmark and the browser harness alike.
import type { ModelConfig } from '../core/model/index.ts';
import type { EncodedDataset, EncodedSplit } from '../core/tokenize/index.ts';
import {
  defaultTrainConfig,
  type TrainMode,
  type TrainEvent,
  trainModel,
  type TrainModel,
} from '../core/train/index.ts';
import { createRng } from '../core/util/index.ts';
import { median } from './model-step.ts';

const emptySplit = (): EncodedSplit => ({
  ids: new Int32Array(0),
  offsets: new Int32Array(1),
  labels: new Int32Array(0),
  rows: new Int32Array(0),
});

/** `n` examples of exactly `length` random tokens ([CLS] … [SEP]) with random labels. */
export function randomSplit(n: number, length: number, config: ModelConfig, seed: string): EncodedSplit {
  const rng = createRng(seed);
  const ids = new Int32Array(n * length);
  for (let i = 0; i < n; i++) {
    ids[i * length] = 101;
    for (let t = 1; t < length - 1; t++) ids[i * length + t] = 1000 + rng.int(config.vocabSize - 1000);
    ids[i * length + length - 1] = 102;
  }
  return {
    ids,
    offsets: Int32Array.from({ length: n + 1 }, (_, i) => i * length),
    labels: Int32Array.from({ length: n }, () => rng.int(config.numLabels)),
    rows: Int32Array.from({ length: n }, (_, i) => i + 1),
  };
}

export function dataset(train: EncodedSplit, config: ModelConfig, maxLength: number): EncodedDataset {
  return {
    labels: [...config.id2label],
    multiLabel: false,
    maxLength,
    padTokenId: 0,
    train,
    validation: emptySplit(),
    test: emptySplit(),
  };
}

export interface StepTiming {
  examplesPerSec: number;
  tokensPerSec: number;
  msPerStep: number;
  /** Seconds spent before the first step (caching the frozen part). */
  prepareSec: number;
}

/** Runs `steps + 1` optimizer steps of one mode through the training loop; the first is a warm-up. */
export async function timeSteps(
  model: TrainModel,
  mode: TrainMode,
  layers: number,
  batch: number,
  seqLength: number,
  steps: number,
  microBatch = batch,
): Promise<StepTiming> {
  const n = batch * (steps + 1);
  const data = dataset(randomSplit(n, seqLength, model.config, `${mode}:${layers}`), model.config, seqLength);
  const perStep: { examplesPerSec: number; tokensPerSec: number }[] = [];
  const started = performance.now();
  let firstStepAt = 0;
  const onEvent = (event: TrainEvent) => {
    if (event.type === 'start') firstStepAt = performance.now();
    if (event.type === 'step')
      perStep.push({ examplesPerSec: event.examplesPerSec, tokensPerSec: event.tokensPerSec });
  };
  await trainModel(
    {
      model,
      data,
      config: {
        ...defaultTrainConfig(mode),
        layers,
        batchSize: microBatch,
        gradAccumSteps: batch / microBatch,
        epochs: 1,
        evalBatchSize: microBatch,
      },
      emitIntervalMs: 0,
    },
    onEvent,
  );
  const timed = perStep.slice(1);
  const examplesPerSec = median(timed.map((s) => s.examplesPerSec));
  return {
    examplesPerSec,
    tokensPerSec: median(timed.map((s) => s.tokensPerSec)),
    msPerStep: (1000 * batch) / examplesPerSec,
    prepareSec: (firstStepAt - started) / 1000,
  };
}
