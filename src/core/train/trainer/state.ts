// The trainer's state: one object with everything a run needs to continue from a step boundary.
// The loop reads and writes it as it goes; capturing it for a checkpoint is a copy (plus the
// trainable weights and AdamW's moments, read from the device), and resuming is a check that the
// saved state fits this run, then an assignment.
import type * as tf from '@tensorflow/tfjs-core';
import type { Params } from '../../model/index.ts';
import { LIVE_SETTINGS, type TrainConfig } from '../config.ts';
import type { BestCheckpoint, EvalReport, HistoryEntry } from '../events.ts';
import type { AdamWState } from '../adamw/index.ts';

/**
 * Settings a run may change on its own while training (the live settings, and the batch split an
 * out-of-memory error halves): a resumed run continues with them rather than with its start's.
 */
export const RESUMED_SETTINGS = [...LIVE_SETTINGS, 'batchSize', 'gradAccumSteps', 'evalBatchSize'] as const;
export type ResumedSettings = Pick<TrainConfig, (typeof RESUMED_SETTINGS)[number]>;

/** The kept checkpoint so far; `report` may be null for a checkpoint saved without it. */
export interface KeptBest {
  checkpoint: BestCheckpoint;
  report: EvalReport | null;
  weights: Record<string, Float32Array>;
}

/** Training-loss sums not reported yet: since the last history entry, and in the current epoch. */
export interface UnreportedLoss {
  sinceEvalSum: number;
  sinceEvalCount: number;
  epochSum: number;
  epochCount: number;
}

/** What the loop keeps on the host between steps. */
export interface TrainerState {
  /** Updates done; the next update is step + 1. */
  step: number;
  /** Updates per epoch (the position in the epoch follows from step). */
  stepsPerEpoch: number;
  /** Training examples. */
  trainExamples: number;
  seed: number;
  best: KeptBest | null;
  earlyStopping: { best: number | null; badEvals: number };
  /** Step of the last validation evaluation (-1: none). */
  lastEvalStep: number;
  history: HistoryEntry[];
  trainLoss: UnreportedLoss;
  trainSeconds: number;
}

/**
 * Everything a run needs to continue from a step boundary as if it had never stopped: same
 * updates, same data order, same evaluations. Plain numbers, strings and typed arrays, so it can
 * be posted between threads (its buffers transferred) and persisted.
 *
 * The data order is not stored: epoch e's shuffle is drawn from (seed, e) alone, and dropout's
 * randomness from (seed, step); the seed, the split's size and the updates per epoch are kept to
 * check that the resumed run draws the same ones.
 */
export interface ResumeState extends TrainerState {
  /** Values of the trainable parameters at `step`. */
  weights: Record<string, Float32Array>;
  /**
   * AdamW's update count and moments per trainable parameter. null continues with zeroed moments
   * and bias correction from the start (a checkpoint saved without them): not the same updates.
   */
  optimizer: AdamWState | null;
  settings: ResumedSettings;
}

export function initialTrainerState(seed: number, trainExamples: number): TrainerState {
  return {
    step: 0,
    stepsPerEpoch: 1,
    trainExamples,
    seed,
    best: null,
    earlyStopping: { best: null, badEvals: 0 },
    lastEvalStep: -1,
    history: [],
    trainLoss: { sinceEvalSum: 0, sinceEvalCount: 0, epochSum: 0, epochCount: 0 },
    trainSeconds: 0,
  };
}

/** The resumed settings present in `config`. */
export function pickResumed(config: Partial<ResumedSettings>): Partial<ResumedSettings> {
  return Object.fromEntries(
    RESUMED_SETTINGS.flatMap((key) => (config[key] === undefined ? [] : [[key, config[key]]])),
  ) as Partial<ResumedSettings>;
}

const copyWeights = (values: Record<string, Float32Array>): Record<string, Float32Array> =>
  Object.fromEntries(Object.entries(values).map(([name, array]) => [name, array.slice()]));

/**
 * A copy of the state with the device's part added: every array is the caller's own, so it may
 * be transferred to another thread.
 */
export function captureState(
  state: TrainerState,
  device: { weights: Record<string, Float32Array>; optimizer: AdamWState | null; config: TrainConfig },
): ResumeState {
  const { best } = state;
  return {
    ...state,
    best: best
      ? {
          checkpoint: { ...best.checkpoint },
          report: best.report,
          // The best of this very step is the current weights; no second copy.
          weights: best.checkpoint.step === state.step ? device.weights : copyWeights(best.weights),
        }
      : null,
    earlyStopping: { ...state.earlyStopping },
    history: state.history.map((entry) => ({
      ...entry,
      ...(entry.eval ? { eval: { ...entry.eval } } : {}),
    })),
    trainLoss: { ...state.trainLoss },
    weights: device.weights,
    optimizer: device.optimizer,
    settings: pickResumed(device.config) as ResumedSettings,
  };
}

/**
 * Refuses a saved state that another run's data or settings gave: a different seed, split size,
 * updates per epoch, a step outside the run, or weights that do not match the trainable
 * parameters.
 */
export function checkResumable(
  saved: ResumeState,
  run: TrainerState,
  totalSteps: number,
  trainable: Params,
): void {
  const refuse = (why: string) => {
    throw new Error(`cannot resume from this checkpoint: ${why}`);
  };
  if (saved.seed !== run.seed) {
    refuse(`it was taken with seed ${saved.seed}, this run has seed ${run.seed}`);
  }
  if (saved.trainExamples !== run.trainExamples) {
    refuse(`it was taken on ${saved.trainExamples} training examples, this run has ${run.trainExamples}`);
  }
  if (saved.stepsPerEpoch !== run.stepsPerEpoch) {
    refuse(`it was taken with ${saved.stepsPerEpoch} updates per epoch, this run has ${run.stepsPerEpoch}`);
  }
  if (!Number.isInteger(saved.step) || saved.step < 0 || saved.step > totalSteps) {
    refuse(`its step ${saved.step} is outside this run's ${totalSteps} steps`);
  }
  const names = Object.keys(trainable);
  const check = (what: string, values: Record<string, Float32Array>) => {
    const extra = Object.keys(values).filter((name) => !(name in trainable));
    if (extra.length > 0) refuse(`its ${what} include ${extra[0]}, which this run does not train`);
    for (const name of names) {
      const array = values[name];
      const size = (trainable[name] as tf.Variable).size;
      if (!array) refuse(`its ${what} lack ${name}`);
      else if (array.length !== size)
        refuse(`its ${what} for ${name} hold ${array.length} values, not ${size}`);
    }
  };
  check('weights', saved.weights);
  if (saved.best) check('best weights', saved.best.weights);
  if (saved.optimizer) {
    check('first moments', saved.optimizer.m);
    check('second moments', saved.optimizer.v);
  }
}

/** Puts the host part of a checked saved state into the run's state. */
export function assignResumed(run: TrainerState, saved: ResumeState): void {
  run.step = saved.step;
  run.best = saved.best
    ? { checkpoint: { ...saved.best.checkpoint }, report: saved.best.report, weights: saved.best.weights }
    : null;
  Object.assign(run.earlyStopping, saved.earlyStopping);
  run.lastEvalStep = saved.lastEvalStep;
  run.history.push(...saved.history);
  Object.assign(run.trainLoss, saved.trainLoss);
  run.trainSeconds = saved.trainSeconds;
}
