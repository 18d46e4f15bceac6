// Optuna 5.0.0's MedianPruner with its defaults (optuna/pruners/_percentile.py at the 50th
// percentile): after 5 complete trials, a trial whose best reported value so far is worse than the
// median of the complete trials' values at the same step is pruned.
import type { Direction, Trial } from './study.ts';
import { lastReported } from './study.ts';

export interface MedianPrunerOptions {
  nStartupTrials: number;
  nWarmupSteps: number;
  intervalSteps: number;
  nMinTrials: number;
}

export const MEDIAN_PRUNER_DEFAULTS: MedianPrunerOptions = {
  nStartupTrials: 5,
  nWarmupSteps: 0,
  intervalSteps: 1,
  nMinTrials: 1,
};

/** numpy's nanpercentile with linear interpolation. */
export function nanPercentile(values: readonly number[], percentile: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = ((sorted.length - 1) * percentile) / 100;
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  const fraction = position - lower;
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * fraction;
}

function isFirstInIntervalStep(
  step: number,
  steps: readonly number[],
  warmup: number,
  interval: number,
): boolean {
  const nearestLowerPruningStep = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLowerPruningStep;
}

export function shouldPrune(
  trial: Trial,
  trials: readonly Trial[],
  direction: Direction,
  options: MedianPrunerOptions = MEDIAN_PRUNER_DEFAULTS,
): boolean {
  const complete = trials.filter((t) => t.state === 'complete');
  if (complete.length === 0 || complete.length < options.nStartupTrials) return false;
  const last = lastReported(trial);
  if (last === undefined) return false;
  const step = last[0];
  if (step < options.nWarmupSteps) return false;
  const steps = trial.intermediate.map(([s]) => s);
  if (!isFirstInIntervalStep(step, steps, options.nWarmupSteps, options.intervalSteps)) return false;
  const values = trial.intermediate.map(([, v]) => v).filter((v) => !Number.isNaN(v));
  if (values.length === 0) return true;
  const best = direction === 'maximize' ? Math.max(...values) : Math.min(...values);
  const atStep: number[] = [];
  for (const other of complete) {
    const entry = [...other.intermediate].reverse().find(([s]) => s === step);
    if (entry !== undefined) atStep.push(entry[1]);
  }
  if (atStep.length < options.nMinTrials) return false;
  const median = nanPercentile(atStep, 50);
  if (Number.isNaN(median)) return false;
  return direction === 'maximize' ? best < median : best > median;
}
