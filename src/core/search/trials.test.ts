import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeParams } from '../model/index.ts';
import { runModelCopy } from '../model/run-copy.ts';
import { defaultTrainConfig, type TrainConfig } from '../train/config.ts';
import { MemoryFeatureCache, type FeatureCacheFactory } from '../train/feature-cache.ts';
import { syntheticData, syntheticModel } from '../train/test-support/synthetic.ts';
import { trainModel, type TrainModel } from '../train/trainer/index.ts';
import type { TrainResult } from '../train/events.ts';
import { configForParams, floatDist, intDist, type SearchSpace } from './space.ts';
import type { Trial } from './study.ts';
import { SearchRunner, type TrialRunSettings } from './trials.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const data = syntheticData({ train: 48, validation: 24, test: 12 });
const base = syntheticModel({ seed: 3 });

function settings(
  overrides: Partial<TrainConfig> = {},
  featureCache?: FeatureCacheFactory,
): TrialRunSettings & { live: Set<TrainModel> } {
  const live = new Set<TrainModel>();
  return {
    live,
    data,
    baseConfig: { ...defaultTrainConfig('head'), evalBatchSize: 16, ...overrides },
    newModel: (seed) => {
      const model = runModelCopy(base, data.labels, data.multiLabel, seed);
      live.add(model);
      return model;
    },
    disposeModel: (model) => {
      live.delete(model);
      disposeParams(model.params);
    },
    emitIntervalMs: 0,
    ...(featureCache ? { featureCache } : {}),
  };
}

const SPACE: SearchSpace = {
  learning_rate: floatDist(1e-3, 3e-2, true),
  num_train_epochs: intDist(1, 2),
  seed: intDist(1, 40),
  per_device_train_batch_size: { kind: 'categorical', choices: [8, 16] },
};

describe('trials through the training loop', () => {
  it('trains each trial with its parameters, shares one feature cache, keeps only the best model', async () => {
    let cachesBuilt = 0;
    const factory: FeatureCacheFactory = (lengths, dim) => {
      cachesBuilt++;
      return new MemoryFeatureCache(lengths, dim);
    };
    const run = settings({ metricForBestModel: 'accuracy' }, factory);
    const configs: TrainConfig[] = [];
    const ended: Array<[number, string, number | null]> = [];
    const runner = new SearchRunner({ space: SPACE, sampler: 'tpe', seed: 5, pruning: true }, run, {
      onTrialStart: (_trial, config) => configs.push(config),
      onTrialEnd: (trial, result) => {
        ended.push([trial.number, trial.state, trial.value]);
        expect(result).not.toBeNull();
      },
    });
    expect(runner.study.direction).toBe('maximize');
    const before = tf.memory().numTensors;
    const best = await runner.runSearch({ trials: 4 });
    expect(runner.study.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'complete', 'complete']);
    runner.study.trials.forEach((trial, i) => {
      expect(configs[i]!.learningRate).toBe(trial.params.learning_rate);
      expect(configs[i]!.epochs).toBe(trial.params.num_train_epochs);
      expect(configs[i]!.batchSize).toBe(trial.params.per_device_train_batch_size);
      expect(configs[i]!.seed).toBe(trial.params.seed);
      expect(configs[i]!.mode).toBe('head');
    });
    expect(ended.map(([n, state]) => [n, state])).toEqual([0, 1, 2, 3].map((n) => [n, 'complete']));
    // Train, validation and test features cached once, by the first trial.
    expect(cachesBuilt).toBe(3);
    expect(best).not.toBeNull();
    expect(best!.trial).toBe(runner.study.best());
    expect(best!.result.best!.value).toBe(best!.trial.value);
    expect(run.live.size).toBe(1);
    expect([...run.live][0]).toBe(best!.model);
    run.disposeModel(best!.model);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('retrains any trial deterministically from its parameters and seed', async () => {
    const run = settings({ metricForBestModel: 'loss' });
    const runner = new SearchRunner({ space: SPACE, sampler: 'random', seed: 9, pruning: false }, run);
    const best = await runner.runSearch({ trials: 3 });
    const other = runner.study.trials.find((t) => t !== best!.trial)!;
    for (const trial of [best!.trial, other]) {
      const config = configForParams(run.baseConfig, trial.params);
      const model = await run.newModel(config.seed);
      const result = await trainModel({ model, data, config, emitIntervalMs: 0 });
      expect(result.best!.value).toBe(trial.value);
      if (trial === best!.trial) {
        for (const name of ['classifier.weight', 'pre_classifier.weight']) {
          expect(model.params[name]!.dataSync()).toEqual(best!.model.params[name]!.dataSync());
        }
      }
      run.disposeModel(model);
    }
    run.disposeModel(best!.model);
  });

  it('prunes a trial at an evaluation below the median of earlier trials, and stops it there', async () => {
    const run = settings({ metricForBestModel: 'accuracy', evalSteps: 1 });
    // Five complete trials that reached perfect accuracy at every step.
    const history: Trial[] = Array.from({ length: 5 }, (_, number) => ({
      number,
      state: 'complete',
      params: { learning_rate: 0.01, num_train_epochs: 2, seed: number + 1, per_device_train_batch_size: 8 },
      value: 1,
      intermediate: Array.from({ length: 20 }, (_, s) => [s + 1, 1] as [number, number]),
    }));
    const results: Array<number | undefined> = [];
    const runner = new SearchRunner(
      { space: SPACE, sampler: 'random', seed: 2, pruning: true },
      run,
      {
        onTrialEnd: (_trial, result) => results.push(result?.steps),
      },
      history,
    );
    await runner.runSearch({ trials: 6 });
    const trial = runner.study.trials[5]!;
    expect(trial.state).toBe('pruned');
    expect(trial.intermediate).toHaveLength(1);
    expect(trial.value).toBe(trial.intermediate[0]![1]);
    expect(trial.value).toBeLessThan(1);
    // Stopped at the next step boundary, far from its planned steps.
    expect(results[0]).toBeLessThanOrEqual(2);
    expect(runner.best).toBeNull();
  });

  it('stops a trial early inside it as a run does; the trial completes with its best value', async () => {
    // No evaluation can improve by 10: each trial stops after its first evaluation and two more.
    const run = settings({ evalSteps: 1, earlyStoppingPatience: 2, earlyStoppingMinDelta: 10 });
    const results: Array<TrainResult | null> = [];
    const runner = new SearchRunner({ space: SPACE, sampler: 'random', seed: 6, pruning: false }, run, {
      onTrialEnd: (_trial, result) => results.push(result),
    });
    const best = await runner.runSearch({ trials: 2 });
    expect(results.map((r) => [r?.reason, r?.steps])).toEqual([
      ['early_stopped', 3],
      ['early_stopped', 3],
    ]);
    runner.study.trials.forEach((trial, i) => {
      expect(trial.state).toBe('complete');
      expect(trial.value).toBe(results[i]!.best!.value);
    });
    run.disposeModel(best!.model);
  });

  it('pauses at a step and resumes to the trials a search never paused finds', async () => {
    const settingsOf = { space: SPACE, sampler: 'tpe' as const, seed: 7, pruning: false };
    const plainRun = settings();
    const plain = new SearchRunner(settingsOf, plainRun);
    plainRun.disposeModel((await plain.runSearch({ trials: 3 }))!.model);

    const run = settings();
    let steps = 0;
    let pausedAt: number | null = null;
    const runner: SearchRunner = new SearchRunner(settingsOf, run, {
      onTrainEvent: (trial, event) => {
        if (event.type !== 'step') return;
        steps++;
        if (trial.number === 1 && pausedAt === null) {
          runner.pause();
          pausedAt = steps;
        }
      },
    });
    const searching = runner.runSearch({ trials: 3 });
    while (pausedAt === null) await new Promise((wake) => setTimeout(wake, 5));
    await new Promise((wake) => setTimeout(wake, 50));
    const whilePaused = steps;
    await new Promise((wake) => setTimeout(wake, 100));
    expect(runner.isPaused).toBe(true);
    // At most the step under way when paused finishes; then nothing trains until resumed.
    expect(whilePaused - pausedAt!).toBeLessThanOrEqual(1);
    expect(steps).toBe(whilePaused);
    expect(runner.study.trials).toHaveLength(2);
    runner.resume();
    const best = await searching;
    expect(runner.study.trials.map((t) => [t.state, t.params, t.value])).toEqual(
      plain.study.trials.map((t) => [t.state, t.params, t.value]),
    );
    run.disposeModel(best!.model);
  });

  it('stops: the running trial fails as interrupted and no further trial starts', async () => {
    const run = settings();
    let steps = 0;
    const runner: SearchRunner = new SearchRunner(
      { space: SPACE, sampler: 'random', seed: 4, pruning: false },
      run,
      {
        onTrainEvent: (trial, event) => {
          if (trial.number === 1 && event.type === 'step' && ++steps === 1) runner.stop();
        },
      },
    );
    await runner.runSearch({ trials: 5 });
    expect(runner.study.trials.map((t) => t.state)).toEqual(['complete', 'failed']);
    expect(run.live.size).toBe(1);
    run.disposeModel(runner.best!.model);
  });

  it('needs a validation split', () => {
    const noValidation = syntheticData({ train: 20, validation: 0, test: 4 });
    expect(
      () =>
        new SearchRunner(
          { space: SPACE, sampler: 'tpe', seed: 1, pruning: true },
          { ...settings(), data: noValidation },
        ),
    ).toThrow('a search needs a validation split: its metric is the objective');
  });
});
