import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../train/config.ts';
import { defaultWeights } from './parzen.ts';
import { MEDIAN_PRUNER_DEFAULTS, nanPercentile, shouldPrune } from './pruner.ts';
import { NumpyRandomState } from './rng.ts';
import { defaultGamma, type SamplerName } from './sampler.ts';
import { optimize, Study, TrialPruned, type StudySettings } from './search.ts';
import {
  configForParams,
  defaultSearchSpace,
  floatDist,
  intDist,
  spaceProblems,
  type SearchSpace,
} from './space.ts';
import { bestSoFar, type Trial } from './study.ts';
import { noisyObjective, quadraticObjective } from './test-support/functions.ts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function bestOf(
  sampler: SamplerName,
  seed: number,
  objective: (params: Record<string, number | string | boolean>, trialNumber: number) => number,
  space: SearchSpace = defaultSearchSpace('full'),
  trials = 30,
): Promise<number> {
  const study = new Study({ space, sampler, seed, direction: 'minimize', pruning: false });
  await optimize(study, async (params, _reporter, trial) => objective(params, trial.number), { trials });
  return study.best()!.value!;
}

describe('samplers on standard test functions (20 seeds, 30 trials)', () => {
  it('TPE reaches a better median best than random search on a shifted quadratic with discrete axes', async () => {
    const seeds = Array.from({ length: 20 }, (_, i) => i);
    const tpe = await Promise.all(seeds.map((s) => bestOf('tpe', s, quadraticObjective)));
    const random = await Promise.all(seeds.map((s) => bestOf('random', s, quadraticObjective)));
    expect(median(tpe)).toBeLessThan(median(random));
  });

  it('TPE reaches a better median best than random search on a narrow optimum under noise', async () => {
    const seeds = Array.from({ length: 20 }, (_, i) => i);
    const run = (sampler: SamplerName, seed: number) => {
      const noise = new NumpyRandomState(1000 + seed);
      return bestOf(sampler, seed, (params) => noisyObjective(params, noise));
    };
    const tpe = await Promise.all(seeds.map((s) => run('tpe', s)));
    const random = await Promise.all(seeds.map((s) => run('random', s)));
    expect(median(tpe)).toBeLessThan(median(random));
  });
});

describe('study', () => {
  const settings: StudySettings = {
    space: defaultSearchSpace('full'),
    sampler: 'tpe',
    seed: 3,
    direction: 'minimize',
    pruning: false,
  };

  it('is reproducible by seed and differs across seeds', async () => {
    const run = async (seed: number) => {
      const study = new Study({ ...settings, seed });
      await optimize(study, async (params) => quadraticObjective(params), { trials: 25 });
      return study.trials.map((t) => t.params);
    };
    expect(await run(3)).toEqual(await run(3));
    expect(await run(4)).not.toEqual(await run(3));
  });

  it('samples every parameter inside its distribution, sets fixed and single values', async () => {
    const space: SearchSpace = {
      learning_rate: floatDist(1e-4, 1e-2, true),
      num_train_epochs: intDist(2, 8, false, 2),
      gradient_accumulation_steps: intDist(1, 16, true),
      warmup_ratio: floatDist(0, 0.2, false, 0.05),
      per_device_train_batch_size: { kind: 'categorical', choices: [8, 32] },
      seed: { kind: 'fixed', value: 5 },
      weight_decay: floatDist(0.01, 0.01),
    };
    const study = new Study({ ...settings, space });
    await optimize(study, async (params) => quadraticObjective(params), { trials: 40 });
    for (const { params } of study.trials) {
      const lr = params.learning_rate as number;
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThan(1e-2);
      expect([2, 4, 6, 8]).toContain(params.num_train_epochs);
      expect(Number.isInteger(params.gradient_accumulation_steps)).toBe(true);
      expect(params.gradient_accumulation_steps).toBeGreaterThanOrEqual(1);
      expect(params.gradient_accumulation_steps).toBeLessThanOrEqual(16);
      expect(
        [0, 0.05, 0.1, 0.15, 0.2].some((v) => Math.abs(v - (params.warmup_ratio as number)) < 1e-12),
      ).toBe(true);
      expect([8, 32]).toContain(params.per_device_train_batch_size);
      expect(params.seed).toBe(5);
      expect(params.weight_decay).toBe(0.01);
    }
  });

  it('stops at the trial budget, the time budget or when told to, and needs a budget', async () => {
    const byTrials = new Study(settings);
    await optimize(byTrials, async () => 1, { trials: 4 });
    expect(byTrials.trials).toHaveLength(4);

    let clock = 0;
    const byTime = new Study(settings);
    await optimize(
      byTime,
      async () => {
        clock += 60_000;
        return 1;
      },
      { timeBudgetMs: 150_000, now: () => clock },
    );
    expect(byTime.trials).toHaveLength(3);

    const stopped = new Study(settings);
    await optimize(stopped, async () => 1, { trials: 10, shouldContinue: () => stopped.trials.length < 2 });
    expect(stopped.trials).toHaveLength(2);

    await expect(optimize(new Study(settings), async () => 1, {})).rejects.toThrow(/budget/);
  });

  it('records failed trials without values, pruned ones with their last report, and keeps going', async () => {
    const study = new Study(settings);
    await optimize(
      study,
      async (_params, reporter, trial) => {
        if (trial.number === 1) throw new Error('out of memory');
        if (trial.number === 2) {
          reporter.report(10, 0.9);
          reporter.report(20, 0.8);
          throw new TrialPruned(20);
        }
        if (trial.number === 3) return Number.NaN;
        return 0.5;
      },
      { trials: 5 },
    );
    expect(study.trials.map((t) => [t.state, t.value])).toEqual([
      ['complete', 0.5],
      ['failed', null],
      ['pruned', 0.8],
      ['failed', null],
      ['complete', 0.5],
    ]);
    expect(study.best()!.number).toBe(0);
  });

  it('rejects a bad space with one line per problem', () => {
    expect(spaceProblems({ learning_rate: floatDist(0, 1, true) })).toEqual([
      'learning_rate: a log scale needs low > 0, got 0',
    ]);
    expect(spaceProblems({ num_train_epochs: intDist(5, 1) })[0]).toMatch(
      /low \(5\) must not exceed high \(1\)/,
    );
    expect(spaceProblems({})).toEqual(['the search space is empty']);
    expect(
      () =>
        new Study({
          ...settings,
          space: { per_device_train_batch_size: { kind: 'categorical', choices: [] } },
        }),
    ).toThrow(/needs at least one choice/);
  });

  it('maps parameters onto the run settings under training_args.json names', () => {
    const config = configForParams(defaultTrainConfig('head'), {
      learning_rate: 3e-3,
      num_train_epochs: 2,
      per_device_train_batch_size: 8,
      seed: 17,
    });
    expect([config.learningRate, config.epochs, config.batchSize, config.seed, config.mode]).toEqual([
      3e-3,
      2,
      8,
      17,
      'head',
    ]);
  });

  it('follows the Trainer defaults, with the head-only learning rate range', () => {
    expect(defaultSearchSpace('full')).toEqual({
      learning_rate: { kind: 'float', low: 1e-6, high: 1e-4, log: true },
      num_train_epochs: { kind: 'int', low: 1, high: 5, log: false, step: 1 },
      seed: { kind: 'int', low: 1, high: 40, log: false, step: 1 },
      per_device_train_batch_size: { kind: 'categorical', choices: [4, 8, 16, 32, 64] },
    });
    expect(defaultSearchSpace('head').learning_rate).toEqual({
      kind: 'float',
      low: 1e-4,
      high: 1e-2,
      log: true,
    });
  });

  it("has Optuna's gamma and weights", () => {
    expect([0, 1, 10, 11, 99, 250, 251, 1000].map(defaultGamma)).toEqual([0, 1, 1, 2, 10, 25, 25, 25]);
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const ramped = defaultWeights(28);
    expect(ramped).toHaveLength(28);
    expect(ramped.slice(0, 3)).toEqual([1 / 28, (1 / 28 + 1) / 2, 1]);
    expect(ramped.slice(3)).toEqual(new Array(25).fill(1));
  });

  it('keeps a best-so-far line that only complete trials move', () => {
    const trials: Trial[] = [
      { number: 0, state: 'failed', params: {}, value: null, intermediate: [] },
      { number: 1, state: 'complete', params: {}, value: 0.7, intermediate: [] },
      { number: 2, state: 'pruned', params: {}, value: 0.1, intermediate: [[5, 0.1]] },
      { number: 3, state: 'complete', params: {}, value: 0.5, intermediate: [] },
    ];
    expect(bestSoFar(trials, 'minimize')).toEqual([null, 0.7, 0.7, 0.5]);
    expect(bestSoFar(trials, 'maximize')).toEqual([null, 0.7, 0.7, 0.7]);
  });
});

describe('median pruning', () => {
  const complete = (number: number, curve: number[]): Trial => ({
    number,
    state: 'complete',
    params: {},
    value: curve.at(-1)!,
    intermediate: curve.map((v, i) => [(i + 1) * 10, v]),
  });

  it('prunes a trial worse than the median at its step once 5 trials are complete', () => {
    const history = [0.5, 0.6, 0.7, 0.8, 0.9].map((v, i) => complete(i, [v + 0.2, v]));
    const running: Trial = {
      number: 5,
      state: 'running',
      params: {},
      value: null,
      intermediate: [[10, 0.95]],
    };
    expect(shouldPrune(running, [...history, running], 'minimize')).toBe(true);
    running.intermediate = [[10, 0.85]];
    expect(shouldPrune(running, [...history, running], 'minimize')).toBe(false);
    expect(shouldPrune(running, [...history, running], 'maximize')).toBe(true);
    expect(shouldPrune(running, [...history.slice(0, 4), running], 'minimize')).toBe(false);
    expect(MEDIAN_PRUNER_DEFAULTS.nStartupTrials).toBe(5);
    expect(nanPercentile([3, 1, Number.NaN, 2, 4], 50)).toBe(2.5);
  });

  // The median rule's premise: curves keep their order from step to step (they may converge and
  // differ in shape). Then the best trial is never below the median, so never pruned.
  it('never drops the best trial of a completed search on fixed learning curves', async () => {
    let prunedSomewhere = 0;
    for (let history = 0; history < 30; history++) {
      const rng = new NumpyRandomState(history);
      // Validation losses falling towards each trial's own final value, at steps 10, 20, … 50;
      // a worse final value comes with a higher start, so curves never cross.
      const curves = Array.from({ length: 20 }, () => {
        const final = 0.2 + rng.random();
        const start = 0.3 + final * (1 + rng.random() * 0.01);
        return [1, 2, 3, 4, 5].map((k) => final + start / k ** (1 + final));
      });
      const run = async (pruning: boolean) => {
        const study = new Study({
          ...{ space: defaultSearchSpace('full'), sampler: 'random', seed: history, direction: 'minimize' },
          pruning,
        });
        await optimize(
          study,
          async (_params, reporter, trial) => {
            const curve = curves[trial.number]!;
            for (let k = 0; k < curve.length; k++) {
              if (reporter.report((k + 1) * 10, curve[k]!)) throw new TrialPruned((k + 1) * 10);
            }
            return curve.at(-1)!;
          },
          { trials: curves.length },
        );
        return study;
      };
      const withPruning = await run(true);
      const without = await run(false);
      prunedSomewhere += withPruning.trials.filter((t) => t.state === 'pruned').length;
      const best = withPruning.best()!;
      expect(best.number).toBe(without.best()!.number);
      expect(best.value).toBe(without.best()!.value);
    }
    expect(prunedSomewhere).toBeGreaterThan(50);
  });
});
