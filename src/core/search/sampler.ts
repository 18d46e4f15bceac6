// Optuna 5.0.0's samplers over our study record: `RandomSampler` (optuna/samplers/_random.py with
// optuna/_transform.py) and `TPESampler` with its defaults and multivariate=False
// (optuna/samplers/_tpe/sampler.py): 10 random start-up trials, gamma(n) = min(ceil(n/10), 25)
// best trials below (complete by value, then pruned by last step and value), 24 candidates drawn
// from l(x), the one with the largest log l(x) - log g(x) chosen. Each parameter is sampled on its
// own, in the order the space lists them. Seeded like Optuna: the same seed gives the same numbers.
import {
  buildParzenEstimator,
  defaultWeights,
  parzenLogPdf,
  roundHalfEven,
  sampleParzen,
  type ParzenEstimator,
} from './parzen.ts';
import { NumpyRandomState } from './rng.ts';
import { toExternal, toInternal, type Distribution, type ParamValue } from './space.ts';
import { lastReported, type Direction, type Trial } from './study.ts';

export type SampledDistribution = Exclude<Distribution, { kind: 'fixed' }>;

export interface Sampler {
  readonly name: SamplerName;
  sample(
    trials: readonly Trial[],
    direction: Direction,
    name: string,
    distribution: SampledDistribution,
  ): ParamValue;
}

export const SAMPLER_NAMES = ['tpe', 'random'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

function largestBelow(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, x > 0 ? bits - 1n : x < 0 ? bits + 1n : -0n);
  return x === 0 ? -Number.MIN_VALUE : view.getFloat64(0);
}

/** A uniform draw over the transformed range, mapped back as `_SearchSpaceTransform` does. */
export function sampleUniform(rng: NumpyRandomState, distribution: SampledDistribution): ParamValue {
  switch (distribution.kind) {
    case 'categorical': {
      const scores = distribution.choices.map(() => rng.uniform(0, 1));
      let best = 0;
      for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
      return distribution.choices[best]!;
    }
    case 'float': {
      const { low, high, log, step } = distribution;
      if (log) {
        const value = Math.exp(rng.uniform(Math.log(low), Math.log(high)));
        return low === high ? value : Math.min(Math.max(value, low), largestBelow(high));
      }
      if (step !== undefined) {
        const drawn = rng.uniform(low - 0.5 * step, high + 0.5 * step);
        return Math.min(Math.max(roundHalfEven((drawn - low) / step) * step + low, low), high);
      }
      const drawn = rng.uniform(low, high);
      return low === high ? drawn : Math.min(drawn, largestBelow(high));
    }
    case 'int': {
      const { low, high, log, step } = distribution;
      const half = 0.5 * step;
      if (log) {
        const drawn = rng.uniform(Math.log(low - half), Math.log(high + half));
        return Math.min(Math.max(roundHalfEven(Math.exp(drawn)), low), high);
      }
      const drawn = rng.uniform(low - half, high + half);
      const index = Math.floor((drawn - low) / step + 0.5);
      return Math.min(Math.max(index * step + low, low), high);
    }
    default: {
      const never: never = distribution;
      return never;
    }
  }
}

export class RandomSampler implements Sampler {
  readonly name = 'random' as const;
  private readonly rng: NumpyRandomState;

  constructor(seed: number) {
    this.rng = new NumpyRandomState(seed);
  }

  sample(
    _trials: readonly Trial[],
    _direction: Direction,
    _name: string,
    distribution: SampledDistribution,
  ): ParamValue {
    return sampleUniform(this.rng, distribution);
  }
}

export const N_STARTUP_TRIALS = 10;
export const N_EI_CANDIDATES = 24;

/** Optuna's `default_gamma`: how many of n finished trials count as good. */
export function defaultGamma(finished: number): number {
  return Math.min(Math.ceil(0.1 * finished), 25);
}

type ScoreKey = [number, number];
function compareKeys(a: ScoreKey, b: ScoreKey): number {
  return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
}

/** Optuna's `_get_pruned_trial_score`: later steps first, then the better last value. */
function prunedScore(trial: Trial, direction: Direction): ScoreKey {
  const last = lastReported(trial);
  if (last === undefined) return [1, 0];
  const [step, value] = last;
  if (Number.isNaN(value)) return [-step, Number.POSITIVE_INFINITY];
  return [-step, direction === 'minimize' ? value : -value];
}

/** The good ("below") and the other ("above") finished trials, each in trial-number order. */
export function splitTrials(
  finished: readonly Trial[],
  direction: Direction,
  nBelow: number,
): { below: Trial[]; above: Trial[] } {
  const complete = finished.filter((t) => t.state === 'complete');
  const pruned = finished.filter((t) => t.state === 'pruned');
  const byValue = [...complete].sort((a, b) =>
    direction === 'minimize' ? a.value! - b.value! : b.value! - a.value!,
  );
  const completeBelow = Math.min(nBelow, byValue.length);
  const below = byValue.slice(0, completeBelow);
  const above = byValue.slice(completeBelow);
  const remaining = Math.max(0, nBelow - completeBelow);
  const byScore = [...pruned].sort((a, b) =>
    compareKeys(prunedScore(a, direction), prunedScore(b, direction)),
  );
  const prunedBelow = Math.min(remaining, byScore.length);
  below.push(...byScore.slice(0, prunedBelow));
  above.push(...byScore.slice(prunedBelow));
  const byNumber = (a: Trial, b: Trial) => a.number - b.number;
  return { below: below.sort(byNumber), above: above.sort(byNumber) };
}

export interface TpeDecision {
  below: ParzenEstimator;
  above: ParzenEstimator;
  /** Candidates in the internal representation, with their log l(x) - log g(x). */
  candidates: number[];
  scores: number[];
  chosen: number;
}

/** The estimators for one parameter from the finished trials (Optuna's `_build_parzen_estimator`). */
export function tpeEstimators(
  finished: readonly Trial[],
  direction: Direction,
  name: string,
  distribution: SampledDistribution,
): { below: ParzenEstimator; above: ParzenEstimator } {
  const { below, above } = splitTrials(finished, direction, defaultGamma(finished.length));
  const observe = (trials: Trial[]) =>
    trials.filter((t) => name in t.params).map((t) => toInternal(distribution, t.params[name]!));
  const belowObservations = observe(below);
  const aboveObservations = observe(above);
  return {
    below: buildParzenEstimator(belowObservations, distribution, defaultWeights(belowObservations.length)),
    above: buildParzenEstimator(aboveObservations, distribution, defaultWeights(aboveObservations.length)),
  };
}

/** The candidate with the largest acquisition log l(x) - log g(x) (the first on a tie). */
export function chooseCandidate(
  below: ParzenEstimator,
  above: ParzenEstimator,
  candidates: readonly number[],
): { scores: number[]; index: number } {
  const logBelow = parzenLogPdf(below, candidates);
  const logAbove = parzenLogPdf(above, candidates);
  const scores = logBelow.map((l, i) => l - logAbove[i]!);
  let index = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[index]!) index = i;
  return { scores, index };
}

export class TpeSampler implements Sampler {
  readonly name = 'tpe' as const;
  private readonly rng: NumpyRandomState;
  private readonly startup: RandomSampler;
  /** The last TPE decision, for the studio's and the tests' inspection. */
  lastDecision: TpeDecision | undefined;

  constructor(
    seed: number,
    readonly nStartupTrials = N_STARTUP_TRIALS,
    readonly nEiCandidates = N_EI_CANDIDATES,
  ) {
    this.rng = new NumpyRandomState(seed);
    this.startup = new RandomSampler(seed);
  }

  sample(
    trials: readonly Trial[],
    direction: Direction,
    name: string,
    distribution: SampledDistribution,
  ): ParamValue {
    const finished = trials.filter((t) => t.state === 'complete' || t.state === 'pruned');
    if (finished.length < this.nStartupTrials)
      return this.startup.sample(trials, direction, name, distribution);
    const { below, above } = tpeEstimators(finished, direction, name, distribution);
    const candidates = sampleParzen(below, this.rng, this.nEiCandidates);
    const { scores, index } = chooseCandidate(below, above, candidates);
    this.lastDecision = { below, above, candidates, scores, chosen: index };
    return toExternal(distribution, candidates[index]!);
  }
}

export function createSampler(name: SamplerName, seed: number): Sampler {
  return name === 'tpe' ? new TpeSampler(seed) : new RandomSampler(seed);
}
