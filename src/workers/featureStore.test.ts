// The train worker's reuse of frozen-feature caches within a session (OPFS is a browser's; the
// browser test covers reuse after a reload): same key, reused; another max length or model, not;
// a run's caches are never freed under it.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LoadedModel } from '../core/model/index.ts';
import { defaultTrainConfig } from '../core/train/config.ts';
import { MemoryFeatureCache, type FeatureCache } from '../core/train/feature-cache.ts';
import type { EncodedDataset, EncodedSplit, SplitName } from '../core/train/data.ts';
import { forgetSessionCaches, runCaches } from './featureStore.ts';

beforeAll(async () => {
  // Node has no navigator (and no OPFS): the session's memory budget falls back to 1 GiB.
  vi.stubGlobal('navigator', {});
  await tf.setBackend('cpu');
});
afterAll(() => vi.unstubAllGlobals());

function model(seed: number): LoadedModel {
  return {
    config: { modelType: 'distilbert', nLayers: 2, dim: 4 } as LoadedModel['config'],
    params: {
      'distilbert.embeddings.word_embeddings.weight': tf.variable(tf.fill([3, 4], seed)),
      'classifier.weight': tf.variable(tf.randomNormal([2, 4])),
    },
    report: {} as LoadedModel['report'],
    tokenizerFiles: {},
  };
}

const split = (ids: number[], offsets: number[]): EncodedSplit => ({
  ids: Int32Array.from(ids),
  offsets: Int32Array.from(offsets),
  labels: new Int32Array(offsets.length - 1),
  rows: new Int32Array(offsets.length - 1),
});

function data(maxLength: number): EncodedDataset {
  return {
    labels: ['a', 'b'],
    multiLabel: false,
    maxLength,
    padTokenId: 0,
    train: split([101, 5, 102, 101, 6, 7, 102], [0, 3, 7]),
    validation: split([101, 8, 102], [0, 3]),
    test: split([], [0]),
  };
}

/** What the trainer hands back with keepCaches: one cache per non-empty split. */
function built(dataset: EncodedDataset): Partial<Record<SplitName, FeatureCache>> {
  const out: Partial<Record<SplitName, FeatureCache>> = {};
  for (const name of ['train', 'validation'] as const) {
    const rows = dataset[name].offsets.length - 1;
    out[name] = new MemoryFeatureCache(new Int32Array(rows).fill(1), 4);
  }
  return out;
}

describe('runCaches in one session', () => {
  const head = defaultTrainConfig('head');
  const base = model(1);

  it('full fine-tuning caches nothing', async () => {
    expect(await runCaches(base, 'tiny', data(8), defaultTrainConfig('full'))).toBeNull();
  });

  it('reuses the caches of an earlier run under the same key, and says so', async () => {
    const first = await runCaches(base, 'tiny', data(8), head);
    expect(first!.given).toEqual({});
    expect(first!.note).toBeNull();
    const caches = built(data(8));
    expect(await first!.keep(caches)).toEqual([]);

    const second = await runCaches(base, 'tiny', data(8), head);
    expect(second!.given.train).toBe(caches.train);
    expect(second!.given.validation).toBe(caches.validation);
    expect(second!.given.test).toBeUndefined();
    expect(second!.note).toMatch(
      /reused the feature cache of an earlier run with the same model, data and max length \(train, validation; from memory\)/,
    );
    second!.release();
  });

  it('computes again for another max length, another mode or another model', async () => {
    for (const [dataset, config, weights] of [
      [data(9), head, base],
      [data(8), { ...defaultTrainConfig('top-k'), layers: 1 }, base],
      [data(8), head, model(2)],
    ] as const) {
      const other = await runCaches(weights, 'tiny', dataset, config);
      expect(other!.given).toEqual({});
      other!.release();
    }
  });

  it('forgets what Settings deleted', async () => {
    const first = await runCaches(base, 'tiny', data(8), head);
    await first!.keep(built(data(8)));
    forgetSessionCaches(null);
    const again = await runCaches(base, 'tiny', data(8), head);
    expect(again!.given).toEqual({});
    again!.release();
  });
});
