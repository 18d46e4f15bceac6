import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../../core/train/config.ts';
import type { RunOutcome } from '../../workers/protocol.ts';
import {
  stepUpdate,
  testResultOf,
  withError,
  withLoopEvent,
  withOutcome,
  withSavedCheckpoint,
  withSteps,
  type OtherLoopEvent,
  type StepEvent,
} from './events.ts';
import { currentSettings, emptyProgress, isRunLive, type RunRecord, type RunStatus } from './record.ts';

function run(patch: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r1',
    name: 'Run 1',
    createdAt: 0,
    status: 'running',
    settings: defaultTrainConfig('head'),
    liveSettings: {},
    dataVersion: 0,
    modelId: 'tiny',
    labels: ['neg', 'pos'],
    multiLabel: false,
    bestMetric: 'accuracy',
    steps: [],
    evals: [],
    progress: { ...emptyProgress, stage: 'Training', totalSteps: 10 },
    notices: [],
    ...patch,
  };
}

function step(at: number, patch: Partial<StepEvent> = {}): StepEvent {
  return {
    type: 'step',
    step: at,
    totalSteps: 10,
    epoch: at / 10,
    loss: 1 / at,
    lr: 1e-3,
    gradNorm: 1,
    examplesPerSec: 32,
    tokensPerSec: 3200,
    etaSec: 99,
    ...patch,
  };
}

function outcome(patch: Partial<RunOutcome> = {}): RunOutcome {
  return {
    reason: 'completed',
    message: 'Finished 10 steps.',
    best: { step: 8, epoch: 0.8, metric: 'accuracy', value: 0.9 },
    validation: { accuracy: 0.9, loss: 0.3 },
    test: { accuracy: 0.85, loss: 0.35 },
    testPredictions: {
      rows: Int32Array.from([3, 7]),
      labels: Int32Array.from([1, 0]),
      probabilities: Float32Array.from([0.2, 0.8, 0.6, 0.4]),
    },
    thresholds: null,
    weights: null,
    config: defaultTrainConfig('head'),
    notices: [],
    ...patch,
  };
}

describe('isRunLive', () => {
  it.each<[RunStatus | undefined, boolean]>([
    ['preparing', true],
    ['running', true],
    ['paused', true],
    ['stopping', true],
    ['done', false],
    ['stopped', false],
    ['interrupted', false],
    ['error', false],
    [undefined, false],
  ])('%s → %s', (status, live) => {
    expect(isRunLive(status)).toBe(live);
  });
});

describe('step events', () => {
  it('appends a burst of steps in order and keeps the last one’s progress', () => {
    const before = run();
    const after = withSteps(before, [stepUpdate(step(1), null), stepUpdate(step(2), null)]);
    expect(after.steps).toEqual([
      { step: 1, epoch: 0.1, loss: 1, lr: 1e-3 },
      { step: 2, epoch: 0.2, loss: 0.5, lr: 1e-3 },
    ]);
    expect(after.progress).toMatchObject({ stage: 'Training', step: 2, examplesPerSec: 32, etaSec: 99 });
    expect(before.steps).toEqual([]);
    expect(withSteps(before, [])).toBe(before);
  });

  it('takes speed and time left from the page’s clock when it has measured them', () => {
    const update = stepUpdate(step(4, { examplesPerSec: 64, tokensPerSec: 6400 }), {
      stepsPerSec: 2,
      examplesPerSec: 32,
    });
    // Half the loop's own pace: tokens per second halve too; 6 steps left at 2 per second.
    expect(update.progress).toMatchObject({ examplesPerSec: 32, tokensPerSec: 3200, etaSec: 3 });
  });
});

describe('the loop’s other events', () => {
  const table: [string, RunRecord, OtherLoopEvent, Partial<RunRecord>][] = [
    ['pause', run(), { type: 'state', state: 'paused', step: 3 }, { status: 'paused' }],
    ['a failed run stays failed', run({ status: 'error' }), { type: 'state', state: 'running', step: 3 }, {}],
    [
      'caching',
      run(),
      { type: 'progress', stage: 'cache', split: 'train', done: 5, total: 20 },
      {
        progress: {
          ...run().progress,
          stage: 'Caching frozen features (train)',
          work: { done: 5, total: 20 },
        },
      },
    ],
    [
      'a refused command',
      run(),
      {
        type: 'command',
        command: { type: 'update', settings: { weightDecay: -1 } },
        step: 4,
        applied: false,
        message: 'weight decay must be ≥ 0',
      },
      { notices: ['Not applied: weight decay must be ≥ 0'] },
    ],
    [
      'a notice',
      run(),
      { type: 'notice', level: 'warning', message: 'Out of memory: batch size halved to 8', step: 2 },
      { notices: ['Out of memory: batch size halved to 8'] },
    ],
    [
      'an epoch’s end keeps what the engine holds',
      run(),
      {
        type: 'epoch',
        epoch: 2,
        step: 20,
        trainLoss: 0.4,
        seconds: 3,
        engineMemory: { tensors: 212, bytes: 4_100_000 },
      },
      { progress: { ...run().progress, engineMemory: { tensors: 212, bytes: 4_100_000, epoch: 2 } } },
    ],
  ];

  it.each(table)('%s', (_, before, event, expected) => {
    const after = withLoopEvent(before, event);
    expect(after).toEqual({ ...before, ...expected });
  });

  it('a live change is kept beside the settings the run started with, and says when', () => {
    const started = run();
    const once = withLoopEvent(started, {
      type: 'command',
      command: { type: 'update', settings: { learningRate: 5e-4 } },
      step: 6,
      applied: true,
    });
    const twice = withLoopEvent(once, {
      type: 'command',
      command: { type: 'update', settings: { learningRate: 2e-4, weightDecay: 0.1 } },
      step: 9,
      applied: true,
    });
    expect(twice.settings).toEqual(started.settings);
    expect(twice.liveSettings).toEqual({ learningRate: 2e-4, weightDecay: 0.1 });
    expect(currentSettings(twice)).toEqual({ ...started.settings, learningRate: 2e-4, weightDecay: 0.1 });
    expect(twice.notices).toEqual([
      'Learning rate set to 5.00e-4 at step 6.',
      'Learning rate set to 2.00e-4, weight decay set to 0.1 at step 9.',
    ]);
  });

  it('pause, resume and stop acknowledgements change nothing of the record', () => {
    const before = run();
    for (const command of [{ type: 'pause' }, { type: 'resume' }, { type: 'stop' }] as const) {
      expect(withLoopEvent(before, { type: 'command', command, step: 2, applied: true })).toBe(before);
    }
  });

  it('an evaluation adds a point and moves the best checkpoint only when it is the best', () => {
    const report = { details: { kind: 'single' } } as unknown as Extract<
      OtherLoopEvent,
      { type: 'eval' }
    >['report'];
    const first = withLoopEvent(run(), {
      type: 'eval',
      report,
      metrics: { accuracy: 0.7, loss: 0.5 },
      step: 5,
      epoch: 0.5,
      isBest: true,
    });
    const second = withLoopEvent(first, {
      type: 'eval',
      report,
      metrics: { accuracy: 0.6, loss: 0.6 },
      step: 10,
      epoch: 1,
      isBest: false,
    });
    expect(second.evals.map((e) => e.step)).toEqual([5, 10]);
    expect(second.best).toEqual({ step: 5, epoch: 0.5, value: 0.7 });
    expect(second.bestDetails).toBe(report.details);
  });
});

describe('checkpoints, failures and the end of a run', () => {
  it('records which checkpoints are stored; an epoch checkpoint carries the optimizer', () => {
    const once = withSavedCheckpoint(run(), { kind: 'best', step: 4, epoch: 0.4 });
    const twice = withSavedCheckpoint(once, { kind: 'epoch', step: 10, epoch: 1 });
    expect(twice.saved).toEqual({
      best: { step: 4, epoch: 0.4 },
      epoch: { step: 10, epoch: 1, optimizer: true },
    });
  });

  it('a failure keeps its hint in the message', () => {
    expect(withError(run(), 'Out of memory.', 'Lower the batch size.')).toMatchObject({
      status: 'error',
      error: 'Out of memory. Lower the batch size.',
    });
  });

  it('a completed run is done with its kept checkpoint’s metrics and test predictions', () => {
    const finished = outcome();
    const after = withOutcome(run(), finished, testResultOf(finished, ['bad', 'good']));
    expect(after.status).toBe('done');
    expect(after.best).toEqual({ step: 8, epoch: 0.8, value: 0.9 });
    expect(after.validation).toEqual({ accuracy: 0.9, loss: 0.3 });
    expect(after.testResult).toMatchObject({
      texts: ['bad', 'good'],
      metrics: { accuracy: 0.85, loss: 0.35 },
    });
    expect(after.testResult?.rows).toEqual(Int32Array.from([3, 7]));
    expect(after.progress).toMatchObject({ stage: 'Finished 10 steps.', etaSec: 0, work: undefined });
  });

  it.each<[RunOutcome['reason'], RunStatus]>([
    ['completed', 'done'],
    ['early_stopped', 'stopped'],
    ['stopped', 'stopped'],
    ['device_lost', 'stopped'],
  ])('a run that ends %s is %s', (reason, status) => {
    expect(withOutcome(run(), outcome({ reason, testPredictions: null })).status).toBe(status);
  });
});
