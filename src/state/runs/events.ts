// The run record after each thing the train worker reports: pure functions from (record, event)
// to the next record, so what a run shows is decided here and tested without a worker or a store.
// runs/listener.ts feeds them the worker's events; the page's clock and storage stay there.
import type { LiveSettings } from '../../core/train/index.ts';
import type { RunCheckpoint, RunLoopEvent, RunOutcome } from '../../workers/protocol.ts';
import type { EvalPoint, RunProgress, RunRecord, RunStatus, RunTestResult, StepPoint } from './record.ts';

export type StepEvent = Extract<RunLoopEvent, { type: 'step' }>;
export type OtherLoopEvent = Exclude<RunLoopEvent, StepEvent>;

/** Steps per second as the page sees step events arrive, and the examples they make. */
export interface MeasuredSpeed {
  stepsPerSec: number;
  examplesPerSec: number;
}

/** One step event as the run record takes it: a point on the loss chart and the progress bar. */
export interface StepUpdate {
  point: StepPoint;
  progress: Partial<RunProgress>;
}

const STATE_TO_STATUS: Partial<Record<string, RunStatus>> = {
  preparing: 'preparing',
  running: 'running',
  paused: 'paused',
  stopping: 'stopping',
};

/**
 * A step event's point and progress. With a pace measured on the page's clock, speed and time left
 * follow that pace (a GPU runs ahead of the loop, so the loop's own timing can count queued work);
 * tokens per second scale with it.
 */
export function stepUpdate(event: StepEvent, speed: MeasuredSpeed | null): StepUpdate {
  const examplesPerSec = speed?.examplesPerSec ?? event.examplesPerSec;
  const tokensPerSec = speed
    ? event.tokensPerSec * (speed.examplesPerSec / Math.max(event.examplesPerSec, 1e-9))
    : event.tokensPerSec;
  const etaSec = speed ? (event.totalSteps - event.step) / Math.max(speed.stepsPerSec, 1e-9) : event.etaSec;
  return {
    point: { step: event.step, epoch: event.epoch, loss: event.loss, lr: event.lr },
    progress: {
      stage: 'Training',
      step: event.step,
      totalSteps: event.totalSteps,
      epoch: event.epoch,
      examplesPerSec,
      tokensPerSec,
      etaSec,
    },
  };
}

/** The run after a burst of steps: their points appended, the progress of the last one. */
export function withSteps(run: RunRecord, updates: readonly StepUpdate[]): RunRecord {
  if (updates.length === 0) return run;
  return {
    ...run,
    steps: run.steps.concat(updates.map((update) => update.point)),
    progress: { ...run.progress, ...updates[updates.length - 1]!.progress },
  };
}

/** The run after one of the loop's other events; the same record when the event changes nothing. */
export function withLoopEvent(run: RunRecord, event: OtherLoopEvent): RunRecord {
  switch (event.type) {
    case 'state': {
      const status = STATE_TO_STATUS[event.state];
      // A failed run stays failed: the loop's last state events may arrive after the error.
      return status && run.status !== 'error' && status !== run.status ? { ...run, status } : run;
    }
    case 'progress':
      return {
        ...run,
        progress: {
          ...run.progress,
          stage:
            event.stage === 'cache'
              ? `Caching frozen features (${event.split})`
              : `Evaluating ${event.split}`,
          work: { done: event.done, total: event.total },
        },
      };
    case 'start':
      return {
        ...run,
        progress: {
          ...run.progress,
          stage: 'Training',
          totalSteps: event.totalSteps,
          totalEpochs: event.epochs,
        },
      };
    case 'eval': {
      const point: EvalPoint = { step: event.step, epoch: event.epoch, metrics: event.metrics };
      const value = event.metrics[run.bestMetric];
      return {
        ...run,
        evals: run.evals.concat(point),
        ...(event.isBest && value !== undefined
          ? { best: { step: event.step, epoch: event.epoch, value }, bestDetails: event.report.details }
          : {}),
        progress: { ...run.progress, stage: 'Training' },
      };
    }
    case 'command': {
      const { command } = event;
      if (!event.applied && event.message) {
        return withNotice(run, `Not applied: ${event.message}`);
      }
      if (command.type !== 'update') return run;
      const said = Object.entries(command.settings)
        .map(
          ([key, value]) =>
            `${LIVE_SETTING_NAMES[key as keyof LiveSettings]} set to ${formatValue(key, value)}`,
        )
        .join(', ');
      return {
        ...run,
        liveSettings: { ...run.liveSettings, ...command.settings },
        notices: said
          ? [...run.notices, `${said[0]!.toUpperCase()}${said.slice(1)} at step ${event.step}.`]
          : run.notices,
      };
    }
    case 'notice':
      return withNotice(run, event.message);
    case 'epoch':
      return {
        ...run,
        progress: { ...run.progress, engineMemory: { ...event.engineMemory, epoch: event.epoch } },
      };
    case 'done':
    case 'error':
      return run;
  }
}

const LIVE_SETTING_NAMES: Record<keyof LiveSettings, string> = {
  learningRate: 'learning rate',
  weightDecay: 'weight decay',
  maxGradNorm: 'gradient clipping',
  labelSmoothing: 'label smoothing',
  evalSteps: 'evaluation interval',
  earlyStoppingPatience: 'early-stopping patience',
  earlyStoppingMinDelta: 'early-stopping minimum change',
};

function formatValue(key: string, value: unknown): string {
  return key === 'learningRate' && typeof value === 'number' ? value.toExponential(2) : String(value);
}

export function withNotice(run: RunRecord, notice: string): RunRecord {
  return { ...run, notices: [...run.notices, notice] };
}

/** The run after the worker lost the GPU: a live run says so (it ends through its own events). */
export function withDeviceLost(run: RunRecord, message: string): RunRecord {
  return withNotice(run, `The GPU was lost: ${message}`);
}

/** The run after it failed, with the message and the hint that goes with it. */
export function withError(run: RunRecord, message: string, hint?: string): RunRecord {
  return { ...run, status: 'error', error: hint ? `${message} ${hint}` : message };
}

/** The run after a checkpoint of it was stored in the browser. */
export function withSavedCheckpoint(run: RunRecord, checkpoint: Omit<RunCheckpoint, 'file'>): RunRecord {
  const { step, epoch } = checkpoint;
  return {
    ...run,
    saved: {
      ...run.saved,
      [checkpoint.kind]: checkpoint.kind === 'epoch' ? { step, epoch, optimizer: true } : { step, epoch },
    },
  };
}

/** The run's test predictions as the Evaluate step reads them, with the texts of their rows. */
export function testResultOf(outcome: RunOutcome, texts: string[]): RunTestResult | undefined {
  const predictions = outcome.testPredictions;
  if (!predictions) return undefined;
  return {
    probabilities: predictions.probabilities,
    truth: predictions.labels,
    rows: predictions.rows,
    texts,
    ...(outcome.thresholds ? { thresholds: outcome.thresholds } : {}),
    metrics: outcome.test ?? {},
  };
}

/** The run after the worker finished it: how it ended, its kept checkpoint's metrics and predictions. */
export function withOutcome(run: RunRecord, outcome: RunOutcome, testResult?: RunTestResult): RunRecord {
  return {
    ...run,
    status: outcome.reason === 'completed' ? 'done' : 'stopped',
    message: outcome.message,
    ...(outcome.best
      ? { best: { step: outcome.best.step, epoch: outcome.best.epoch, value: outcome.best.value } }
      : {}),
    ...(outcome.validation ? { validation: outcome.validation } : {}),
    ...(outcome.test ? { test: outcome.test } : {}),
    ...(testResult ? { testResult } : {}),
    progress: { ...run.progress, stage: outcome.message || 'Finished', work: undefined, etaSec: 0 },
  };
}
