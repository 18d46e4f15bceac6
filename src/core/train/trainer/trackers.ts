// Small units the loop reports through: loss meters, throughput, the best checkpoint and early
// stopping. Each keeps its numbers in the trainer state where a resumed run needs them.
import * as tf from '@tensorflow/tfjs-core';
import type { EvalReport } from '../events.ts';
import type { KeptBest, TrainerState, UnreportedLoss } from './state.ts';

/**
 * Training-loss sums over three windows: since the last step event, since the last history entry
 * and in the current epoch. The last two live in the trainer state (a resumed run reports them).
 */
export class LossMeters {
  private windowSum = 0;
  private windowCount = 0;

  constructor(private readonly unreported: UnreportedLoss) {}

  add(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      const value = values[i] as number;
      this.windowSum += value;
      this.unreported.sinceEvalSum += value;
      this.unreported.epochSum += value;
    }
    this.windowCount += values.length;
    this.unreported.sinceEvalCount += values.length;
    this.unreported.epochCount += values.length;
  }

  get windowEmpty(): boolean {
    return this.windowCount === 0;
  }

  takeWindowMean(): number {
    const mean = this.windowSum / this.windowCount;
    this.windowSum = 0;
    this.windowCount = 0;
    return mean;
  }

  /** Mean since the last history entry (null: no update since), and starts a new window. */
  takeSinceEvalMean(): number | null {
    const { sinceEvalSum, sinceEvalCount } = this.unreported;
    this.unreported.sinceEvalSum = 0;
    this.unreported.sinceEvalCount = 0;
    return sinceEvalCount > 0 ? sinceEvalSum / sinceEvalCount : null;
  }

  /** Mean over the epoch (NaN: no update), and starts the next epoch. */
  takeEpochMean(): number {
    const { epochSum, epochCount } = this.unreported;
    this.unreported.epochSum = 0;
    this.unreported.epochCount = 0;
    return epochCount > 0 ? epochSum / epochCount : NaN;
  }
}

/** Examples, tokens and training time since the last step event. */
export class Throughput {
  examples = 0;
  tokens = 0;
  ms = 0;

  add(examples: number, tokens: number, ms: number): void {
    this.examples += examples;
    this.tokens += tokens;
    this.ms += ms;
  }

  /** Examples and tokens per second of the window, then starts a new one. */
  take(): { examplesPerSec: number; tokensPerSec: number } {
    const seconds = this.ms / 1000;
    const rates = {
      examplesPerSec: seconds > 0 ? this.examples / seconds : 0,
      tokensPerSec: seconds > 0 ? this.tokens / seconds : 0,
    };
    this.examples = 0;
    this.tokens = 0;
    this.ms = 0;
    return rates;
  }
}

/** Whether `value` beats `than` in the metric's direction. */
const beats = (value: number, than: number, greater: boolean) => (greater ? value > than : value < than);

/**
 * Keeps the best checkpoint. As the Hugging Face Trainer, it follows any improvement (early
 * stopping's min delta does not apply). Returns whether this evaluation is the new best.
 */
export async function trackBest(
  state: TrainerState,
  evaluation: { report: EvalReport; metric: string; value: number; greater: boolean },
  snapshot: () => Promise<KeptBest['weights']>,
): Promise<boolean> {
  const current = state.best?.checkpoint.value;
  if (current !== undefined && !beats(evaluation.value, current, evaluation.greater)) return false;
  state.best = {
    checkpoint: {
      step: state.step,
      epoch: state.step / state.stepsPerEpoch,
      metric: evaluation.metric,
      value: evaluation.value,
    },
    report: evaluation.report,
    weights: await snapshot(),
  };
  return true;
}

/**
 * Early stopping: patience resets only on an improvement larger than `minDelta`. Returns true
 * when `patience` evaluations in a row did not improve (patience 0: never).
 */
export function trackPatience(
  counters: TrainerState['earlyStopping'],
  value: number,
  settings: { greater: boolean; minDelta: number; patience: number },
): boolean {
  const { greater, minDelta } = settings;
  const improved =
    counters.best === null || (greater ? value - counters.best > minDelta : counters.best - value > minDelta);
  if (improved) {
    counters.best = value;
    counters.badEvals = 0;
  } else {
    counters.badEvals += 1;
  }
  return settings.patience > 0 && counters.badEvals >= settings.patience;
}

/**
 * Each update's loss and the last gradient norm, kept on the device until a step event reads
 * them, so the GPU can run ahead of the host between events.
 */
export class DeviceLosses {
  private pending: tf.Scalar[] = [];
  private lastNorm: tf.Scalar | null = null;
  private lastNormValue = 0;

  add(loss: tf.Scalar, gradNorm: tf.Scalar): void {
    this.pending.push(loss);
    this.lastNorm?.dispose();
    this.lastNorm = gradNorm;
  }

  /** Reads the pending losses into the meters; a loss that is not finite ends the run. */
  async readInto(meters: LossMeters, step: number): Promise<void> {
    if (this.pending.length === 0) return;
    const stacked = tf.stack(this.pending);
    const values = (await stacked.data()) as Float32Array;
    stacked.dispose();
    this.disposePending();
    meters.add(values);
    if (!values.every(Number.isFinite)) {
      throw new Error(
        `the training loss became ${values.find((v) => !Number.isFinite(v))} at step ${step}; lower the learning rate`,
      );
    }
  }

  /** The last update's gradient norm (the previous one read, if none since). */
  async gradNorm(): Promise<number> {
    if (this.lastNorm) this.lastNormValue = (await this.lastNorm.data())[0] as number;
    return this.lastNormValue;
  }

  disposePending(): void {
    tf.dispose(this.pending);
    this.pending = [];
  }

  dispose(): void {
    this.disposePending();
    this.lastNorm?.dispose();
    this.lastNorm = null;
  }
}
