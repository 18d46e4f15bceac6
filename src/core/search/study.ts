// Study bookkeeping, as Optuna's Study keeps it: numbered trials with their parameters, reported
// intermediate values (by evaluation step), state and objective value; the direction; the best
// trial. Samplers and pruners read this record and nothing else.
import type { ParamValue } from './space.ts';

export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';
export type Direction = 'minimize' | 'maximize';

export interface Trial {
  /** From 0, in the order trials were asked for. */
  number: number;
  state: TrialState;
  params: Record<string, ParamValue>;
  /** The objective; for a pruned trial its last reported value; null for a failed or running one. */
  value: number | null;
  /** Reported values by step (an evaluation's optimizer step), in report order. */
  intermediate: Array<[step: number, value: number]>;
}

export function isBetter(direction: Direction, candidate: number, incumbent: number): boolean {
  return direction === 'minimize' ? candidate < incumbent : candidate > incumbent;
}

/** The best complete trial (the first one on a tie), as `study.best_trial`. */
export function bestTrial(trials: readonly Trial[], direction: Direction): Trial | undefined {
  let best: Trial | undefined;
  for (const trial of trials) {
    if (trial.state !== 'complete' || trial.value === null || Number.isNaN(trial.value)) continue;
    if (best === undefined || isBetter(direction, trial.value, best.value!)) best = trial;
  }
  return best;
}

/** The best value among complete trials up to each trial (null before the first). */
export function bestSoFar(trials: readonly Trial[], direction: Direction): Array<number | null> {
  let best: number | null = null;
  return trials.map((trial) => {
    if (trial.state === 'complete' && trial.value !== null && !Number.isNaN(trial.value)) {
      if (best === null || isBetter(direction, trial.value, best)) best = trial.value;
    }
    return best;
  });
}

export function lastReported(trial: Trial): [step: number, value: number] | undefined {
  let last: [number, number] | undefined;
  for (const entry of trial.intermediate) if (last === undefined || entry[0] >= last[0]) last = entry;
  return last;
}
