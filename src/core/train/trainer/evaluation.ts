// Evaluation inside a run: a split's logits and report, the validation evaluation that feeds the
// history and the trackers (best checkpoint, early stopping, the onEvaluate callback), and the
// end of the run (best weights restored, test split scored, the result).
import * as tf from '@tensorflow/tfjs-core';
import type { TrainConfig } from '../config.ts';
import { rowsByLength, splitSize, type SplitName } from '../data.ts';
import type {
  EvalReport,
  FinishReason,
  RunState,
  TestPredictions,
  TrainEvent,
  TrainResult,
} from '../events.ts';
import { scoreLogits } from '../evaluate.ts';
import type { Batch, Batcher } from './batches.ts';
import { disposeBatch } from './batches.ts';
import type { FrozenFeatures } from './frozen-features.ts';
import type { TrainOptions } from './options.ts';
import type { TrainerState } from './state.ts';
import { trackBest, trackPatience, type LossMeters } from './trackers.ts';

/** Yields to the event loop (a macrotask) so queued commands, messages to a worker, get handled. */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** What evaluation needs of a run (the loop's Run). */
export interface EvaluatingRun {
  readonly options: TrainOptions;
  readonly config: TrainConfig;
  readonly state: TrainerState;
  readonly meters: LossMeters;
  readonly batcher: Batcher;
  readonly features: FrozenFeatures;
  readonly numLabels: number;
  readonly multiLabel: boolean;
  readonly metricName: string;
  readonly greater: boolean;
  readonly notices: string[];
  readonly emitInterval: number;
  readonly hooks: { emit(event: TrainEvent): void; setState(state: RunState): void };
  now(): number;
  notice(message: string, level?: 'info' | 'warning'): void;
  logits(batch: Batch, training: boolean): tf.Tensor2D;
  inBatches(rows: Int32Array, work: (rows: Int32Array) => Promise<void>): Promise<void>;
  snapshot(): Promise<Record<string, Float32Array>>;
  restore(weights: Record<string, Float32Array>): void;
}

/** Logits and probabilities of a whole split, then loss and metrics. */
async function evaluateSplit(
  run: EvaluatingRun,
  splitName: SplitName,
  thresholds?: number[],
): Promise<{ report: EvalReport; probabilities: Float32Array }> {
  const split = run.options.data[splitName];
  const n = splitSize(split);
  const k = run.numLabels;
  const logits = new Float32Array(n * k);
  let done = 0;
  let lastProgress = run.now();
  await run.inBatches(rowsByLength(split), async (rows) => {
    const batch = await run.batcher.make(splitName, rows);
    let out: tf.Tensor2D | null = null;
    try {
      out = tf.tidy(() => run.logits(batch, false));
      const values = (await out.data()) as Float32Array;
      rows.forEach((r, i) => logits.set(values.subarray(i * k, (i + 1) * k), r * k));
    } finally {
      out?.dispose();
      disposeBatch(batch);
    }
    done += rows.length;
    if (run.now() - lastProgress >= run.emitInterval * 5) {
      lastProgress = run.now();
      run.hooks.emit({ type: 'progress', stage: 'evaluate', split: splitName, done, total: n });
      await yieldToEventLoop();
    }
  });
  const { step, stepsPerEpoch } = run.state;
  const score = scoreLogits(logits, split.labels, {
    labels: run.options.data.labels,
    multiLabel: run.multiLabel,
    ...(thresholds ? { thresholds } : {}),
    tune: run.multiLabel && !thresholds && run.config.tuneThresholds && splitName === 'validation',
  });
  const report: EvalReport = {
    split: splitName,
    step,
    epoch: step / stepsPerEpoch,
    loss: score.loss,
    metrics: score.metrics,
    details: score.details,
  };
  if (score.tunedThresholds) report.tunedThresholds = score.tunedThresholds;
  if (score.tunedMetrics) report.tunedMetrics = score.tunedMetrics;
  return { report, probabilities: score.probabilities };
}

/**
 * Evaluates validation, records history, keeps the best weights. Returns why the run should end
 * (patience ran out, or the onEvaluate callback asked), or null to go on.
 */
export async function evaluateAndTrack(
  run: EvaluatingRun,
): Promise<{ reason: FinishReason; message: string } | null> {
  const { state, config } = run;
  state.lastEvalStep = state.step;
  const epoch = state.step / state.stepsPerEpoch;
  if (splitSize(run.options.data.validation) === 0) {
    state.history.push({ step: state.step, epoch, train_loss: run.meters.takeSinceEvalMean() });
    return null;
  }
  const { report } = await evaluateSplit(run, 'validation');
  state.history.push({
    step: state.step,
    epoch,
    train_loss: run.meters.takeSinceEvalMean(),
    eval: report.metrics,
  });
  const value = report.metrics[run.metricName];
  if (value === undefined) {
    throw new Error(
      `the metric "${config.metricForBestModel}" does not exist; choose one of ${Object.keys(report.metrics).join(', ')}`,
    );
  }
  const evaluation = { report, metric: run.metricName, value, greater: run.greater };
  const isBest = await trackBest(state, evaluation, () => run.snapshot());
  run.hooks.emit({ type: 'eval', report, metrics: report.metrics, step: state.step, epoch, isBest });
  const patienceOut = trackPatience(state.earlyStopping, value, {
    greater: run.greater,
    minDelta: config.earlyStoppingMinDelta,
    patience: config.earlyStoppingPatience,
  });
  const hook = await run.options.callbacks?.onEvaluate?.({
    step: state.step,
    epoch,
    report,
    metric: run.metricName,
    value,
    isBest,
  });
  if (patienceOut) {
    return {
      reason: 'early_stopped',
      message: `Stopped early: ${run.metricName} did not improve for ${config.earlyStoppingPatience} evaluations.`,
    };
  }
  if (hook) return { reason: 'stopped', message: hook.stop };
  return null;
}

/** Restores the best weights, scores the test split and builds the result. */
export async function finishRun(
  run: EvaluatingRun,
  reason: FinishReason,
  message: string,
): Promise<TrainResult> {
  const { state, multiLabel } = run;
  const deviceLost = reason === 'device_lost';
  const hasValidation = splitSize(run.options.data.validation) > 0;
  if (!deviceLost && hasValidation && state.best === null) {
    // Stopped before the first evaluation: the current weights are the best there is.
    await evaluateAndTrack(run);
  }
  const best = state.best;
  if (!deviceLost && best && best.checkpoint.step !== state.step) {
    run.restore(best.weights);
    run.notice(
      `Restored the best checkpoint: step ${best.checkpoint.step} (${best.checkpoint.metric} ${best.checkpoint.value.toFixed(4)}).`,
    );
  }
  const thresholds = multiLabel && best?.report?.tunedThresholds ? best.report.tunedThresholds : null;
  let test: EvalReport | null = null;
  let testPredictions: TestPredictions | null = null;
  const testSplit = run.options.data.test;
  if (!deviceLost && splitSize(testSplit) > 0) {
    const evaluated = await evaluateSplit(run, 'test', multiLabel ? (thresholds ?? undefined) : undefined);
    test = evaluated.report;
    if (best) {
      test.step = best.checkpoint.step;
      test.epoch = best.checkpoint.epoch;
    }
    testPredictions = {
      rows: testSplit.rows,
      labels: testSplit.labels,
      probabilities: evaluated.probabilities,
      thresholds: multiLabel ? (thresholds ?? new Array<number>(run.numLabels).fill(0.5)) : null,
    };
  }
  if (!message) {
    message =
      reason === 'stopped'
        ? `Stopped at step ${state.step}${best ? `; kept the best checkpoint (step ${best.checkpoint.step})` : ''}.`
        : `Finished ${state.step} steps.`;
  }
  const checkpoint = best?.checkpoint ?? null;
  run.hooks.setState('finished');
  run.hooks.emit({ type: 'done', reason, message, best: checkpoint, test, history: state.history });
  return {
    reason,
    message,
    config: { ...run.config },
    history: state.history,
    best: checkpoint,
    validation: best?.report ?? null,
    test,
    testPredictions,
    thresholds,
    steps: state.step,
    trainSeconds: state.trainSeconds,
    notices: run.notices,
    checkpoint: best?.weights ?? (deviceLost ? null : await run.snapshot()),
    caches: run.options.keepCaches ? run.features.caches() : {},
  };
}
