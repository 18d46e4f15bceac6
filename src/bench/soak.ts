// Long runs: a 2,000-step fine-tuning run of the tiny fixture DistilBERT on the UCI Yelp sentences
// through the real training loop on WASM, sampling what it holds at each epoch's end (tfjs tensors
// and their bytes, the JS heap after a collection, the process's ArrayBuffers). After warm-up (two
// epochs) every figure must stay flat: the rows give the first sample after warm-up, the last one and
// their difference, and the suite fails (a defect, not a slow machine) if tensors grow at all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs-core';
import { describeAdapter } from '../core/backend/index.ts';
import { bytesFromArray } from '../core/csv/index.ts';
import { importDataset, splitDataset } from '../core/dataset/index.ts';
import { disposeParams, loadModel } from '../core/model/index.ts';
import { encodeDataset, loadTokenizer } from '../core/tokenize/index.ts';
import { defaultTrainConfig, trainModel, type TrainConfig } from '../core/train/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { directoryModelSource } from '../node/model-source.ts';
import { dataDir, fixtureModelDir } from '../node/paths.ts';
import type { BenchRow } from './table.ts';

export interface SoakBenchOptions {
  /** Optimizer steps (default 2,000). */
  steps?: number;
  batchSize?: number;
  maxLength?: number;
  onProgress?: (message: string) => void;
}

export interface SoakSample {
  step: number;
  tensors: number;
  tensorBytes: number;
  heapBytes: number;
  arrayBufferBytes: number;
}

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

export async function benchSoak(options: SoakBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.onProgress ?? (() => undefined);
  const steps = options.steps ?? 2000;
  const batchSize = options.batchSize ?? 8;
  const maxLength = options.maxLength ?? 64;
  await registerNodeGradients();
  const choice = await initNodeBackend('wasm');
  const adapter = describeAdapter(choice.adapter);
  const where = `node ${choice.name}${adapter ? ` (${adapter})` : ''}`;

  const dir = fixtureModelDir('distilbert-tiny-seqcls');
  const bytes = new Uint8Array(readFileSync(join(dataDir(), 'uci_sentiment', 'yelp.csv')));
  const { dataset } = await importDataset(bytesFromArray(bytes));
  const split = splitDataset(dataset, { seed: 42 });
  const tokenizer = await loadTokenizer(directoryModelSource(dir));
  const { encoded } = await encodeDataset(tokenizer, dataset, split, { maxLength });
  const stepsPerEpoch = Math.ceil(encoded.train.labels.length / batchSize);
  const config: TrainConfig = {
    ...defaultTrainConfig('full'),
    batchSize,
    maxLength,
    learningRate: 1e-3,
    epochs: Math.ceil(steps / stepsPerEpoch),
  };
  const model = await loadModel(directoryModelSource(dir), { labels: encoded.labels, seed: 42 });
  const samples: SoakSample[] = [];
  const started = performance.now();
  try {
    // Each epoch's end is a fixed point of the loop (the step's metrics read back, nothing in
    // flight), and the listener runs there synchronously, so samples compare like with like.
    await trainModel({ model, data: encoded, config }, (event) => {
      if (event.type !== 'epoch') return;
      collect();
      const memory = tf.memory();
      const usage = process.memoryUsage();
      samples.push({
        step: event.step,
        tensors: memory.numTensors,
        tensorBytes: memory.numBytes,
        heapBytes: usage.heapUsed,
        arrayBufferBytes: usage.arrayBuffers,
      });
      log(
        `soak: step ${event.step}: ${memory.numTensors} tensors, heap ${(usage.heapUsed / 2 ** 20).toFixed(1)} MiB, ArrayBuffers ${(usage.arrayBuffers / 2 ** 20).toFixed(1)} MiB`,
      );
    });
  } finally {
    disposeParams(model.params);
  }
  const seconds = (performance.now() - started) / 1000;
  // The first epoch's end comes before any evaluation has run: warm-up ends with the second.
  const warm = samples.find((s) => s.step >= 2 * stepsPerEpoch) ?? samples[0];
  const last = samples.at(-1);
  if (!warm || !last) throw new Error('soak: the run took no samples');
  if (last.tensors > warm.tensors) {
    throw new Error(
      `soak: tfjs tensors grew from ${warm.tensors} at step ${warm.step} to ${last.tensors} at step ${last.step}`,
    );
  }
  const mib = (b: number) => b / 2 ** 20;
  const span = `steps ${warm.step} → ${last.step}`;
  const note = `tiny DistilBERT (2 layers), full fine-tuning, batch ${batchSize}, max length ${maxLength}, Yelp sentences; ${config.epochs} epochs of ${stepsPerEpoch} steps`;
  const row = (name: string, value: number, unit: string, extra: string): BenchRow => ({
    suite: 'soak',
    name,
    where,
    value,
    unit,
    note: `${extra}; ${note}`,
  });
  return [
    row(
      `training steps`,
      config.epochs * stepsPerEpoch,
      'steps',
      `${seconds.toFixed(0)} s in all, samples at each epoch's end`,
    ),
    row(
      'tfjs tensors, growth after warm-up',
      last.tensors - warm.tensors,
      'tensors',
      `${warm.tensors} at step ${warm.step}, ${last.tensors} at step ${last.step}`,
    ),
    row(
      'tfjs tensor memory, growth after warm-up',
      mib(last.tensorBytes - warm.tensorBytes),
      'MiB',
      `${mib(warm.tensorBytes).toFixed(1)} → ${mib(last.tensorBytes).toFixed(1)} MiB, ${span}`,
    ),
    row(
      'JS heap after a collection, growth after warm-up',
      mib(last.heapBytes - warm.heapBytes),
      'MiB',
      `${mib(warm.heapBytes).toFixed(1)} → ${mib(last.heapBytes).toFixed(1)} MiB, ${span}`,
    ),
    row(
      'ArrayBuffers held, growth after warm-up',
      mib(last.arrayBufferBytes - warm.arrayBufferBytes),
      'MiB',
      `${mib(warm.arrayBufferBytes).toFixed(1)} → ${mib(last.arrayBufferBytes).toFixed(1)} MiB (the WASM heap included), ${span}`,
    ),
  ];
}
