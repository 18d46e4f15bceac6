// The Parzen estimator of Optuna 5.0.0's TPE (optuna/samplers/_tpe/parzen_estimator.py and
// probability_distributions.py) for one parameter, as `TPESampler(multivariate=False)` builds it:
// a mixture of one truncated Gaussian (or categorical row) per observation plus a prior kernel,
// bandwidths from the neighbours' distances clipped by the "magic clip", log and step handled in
// the transformed space. Candidates are drawn with numpy's order of random draws.
import type { NumpyRandomState } from './rng.ts';
import type { Distribution } from './space.ts';
import { logGaussMass, truncnormLogPdf, truncnormPpf } from './special.ts';

export const PRIOR_WEIGHT = 1;

/** Optuna's `default_weights`: older observations ramp down once there are more than 25. */
export function defaultWeights(count: number): number[] {
  if (count === 0) return [];
  if (count < 25) return new Array<number>(count).fill(1);
  const rampLength = count - 25;
  const start = 1 / count;
  const ramp: number[] = [];
  if (rampLength === 1) ramp.push(start);
  else if (rampLength > 1) {
    const step = (1 - start) / (rampLength - 1);
    for (let i = 0; i < rampLength; i++) ramp.push(i === rampLength - 1 ? 1 : i * step + start);
  }
  return [...ramp, ...new Array<number>(25).fill(1)];
}

export type Kernels =
  | { kind: 'categorical'; weights: number[][] }
  | {
      kind: 'numerical';
      mus: number[];
      sigmas: number[];
      /** Bounds in the transformed space: log-scaled, widened by half a step. */
      adaptedLow: number;
      adaptedHigh: number;
      low: number;
      high: number;
      log: boolean;
      /** 0 for a continuous parameter. */
      step: number;
    };

export interface ParzenEstimator {
  /** Mixture weights: one per observation, then the prior's. */
  weights: number[];
  kernels: Kernels;
}

type SampledDistribution = Exclude<Distribution, { kind: 'fixed' }>;

/** Builds the estimator from observations in Optuna's internal representation. */
export function buildParzenEstimator(
  observations: readonly number[],
  distribution: SampledDistribution,
  observationWeights: readonly number[] = defaultWeights(observations.length),
): ParzenEstimator {
  const raw = observations.length === 0 ? [1] : [...observationWeights, PRIOR_WEIGHT];
  const total = raw.reduce((sum, w) => sum + w, 0);
  const weights = raw.map((w) => w / total);
  return { weights, kernels: buildKernels(observations, distribution) };
}

function buildKernels(observations: readonly number[], distribution: SampledDistribution): Kernels {
  if (distribution.kind === 'categorical') {
    const choices = distribution.choices.length;
    if (observations.length === 0) {
      return { kind: 'categorical', weights: [new Array<number>(choices).fill(1 / choices)] };
    }
    const kernelCount = observations.length + 1;
    const rows = Array.from({ length: kernelCount }, () =>
      new Array<number>(choices).fill(PRIOR_WEIGHT / kernelCount),
    );
    observations.forEach((index, row) => (rows[row]![Math.trunc(index)]! += 1));
    for (const row of rows) {
      const sum = row.reduce((s, w) => s + w, 0);
      const divisor = sum === 0 ? 1 : sum;
      for (let c = 0; c < row.length; c++) row[c] = row[c]! / divisor;
    }
    return { kind: 'categorical', weights: rows };
  }
  const step = distribution.step ?? 0;
  let low = distribution.low;
  let high = distribution.high;
  if (step !== 0) {
    low -= step / 2;
    high += step / 2;
  }
  let mus = [...observations];
  if (distribution.log) {
    mus = mus.map(Math.log);
    low = Math.log(low);
    high = Math.log(high);
  }
  const sigmas = bandwidths(mus, low, high);
  return {
    kind: 'numerical',
    mus: [...mus, 0.5 * (low + high)],
    sigmas: [...sigmas, high - low],
    adaptedLow: low,
    adaptedHigh: high,
    low: distribution.low,
    high: distribution.high,
    log: distribution.log,
    step,
  };
}

/**
 * Each kernel's width is the larger gap to its sorted neighbours (the range ends count as
 * neighbours, except for the outermost kernels: consider_endpoints=False), clipped to
 * [range / min(100, 1 + kernels), range] (the magic clip, with the prior counted as a kernel).
 */
function bandwidths(mus: readonly number[], low: number, high: number): number[] {
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]! || a - b);
  const sorted = [low, ...order.map((i) => mus[i]!), high];
  const sortedSigmas = order.map((_, k) =>
    Math.max(sorted[k + 1]! - sorted[k]!, sorted[k + 2]! - sorted[k + 1]!),
  );
  if (sorted.length >= 4) {
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[sortedSigmas.length - 1] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
  }
  const maxSigma = high - low;
  const minSigma = (high - low) / Math.min(100, 1 + (mus.length + 1));
  const sigmas = new Array<number>(mus.length);
  order.forEach(
    (original, k) => (sigmas[original] = Math.min(Math.max(sortedSigmas[k]!, minSigma), maxSigma)),
  );
  return sigmas;
}

/** numpy's round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** `size` draws in Optuna's internal representation, consuming the generator as numpy does. */
export function sampleParzen(estimator: ParzenEstimator, rng: NumpyRandomState, size: number): number[] {
  const active = rng.choice(estimator.weights, size);
  const kernels = estimator.kernels;
  if (kernels.kind === 'categorical') {
    const quantiles = Array.from({ length: size }, () => rng.random());
    return active.map((kernel, i) => {
      const row = kernels.weights[kernel]!;
      let cumulative = 0;
      let below = 0;
      for (let c = 0; c < row.length; c++) {
        cumulative = c === row.length - 1 ? 1 : cumulative + row[c]!;
        if (cumulative < quantiles[i]!) below++;
      }
      return below;
    });
  }
  const quantiles = Array.from({ length: size }, () => rng.random());
  return active.map((kernel, i) => {
    const mu = kernels.mus[kernel]!;
    const sigma = kernels.sigmas[kernel]!;
    const a = (kernels.adaptedLow - mu) / sigma;
    const b = (kernels.adaptedHigh - mu) / sigma;
    let value = truncnormPpf(quantiles[i]!, a, b) * sigma + mu;
    if (kernels.log) value = Math.exp(value);
    if (kernels.step !== 0) {
      const snapped = kernels.low + roundHalfEven((value - kernels.low) / kernels.step) * kernels.step;
      value = Math.min(Math.max(snapped, kernels.low), kernels.high);
    }
    return value;
  });
}

/** The log density (log probability mass for a stepped or categorical parameter) at each point. */
export function parzenLogPdf(estimator: ParzenEstimator, points: readonly number[]): number[] {
  const kernels = estimator.kernels;
  return points.map((x) => {
    const terms = estimator.weights.map((weight, k) => {
      let logDensity: number;
      if (kernels.kind === 'categorical') {
        logDensity = Math.log(kernels.weights[k]![Math.trunc(x)]!);
      } else {
        const mu = kernels.mus[k]!;
        const sigma = kernels.sigmas[k]!;
        const a = (kernels.adaptedLow - mu) / sigma;
        const b = (kernels.adaptedHigh - mu) / sigma;
        if (kernels.step === 0) {
          logDensity = truncnormLogPdf(kernels.log ? Math.log(x) : x, a, b, mu, sigma);
        } else {
          const half = kernels.step / 2;
          const left = kernels.log ? Math.log(x - half) : x - half;
          const right = kernels.log ? Math.log(x + half) : x + half;
          logDensity = logGaussMass((left - mu) / sigma, (right - mu) / sigma) - logGaussMass(a, b);
        }
      }
      return logDensity + Math.log(weight);
    });
    let max = Math.max(...terms);
    if (max === Number.NEGATIVE_INFINITY) max = 0;
    return Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0)) + max;
  });
}
