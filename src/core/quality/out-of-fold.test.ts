import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultTrainConfig, TrainController, type TrainConfig } from '../train/index.ts';
import { syntheticData, syntheticModels } from '../train/test-support/synthetic.ts';
import type { EncodedDataset, EncodedSplit } from '../tokenize/types.ts';
import { assignFolds, outOfFoldProbabilities, poolSplits, validationSlice } from './out-of-fold.ts';
import { labelIssues } from './label-issues.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const model = syntheticModels();

/** Synthetic splits numbered as rows of one file: train first, then validation, then test. */
function data(
  sizes: { train: number; validation: number; test: number },
  multiLabel = false,
): EncodedDataset {
  const d = syntheticData(sizes, { multiLabel });
  let next = 1;
  const renumber = (split: EncodedSplit): EncodedSplit => ({
    ...split,
    rows: Int32Array.from(split.rows, () => next++),
  });
  return { ...d, train: renumber(d.train), validation: renumber(d.validation), test: renumber(d.test) };
}

function config(overrides: Partial<TrainConfig>): TrainConfig {
  return {
    ...defaultTrainConfig(overrides.mode ?? 'head'),
    batchSize: 8,
    evalBatchSize: 16,
    epochs: 2,
    learningRate: 5e-3,
    dropout: false,
    ...overrides,
  };
}

describe('fold assignment', () => {
  it('stratifies: each class is dealt evenly over the folds, and fold sizes differ by at most one', () => {
    const keys = Int32Array.from({ length: 103 }, (_, i) => (i < 60 ? 0 : i < 95 ? 1 : 2));
    const fold = assignFolds(keys, 5, 3);
    const sizes = [0, 1, 2, 3, 4].map((f) => fold.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const [cls, count] of [
      [0, 60],
      [1, 35],
      [2, 8],
    ] as const) {
      const perFold = [0, 1, 2, 3, 4].map((f) => keys.filter((k, i) => k === cls && fold[i] === f).length);
      expect(perFold.reduce((a, b) => a + b, 0)).toBe(count);
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
    }
    expect([...assignFolds(keys, 5, 3)]).toEqual([...fold]);
    expect([...assignFolds(keys, 5, 4)]).not.toEqual([...fold]);
  });

  it('the validation slice is a stratified tenth of the training rows, disjoint from them', () => {
    const keys = Int32Array.from({ length: 200 }, (_, i) => i % 2);
    const rest = Int32Array.from({ length: 160 }, (_, i) => i);
    const { train, validation } = validationSlice(rest, keys, 0.1, 's');
    expect(validation.length).toBe(16);
    expect(validation.filter((i) => keys[i] === 1).length).toBe(8);
    expect(new Set([...train, ...validation]).size).toBe(160);
    expect(train.length + validation.length).toBe(160);
  });
});

describe('out-of-fold probabilities', () => {
  it('come for every row from the one fold model that neither trained, selected nor stopped on it', async () => {
    const encoded = data({ train: 50, validation: 12, test: 10 });
    const m = model();
    const before = m.params['classifier.weight']!.dataSync().slice();
    const seen: {
      train: number[];
      validation: number[];
      heldOut: number[];
      predictions: Map<number, number[]>;
    }[] = [];
    const result = await outOfFoldProbabilities({
      model: m,
      data: encoded,
      // Early stopping and checkpoint choice both act on the validation slice.
      config: config({ epochs: 4, evalSteps: 2, earlyStoppingPatience: 1, metricForBestModel: 'loss' }),
      folds: 4,
      startFold: (_fold, options) => {
        const controller = new TrainController(options);
        const run = controller.run.bind(controller);
        controller.run = async () => {
          const outcome = await run();
          const k = options.data.labels.length;
          const p = outcome.testPredictions!;
          seen.push({
            train: [...options.data.train.rows],
            validation: [...options.data.validation.rows],
            heldOut: [...options.data.test.rows],
            predictions: new Map(
              [...p.rows].map((row, i) => [row, [...p.probabilities.subarray(i * k, (i + 1) * k)]]),
            ),
          });
          return outcome;
        };
        return controller;
      },
    });
    expect(seen.length).toBe(4);
    const all = Array.from({ length: 72 }, (_, i) => i + 1);
    expect([...result.rows]).toEqual(all);
    expect(seen.flatMap((s) => s.heldOut).sort((a, b) => a - b)).toEqual(all);
    for (const fold of seen) {
      expect(fold.validation.length).toBeGreaterThan(0);
      // Each fold model trains and validates on every row it does not hold out.
      expect([...fold.train, ...fold.validation, ...fold.heldOut].sort((a, b) => a - b)).toEqual(all);
    }
    result.rows.forEach((row, i) => {
      const source = seen.filter((s) => s.heldOut.includes(row));
      expect(source.length).toBe(1);
      const fold = source[0]!;
      expect(fold.train).not.toContain(row);
      expect(fold.validation).not.toContain(row);
      expect(seen.indexOf(fold)).toBe(result.foldOf[i]);
      const probabilities = [...result.probabilities.subarray(i * 3, i * 3 + 3)];
      expect(probabilities).toEqual(fold.predictions.get(row));
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    });
    // Fold models differ (they trained on different rows), and the model is as it was.
    expect(result.folds.map((f) => f.steps).every((s) => s > 0)).toBe(true);
    expect([...m.params['classifier.weight']!.dataSync()]).toEqual([...before]);
  });

  for (const [mode, layers] of [
    ['head', 1],
    ['top-k', 1],
  ] as const) {
    it(`${mode}: later folds read the first fold's frozen features and get the same probabilities`, async () => {
      const encoded = data({ train: 40, validation: 8, test: 8 });
      const settings = config({ mode, layers });
      const cacheEvents: number[] = [];
      const reused = await outOfFoldProbabilities({
        model: model(),
        data: encoded,
        config: settings,
        folds: 3,
        onEvent: (fold, event) => {
          if (event.type === 'progress' && event.stage === 'cache') cacheEvents.push(fold);
        },
      });
      expect(cacheEvents.length).toBeGreaterThan(0);
      expect(new Set(cacheEvents)).toEqual(new Set([0]));
      const rebuilt = await outOfFoldProbabilities({
        model: model(),
        data: encoded,
        config: settings,
        folds: 3,
        reuseCaches: false,
      });
      expect(reused.probabilities.length).toBe(56 * 3);
      reused.probabilities.forEach((p, i) =>
        expect(Math.abs(p - rebuilt.probabilities[i]!)).toBeLessThan(1e-5),
      );
    });
  }

  it("head: a finished run's caches of the splits serve every fold, and stay the caller's", async () => {
    const encoded = data({ train: 40, validation: 8, test: 8 });
    const settings = config({ mode: 'head' });
    const run = await new TrainController({
      model: model(),
      data: encoded,
      config: settings,
      keepCaches: true,
    }).run();
    const { train, validation, test } = run.caches;
    const cacheEvents: number[] = [];
    const given = await outOfFoldProbabilities({
      model: model(),
      data: encoded,
      config: settings,
      folds: 3,
      featureCaches: { train: train!, validation: validation!, test: test! },
      onEvent: (fold, event) => {
        if (event.type === 'progress' && event.stage === 'cache') cacheEvents.push(fold);
      },
    });
    expect(cacheEvents).toEqual([]);
    const computed = await outOfFoldProbabilities({
      model: model(),
      data: encoded,
      config: settings,
      folds: 3,
    });
    given.probabilities.forEach((p, i) =>
      expect(Math.abs(p - computed.probabilities[i]!)).toBeLessThan(1e-5),
    );
    // Still readable: the folds never disposed them.
    expect((await train!.read([0], 1)).length).toBe(train!.dim);
    await expect(
      outOfFoldProbabilities({
        model: model(),
        data: encoded,
        config: settings,
        featureCaches: { train: train! },
      }),
    ).rejects.toThrow('the given feature caches do not cover the validation split');
    for (const cache of [train, validation, test]) await cache!.dispose();
  });

  it('multi-label: one sigmoid per label for every row, and label issues name file rows', async () => {
    const encoded = data({ train: 30, validation: 6, test: 6 }, true);
    const result = await outOfFoldProbabilities({
      model: model({ multiLabel: true }),
      data: encoded,
      config: config({}),
      folds: 3,
    });
    expect(result.probabilities.length).toBe(42 * 3);
    expect(result.given).toBeInstanceOf(Uint8Array);
    const report = labelIssues(result);
    for (const issue of report.issues) {
      expect(issue.row).toBeGreaterThanOrEqual(1);
      expect(issue.probabilities.length).toBe(3);
      expect(issue.suggested).not.toEqual(issue.given);
    }
  });

  it('rejects fewer rows than folds, and too few folds', async () => {
    const encoded = data({ train: 3, validation: 0, test: 0 });
    await expect(
      outOfFoldProbabilities({ model: model(), data: encoded, config: config({}) }),
    ).rejects.toThrow(/5 folds need at least 5 labelled rows; the data has 3/);
    await expect(
      outOfFoldProbabilities({ model: model(), data: encoded, config: config({}), folds: 1 }),
    ).rejects.toThrow(/whole number ≥ 2/);
  });

  it('pools the splits by file row', () => {
    const encoded = data({ train: 5, validation: 2, test: 3 });
    const pool = poolSplits(encoded);
    expect([...pool.rows]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...pool.labels.subarray(5, 7)]).toEqual([...encoded.validation.labels]);
    expect([...pool.ids.subarray(pool.offsets[7], pool.offsets[10])]).toEqual([...encoded.test.ids]);
  });
});
