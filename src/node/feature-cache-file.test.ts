import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { existsSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultTrainConfig, type TrainConfig } from '../core/train/config.ts';
import type { TrainEvent, TrainResult } from '../core/train/events.ts';
import { lengthsOf, type EncodedSplit } from '../core/train/data.ts';
import { featureCacheBytes } from '../core/train/feature-cache-choice.ts';
import { FileFeatureCache } from '../core/train/feature-cache-file.ts';
import { MemoryFeatureCache } from '../core/train/feature-cache.ts';
import { syntheticData, syntheticModels } from '../core/train/test-support/synthetic.ts';
import { trainModel, type TrainOptions } from '../core/train/trainer/index.ts';
import { nodeFeatureCache, tempSpill } from './feature-cache-file.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const model = syntheticModels();

async function run(options: TrainOptions): Promise<{ result: TrainResult; losses: number[] }> {
  const losses: number[] = [];
  const result = await trainModel({ emitIntervalMs: 0, ...options }, (event: TrainEvent) => {
    if (event.type === 'step') losses.push(event.loss);
  });
  return { result, losses };
}

function expectClose(a: number[], b: number[], tolerance: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!), `index ${i}: ${x} vs ${b[i]}`).toBeLessThan(tolerance));
}

describe('the fs file behind a feature cache', () => {
  it('stores rows like the memory cache and removes its file when disposed', async () => {
    const spill = tempSpill();
    const file = spill.open();
    const lengths = Int32Array.from([3, 1, 4, 1, 5]);
    const dim = 6;
    const onFile = await FileFeatureCache.create(file, lengths, dim);
    const memory = new MemoryFeatureCache(lengths, dim);
    const values = Float32Array.from({ length: 5 * 5 * dim }, (_, i) => Math.sin(i));
    await onFile.write([0, 1, 2, 3, 4], values, 5);
    memory.write([0, 1, 2, 3, 4], values, 5);
    for (const padTo of [1, 3, 5, 9]) {
      expect(Array.from(await onFile.read([4, 2, 0, 1, 3], padTo))).toEqual(
        Array.from(memory.read([4, 2, 0, 1, 3], padTo)),
      );
    }
    // The file is exactly the rows' tokens; a file cut short is reported, not read as zeros.
    await file.truncate(10 * dim * 4);
    await expect(onFile.read([4], 5)).rejects.toThrow(/returned 24 of 120 bytes at byte 216/);
    await onFile.dispose();
    spill.dispose();
  });
});

describe('top-k training on a cache in temporary files', () => {
  const data = syntheticData({ train: 40, validation: 16, test: 8 });
  const config = (overrides: Partial<TrainConfig>): TrainConfig => ({
    ...defaultTrainConfig(overrides.mode ?? 'top-k'),
    batchSize: 8,
    evalBatchSize: 16,
    ...overrides,
  });
  for (const [mode, layers] of [
    ['top-k', 1],
    ['top-k', 2],
    ['head', 1],
  ] as const) {
    it(`${mode}${mode === 'top-k' ? ` k=${layers}` : ''}: the losses of the memory cache and of recomputing the frozen part`, async () => {
      const settings = config({ mode, layers, epochs: 2, dropout: false, learningRate: 5e-3 });
      const notices: string[] = [];
      // A zero budget sends every split's cache to disk.
      const { factory, storage } = nodeFeatureCache({
        memoryBudgetBytes: 0,
        notify: (message) => notices.push(message),
      });
      let onDisk;
      try {
        onDisk = await run({ model: model(), data, config: settings, featureCache: factory });
        // The run's caches are disposed with it: their files are gone, only the empty folder is left.
        expect(storage.directory).not.toBeNull();
        expect(readdirSync(storage.directory!)).toEqual([]);
      } finally {
        const directory = storage.directory;
        storage.dispose();
        if (directory) expect(existsSync(directory)).toBe(false);
      }
      expect(notices).toHaveLength(3);
      for (const notice of notices)
        expect(notice).toMatch(/is over the 0 B memory budget: cached in a temporary file/);
      const inMemory = await run({ model: model(), data, config: settings });
      const recomputed = await run({ model: model(), data, config: settings, cacheFrozen: false });
      expect(onDisk.losses).toHaveLength(10);
      expectClose(onDisk.losses, inMemory.losses, 1e-6);
      expectClose(onDisk.losses, recomputed.losses, 1e-5);
      expect(Math.abs(onDisk.result.validation!.loss - recomputed.result.validation!.loss)).toBeLessThan(
        1e-5,
      );
      expect(onDisk.result.test!.metrics).toEqual(inMemory.result.test!.metrics);
    });
  }

  it('keeps what fits in memory and spills the rest', async () => {
    const notices: string[] = [];
    const bytes = (split: EncodedSplit) => featureCacheBytes(lengthsOf(split), 16);
    // Room for the validation and test caches, not for the larger train cache built first.
    const budget = bytes(data.validation) + bytes(data.test);
    expect(bytes(data.train)).toBeGreaterThan(budget);
    const { factory, storage } = nodeFeatureCache({
      memoryBudgetBytes: budget,
      notify: (message) => notices.push(message),
    });
    try {
      const settings = config({ mode: 'top-k', layers: 1, epochs: 1, dropout: false });
      const mixed = await run({ model: model(), data, config: settings, featureCache: factory });
      const inMemory = await run({ model: model(), data, config: settings });
      expectClose(mixed.losses, inMemory.losses, 1e-6);
    } finally {
      storage.dispose();
    }
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^The frozen layers' output for 40 examples \([\d.]+ kB\) is over the [\d.]+ kB memory budget: cached in a temporary file/,
    );
  });
});
