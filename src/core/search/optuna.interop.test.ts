// Parity with Optuna 5.0.0 run in .venv-py: numpy's generator, the truncated-normal arithmetic, the
// TPE's split of a fixed history, its Parzen estimators (below and above), their log densities at
// given points, the candidates drawn with the same seed and the chosen candidate; and whole seeded
// studies, whose suggested parameters equal Optuna's trial by trial.
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requirePython, runPython } from '../../node/python.ts';
import { parzenLogPdf, sampleParzen, type ParzenEstimator } from './parzen.ts';
import { NumpyRandomState } from './rng.ts';
import {
  chooseCandidate,
  defaultGamma,
  splitTrials,
  tpeEstimators,
  type SampledDistribution,
} from './sampler.ts';
import { optimize, Study } from './search.ts';
import { defaultSearchSpace, floatDist, intDist, type SearchSpace } from './space.ts';
import { erf, erfc, logGaussMass, logNdtr, truncnormPpf } from './special.ts';
import type { Direction, Trial } from './study.ts';
import { quadraticObjective } from './test-support/functions.ts';

requirePython();
const REFERENCE = join(dirname(new URL(import.meta.url).pathname), 'test-support', 'optuna_reference.py');

async function optunaAnswer<T>(request: object): Promise<T> {
  const run = await runPython([REFERENCE], { input: JSON.stringify(request), timeoutMs: 120_000 });
  if (run.code !== 0) throw new Error(`optuna_reference.py failed:\n${run.stderr}`);
  // Python writes -Infinity and NaN bare; JSON has no such numbers.
  const quoted = run.stdout.replace(/-?Infinity|NaN/g, (token) => `"${token}"`);
  return JSON.parse(quoted, (_key, value: unknown) =>
    typeof value === 'string' && /^(-?Infinity|NaN)$/.test(value) ? Number(value) : value,
  ) as T;
}

function expectClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-10): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => {
    const want = expected[i]!;
    if (!Number.isFinite(want)) expect(value).toBe(want);
    else expect(Math.abs(value - want)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(want)));
  });
}

/** A history with complete, pruned and failed trials over the Trainer's space (and extra kinds). */
function fixedHistory(space: SearchSpace, count: number, seed: number): Trial[] {
  const rng = new NumpyRandomState(seed);
  const trials: Trial[] = [];
  for (let number = 0; number < count; number++) {
    const params: Record<string, number | string> = {};
    for (const [name, distribution] of Object.entries(space)) {
      if (distribution.kind === 'categorical') {
        params[name] = distribution.choices[Math.floor(rng.random() * distribution.choices.length)] as number;
      } else if (distribution.kind === 'int') {
        params[name] =
          distribution.low + Math.floor(rng.random() * (distribution.high - distribution.low + 1));
      } else if (distribution.kind === 'float' && distribution.step !== undefined) {
        const steps = Math.round((distribution.high - distribution.low) / distribution.step);
        params[name] = distribution.low + Math.floor(rng.random() * (steps + 1)) * distribution.step;
      } else if (distribution.kind === 'float') {
        params[name] = distribution.log
          ? Math.exp(
              Math.log(distribution.low) + rng.random() * Math.log(distribution.high / distribution.low),
            )
          : distribution.low + rng.random() * (distribution.high - distribution.low);
      }
    }
    const value = Math.round(rng.random() * 1e6) / 1e6;
    const kind = rng.random();
    if (kind < 0.2) {
      const steps = 1 + Math.floor(rng.random() * 3);
      const intermediate: Array<[number, number]> = [];
      for (let s = 1; s <= steps; s++) intermediate.push([s * 10, Math.round(rng.random() * 1e6) / 1e6]);
      trials.push({ number, state: 'pruned', params, value: intermediate.at(-1)![1], intermediate });
    } else if (kind < 0.27) {
      trials.push({ number, state: 'failed', params, value: null, intermediate: [] });
    } else {
      trials.push({ number, state: 'complete', params, value, intermediate: [[10, value + 0.1]] });
    }
  }
  return trials;
}

function grid(distribution: SampledDistribution): number[] {
  if (distribution.kind === 'categorical') return distribution.choices.map((_, i) => i);
  if (distribution.kind === 'int') {
    const points: number[] = [];
    for (let v = distribution.low; v <= distribution.high; v += distribution.step) points.push(v);
    return points;
  }
  const { low, high, log } = distribution;
  return Array.from({ length: 13 }, (_, i) =>
    log ? Math.exp(Math.log(low) + (i / 12) * Math.log(high / low)) : low + (i / 12) * (high - low),
  );
}

interface EstimatorAnswer {
  weights: number[];
  mus?: number[];
  sigmas?: number[];
  categorical?: number[][];
}
interface ParamAnswer {
  below: EstimatorAnswer;
  above: EstimatorAnswer;
  logPdfBelow: number[];
  logPdfAbove: number[];
  candidates: number[];
  acquisition: number[];
  chosen: number;
}

/**
 * Compares an estimator with Optuna's; true when every kernel sits where Optuna's does. Equal
 * observations leave the order of their bandwidths to numpy's argsort, which is not stable and
 * depends on the CPU's SIMD sort; there each value's set of bandwidths must agree instead.
 */
function expectEstimator(ours: ParzenEstimator, theirs: EstimatorAnswer): boolean {
  expectClose(ours.weights, theirs.weights);
  if (ours.kernels.kind === 'categorical') {
    expect(theirs.categorical).toBeDefined();
    expectClose(ours.kernels.weights.flat(), theirs.categorical!.flat());
    return true;
  }
  expectClose(ours.kernels.mus, theirs.mus!);
  const pairs = (mus: readonly number[], sigmas: readonly number[]) =>
    mus.map((mu, i) => [mu, sigmas[i]!] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const ourPairs = pairs(ours.kernels.mus, ours.kernels.sigmas);
  const theirPairs = pairs(theirs.mus!, theirs.sigmas!);
  expectClose(ourPairs.flat(), theirPairs.flat());
  return ours.kernels.sigmas.every(
    (sigma, i) => Math.abs(sigma - theirs.sigmas![i]!) <= 1e-12 * Math.abs(sigma),
  );
}

/** Whether a mixture's density is the same under any order of tied kernels (equal weights). */
function uniformWeights(estimator: ParzenEstimator): boolean {
  return estimator.weights.slice(0, -1).every((w) => w === estimator.weights[0]);
}

const EXTENDED_SPACE: SearchSpace = {
  ...defaultSearchSpace('full'),
  weight_decay: floatDist(0, 0.3),
  warmup_ratio: floatDist(0, 0.2, false, 0.05),
  gradient_accumulation_steps: intDist(1, 8, true),
};

const HISTORIES: Array<{
  name: string;
  space: SearchSpace;
  count: number;
  direction: Direction;
  seed: number;
}> = [
  {
    name: 'the Trainer space, 12 trials, minimised',
    space: defaultSearchSpace('full'),
    count: 12,
    direction: 'minimize',
    seed: 3,
  },
  {
    name: 'head-only space, 30 trials, maximised',
    space: defaultSearchSpace('head'),
    count: 30,
    direction: 'maximize',
    seed: 11,
  },
  {
    name: 'steps, log ints and plain floats, 41 trials (ramped weights)',
    space: EXTENDED_SPACE,
    count: 41,
    direction: 'minimize',
    seed: 5,
  },
  { name: 'one trial of each', space: EXTENDED_SPACE, count: 2, direction: 'maximize', seed: 8 },
];

describe('TPE parity with Optuna 5.0.0', () => {
  it('draws the numbers numpy RandomState draws for a seed', async () => {
    for (const seed of [0, 42, 4294967295]) {
      const expected = await optunaAnswer<number[]>({ kind: 'rng', seed, count: 700 });
      const rng = new NumpyRandomState(seed);
      expect(expected.map(() => rng.random())).toEqual(expected);
    }
  });

  it('computes erf, erfc, log Φ, the Gaussian mass and the truncated-normal quantile as Optuna does', async () => {
    const x = [
      -40, -25, -20.5, -8, -6.5, -3, -1.3, -1, -0.5, -1e-9, 0, 1e-10, 0.3, 0.9, 1.2, 2.5, 3.1, 5.9, 6.1, 7,
      30,
    ];
    const a = [-3, -30, -0.5, 0.1, 2, -1, -8, 4];
    const b = [2, -25, 0.5, 3, 9, -0.2, 8, 4.5];
    const q = [0.5, 0.3, 0.999, 1e-6, 0.42, 0.77, 0.01, 0.6];
    const expected = await optunaAnswer<Record<string, number[]>>({ kind: 'special', x, a, b, q });
    expectClose(x.map(erf), expected.erf!, 1e-15);
    expectClose(x.map(erfc), expected.erfc!, 1e-14);
    expectClose(x.map(logNdtr), expected.logNdtr!, 1e-14);
    expectClose(
      a.map((lo, i) => logGaussMass(lo, b[i]!)),
      expected.logGaussMass!,
      1e-13,
    );
    expectClose(
      q.map((p, i) => truncnormPpf(p, a[i]!, b[i]!)),
      expected.ppf!,
      1e-8,
    );
  });

  for (const { name, space, count, direction, seed } of HISTORIES) {
    it(`builds the estimators, densities and choice Optuna builds: ${name}`, async () => {
      const history = fixedHistory(space, count, seed);
      const distributions = Object.entries(space) as Array<[string, SampledDistribution]>;
      const points = Object.fromEntries(distributions.map(([n, d]) => [n, grid(d)]));
      const expected = await optunaAnswer<{
        below: number[];
        above: number[];
        params: Record<string, ParamAnswer>;
      }>({
        kind: 'estimators',
        space: distributions,
        direction,
        seed,
        history,
        points,
      });
      let comparedChoices = 0;
      let comparedDraws = 0;
      const finished = history.filter((t) => t.state === 'complete' || t.state === 'pruned');
      const split = splitTrials(finished, direction, defaultGamma(finished.length));
      expect(split.below.map((t) => t.number)).toEqual(expected.below);
      expect(split.above.map((t) => t.number)).toEqual(expected.above);
      for (const [param, distribution] of distributions) {
        const theirs = expected.params[param]!;
        const { below, above } = tpeEstimators(finished, direction, param, distribution);
        const belowInOrder = expectEstimator(below, theirs.below);
        const aboveInOrder = expectEstimator(above, theirs.above);
        if (belowInOrder || uniformWeights(below)) {
          expectClose(parzenLogPdf(below, points[param]!), theirs.logPdfBelow, 1e-9);
        }
        if (aboveInOrder || uniformWeights(above)) {
          expectClose(parzenLogPdf(above, points[param]!), theirs.logPdfAbove, 1e-9);
        }
        if ((belowInOrder || uniformWeights(below)) && (aboveInOrder || uniformWeights(above))) {
          // The same candidates, scored: the same acquisition values and the same choice.
          const chosen = chooseCandidate(below, above, theirs.candidates);
          expectClose(chosen.scores, theirs.acquisition, 1e-9);
          expect(chosen.index).toBe(theirs.chosen);
          comparedChoices++;
        }
        if (belowInOrder) {
          // Drawn by us from the same seed: the same candidates.
          expectClose(sampleParzen(below, new NumpyRandomState(seed), 24), theirs.candidates, 1e-8);
          comparedDraws++;
        }
      }
      // Continuous and categorical parameters never tie: those always compare in full.
      expect(comparedChoices).toBeGreaterThanOrEqual(2);
      expect(comparedDraws).toBeGreaterThanOrEqual(2);
    });
  }

  for (const sampler of ['tpe', 'random'] as const) {
    // Continuous and categorical parameters: no two observations tie, so no step depends on the
    // order numpy's unstable argsort gives equal values.
    it(`suggests Optuna's parameters trial by trial in a seeded ${sampler} study`, async () => {
      const space: SearchSpace = {
        learning_rate: floatDist(1e-6, 1e-4, true),
        weight_decay: floatDist(0, 0.3),
        per_device_train_batch_size: { kind: 'categorical', choices: [4, 8, 16, 32, 64] },
      };
      const trials = 30;
      const seed = 7;
      const expected = await optunaAnswer<Array<Record<string, number>>>({
        kind: 'study',
        sampler,
        seed,
        trials,
        function: 'quadratic',
        space: Object.entries(space),
      });
      const study = new Study({ space, sampler, seed, direction: 'minimize', pruning: false });
      await optimize(study, async (params) => quadraticObjective(params), { trials });
      expect(study.trials).toHaveLength(trials);
      study.trials.forEach((trial, i) => {
        const want = expected[i]!;
        expect(Object.keys(trial.params)).toEqual(Object.keys(want));
        expectClose([trial.params.learning_rate as number], [want.learning_rate!], 1e-9);
        expectClose([trial.params.weight_decay as number], [want.weight_decay!], 1e-9);
        expect([i, trial.params.per_device_train_batch_size]).toEqual([i, want.per_device_train_batch_size]);
      });
    });
  }
});
