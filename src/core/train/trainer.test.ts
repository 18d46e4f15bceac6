import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultTrainConfig, type TrainConfig } from './config.ts';
import { meanLoss } from './losses.ts';
import { padBatch } from './data.ts';
import type { TrainEvent, TrainResult } from './events.ts';
import { syntheticData, syntheticModels } from './test-support/synthetic.ts';
import { TrainController, trainModel, type TrainOptions } from './trainer/index.ts';
import { classifierHead, encode, firstToken } from '../model/encoder.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const model = syntheticModels();

function config(overrides: Partial<TrainConfig>): TrainConfig {
  return { ...defaultTrainConfig(overrides.mode ?? 'full'), batchSize: 8, evalBatchSize: 16, ...overrides };
}

async function run(options: TrainOptions): Promise<{ result: TrainResult; events: TrainEvent[] }> {
  const events: TrainEvent[] = [];
  const result = await trainModel({ emitIntervalMs: 0, ...options }, (event) => events.push(event));
  return { result, events };
}

const stepLosses = (events: TrainEvent[]): number[] =>
  events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));

function expectClose(a: number[], b: number[], tolerance: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => expect(Math.abs(x - b[i]!), `index ${i}: ${x} vs ${b[i]}`).toBeLessThan(tolerance));
}

describe('cached frozen parts', () => {
  const data = syntheticData({ train: 40, validation: 16, test: 8 });
  for (const [mode, layers] of [
    ['head', 1],
    ['top-k', 1],
    ['top-k', 2],
  ] as const) {
    it(`${mode}${mode === 'top-k' ? ` k=${layers}` : ''}: cached training has the losses of recomputing the frozen encoder`, async () => {
      const settings = config({ mode, layers, epochs: 2, dropout: false, learningRate: 5e-3 });
      const cachedModel = model();
      const initial = cachedModel.params['classifier.weight']!.dataSync().slice();
      const cached = await run({ model: cachedModel, data, config: settings });
      // The run trained: the head moved.
      const trained = cachedModel.params['classifier.weight']!.dataSync();
      expect(Math.max(...initial.map((x, i) => Math.abs(x - trained[i]!)))).toBeGreaterThan(1e-3);
      const recomputed = await run({ model: model(), data, config: settings, cacheFrozen: false });
      const a = stepLosses(cached.events);
      expect(a.length).toBe(10);
      expectClose(a, stepLosses(recomputed.events), 1e-5);
      expect(Math.abs(cached.result.validation!.loss - recomputed.result.validation!.loss)).toBeLessThan(
        1e-5,
      );
      const startEvent = cached.events.find((e) => e.type === 'start');
      expect(startEvent && startEvent.type === 'start' && startEvent.cacheBytes).toBeGreaterThan(0);
    });
  }
});

describe('reusing caches across runs', () => {
  it('a second head-only run on the kept caches trains like a fresh one, without recomputing', async () => {
    const data = syntheticData({ train: 32, validation: 16, test: 8 });
    const first = await run({
      model: model(),
      data,
      config: config({ mode: 'head', epochs: 1, dropout: false }),
      keepCaches: true,
    });
    expect(Object.keys(first.result.caches).sort()).toEqual(['test', 'train', 'validation']);
    const settings = config({ mode: 'head', epochs: 2, learningRate: 3e-3, dropout: false });
    const reused = await run({ model: model(), data, config: settings, featureCaches: first.result.caches });
    const fresh = await run({ model: model(), data, config: settings });
    expect(reused.events.some((e) => e.type === 'progress' && e.stage === 'cache')).toBe(false);
    expect(fresh.events.some((e) => e.type === 'progress' && e.stage === 'cache')).toBe(true);
    expectClose(stepLosses(reused.events), stepLosses(fresh.events), 1e-6);
    expect(reused.result.test!.metrics).toEqual(fresh.result.test!.metrics);
    // A cache of another shape is refused, not misused.
    await expect(
      run({
        model: model(),
        data,
        config: config({ mode: 'top-k', layers: 1 }),
        featureCaches: first.result.caches,
      }),
    ).rejects.toThrow(/cached train features do not fit/);
  });
});

describe('training loop', () => {
  it('keeps the tensor count flat between epochs and leaves nothing behind', async () => {
    const m = model();
    const data = syntheticData({ train: 24, validation: 8, test: 8 });
    const before = tf.memory().numTensors;
    const atEpochEnd: number[] = [];
    for (const mode of ['full', 'top-k', 'head'] as const) {
      atEpochEnd.length = 0;
      await trainModel({ model: m, data, config: config({ mode, epochs: 3, layers: 1 }) }, (event) => {
        if (event.type !== 'epoch') return;
        // The event's own figures are what the studio shows as the engine's memory.
        expect(event.engineMemory).toEqual({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes });
        atEpochEnd.push(event.engineMemory.tensors);
      });
      expect(atEpochEnd.length).toBe(3);
      expect(new Set(atEpochEnd).size, `${mode}: ${atEpochEnd.join(', ')}`).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('accumulates gradients: batch 4 × 2 passes trains like batch 8', async () => {
    const data = syntheticData({ train: 40, validation: 8, test: 0 });
    const settings = config({ epochs: 1, dropout: false, learningRate: 2e-3 });
    const whole = await run({ model: model(), data, config: { ...settings, batchSize: 8 } });
    const accumulated = await run({
      model: model(),
      data,
      config: { ...settings, batchSize: 4, gradAccumSteps: 2 },
    });
    expect(stepLosses(whole.events)).toHaveLength(5);
    expectClose(stepLosses(accumulated.events), stepLosses(whole.events), 1e-5);
  });

  it('keeps the embeddings fixed when asked, and trains everything else', async () => {
    const m = model();
    const before = Object.fromEntries(
      Object.entries(m.params).map(([name, v]) => [name, v.dataSync().slice()]),
    );
    await run({
      model: m,
      data: syntheticData({ train: 16, validation: 0, test: 0 }),
      config: config({ epochs: 1, freezeEmbeddings: true, learningRate: 1e-3, warmupRatio: 0 }),
    });
    for (const [name, values] of Object.entries(before)) {
      const changed = m.params[name]!.dataSync().some((x, i) => x !== values[i]);
      expect(changed, name).toBe(!name.includes('embeddings.'));
    }
  });

  it('lowers the loss with one step', async () => {
    const m = model();
    const data = syntheticData({ train: 16, validation: 16, test: 0 });
    // Validation is the training batch itself, so the evaluation after the step measures it.
    data.validation = data.train;
    const split = data.train;
    const rows = Int32Array.from({ length: 16 }, (_, i) => i);
    const before = tf.tidy(() => {
      const padded = padBatch(split, rows, 0, 64);
      const ids = tf.tensor2d(padded.ids, [16, padded.length], 'int32');
      const mask = tf.tensor2d(padded.mask, [16, padded.length], 'int32');
      const logits = classifierHead(
        m.params,
        m.config,
        firstToken(encode(m.params, m.config, ids, mask, { training: false })),
        {
          training: false,
        },
      );
      const labels = tf.tensor1d(split.labels as Int32Array, 'int32');
      return meanLoss(logits, labels, split.labels, { multiLabel: false, numLabels: 3 }).dataSync()[0]!;
    });
    const { result } = await run({
      model: m,
      data,
      config: config({
        epochs: 1,
        batchSize: 16,
        warmupRatio: 0,
        schedule: 'constant',
        learningRate: 1e-3,
        dropout: false,
      }),
    });
    expect(result.steps).toBe(1);
    expect(result.validation!.loss).toBeLessThan(before - 1e-3);
  });

  it('is reproducible for a seed, dropout included, and differs for another seed', async () => {
    const data = syntheticData({ train: 32, validation: 8, test: 8 });
    const settings = config({ epochs: 2, learningRate: 1e-3 });
    const a = await run({ model: model(), data, config: settings });
    const b = await run({ model: model(), data, config: settings });
    const c = await run({ model: model(), data, config: { ...settings, seed: 43 } });
    expect(stepLosses(a.events)).toEqual(stepLosses(b.events));
    expect(a.result.test!.metrics).toEqual(b.result.test!.metrics);
    expect(stepLosses(a.events)).not.toEqual(stepLosses(c.events));
  });

  it('learns the synthetic task', async () => {
    const data = syntheticData({ train: 96, validation: 24, test: 24 });
    const { result } = await run({
      model: model(),
      data,
      config: config({ mode: 'full', epochs: 6, learningRate: 1e-2 }),
    });
    // Chance is 1/3.
    expect(result.validation!.metrics.accuracy).toBeGreaterThan(0.6);
    expect(result.history.length).toBe(6);
    expect(result.history.at(-1)!.train_loss!).toBeLessThan(result.history[0]!.train_loss! - 0.2);
    expect(result.history.every((h) => h.train_loss !== null && h.eval !== undefined)).toBe(true);
  });

  it('handles multi-label data with thresholds tuned on validation', async () => {
    const data = syntheticData({ train: 64, validation: 24, test: 16 }, { multiLabel: true });
    const { result } = await run({
      model: model({ multiLabel: true }),
      data,
      config: config({ epochs: 3, learningRate: 5e-3, classWeights: 'balanced' }),
    });
    expect(result.thresholds).toHaveLength(3);
    expect(result.test!.details.kind).toBe('multi_label');
    for (const key of ['micro_f1', 'macro_f1', 'subset_accuracy', 'hamming_loss']) {
      expect(result.test!.metrics[key]).toBeGreaterThanOrEqual(0);
    }
    expect(result.testPredictions!.thresholds).toEqual(result.thresholds);
    expect(result.testPredictions!.probabilities.length).toBe(16 * 3);
  });
});

describe('control', () => {
  it('acknowledges pause, a live learning rate, resume and stop at the next step, keeping the best checkpoint', async () => {
    const m = model();
    const data = syntheticData({ train: 64, validation: 8, test: 8 });
    const controller = new TrainController({
      model: m,
      data,
      config: config({ epochs: 4, evalSteps: 2, schedule: 'constant', warmupRatio: 0, learningRate: 1e-3 }),
      emitIntervalMs: 0,
    });
    const events: TrainEvent[] = [];
    let sentAt = -1;
    controller.on((event) => {
      events.push(event);
      if (event.type === 'step' && event.step === 3) {
        sentAt = event.step;
        controller.pause();
        controller.update({ learningRate: 2e-3 });
        setTimeout(() => controller.resume(), 30);
      }
      if (event.type === 'step' && event.step === 6) controller.stop();
    });
    const result = await controller.run();
    const commands = events.filter((e) => e.type === 'command');
    expect(commands.map((e) => e.type === 'command' && [e.command.type, e.step, e.applied])).toEqual([
      ['pause', sentAt, true],
      ['update', sentAt, true],
      ['resume', sentAt, true],
      ['stop', 6, true],
    ]);
    expect(events.some((e) => e.type === 'state' && e.state === 'paused')).toBe(true);
    const lrs = events.flatMap((e) => (e.type === 'step' ? [[e.step, e.lr]] : []));
    expect(lrs.find(([s]) => s === 3)![1]).toBeCloseTo(1e-3, 12);
    expect(lrs.find(([s]) => s === 4)![1]).toBeCloseTo(2e-3, 12);
    expect(result.reason).toBe('stopped');
    expect(result.steps).toBe(6);
    expect(result.config.learningRate).toBe(2e-3);
    // The kept weights are the model's weights now.
    for (const [name, values] of Object.entries(result.checkpoint!)) {
      expect(Array.from(m.params[name]!.dataSync())).toEqual(Array.from(values));
    }
    expect(events.at(-1)!.type).toBe('done');
  });

  it('refuses settings that cannot change mid-run, with a reason', async () => {
    const controller = new TrainController({
      model: model(),
      data: syntheticData({ train: 16, validation: 8, test: 0 }),
      config: config({ epochs: 1 }),
    });
    const acks: TrainEvent[] = [];
    controller.on((e) => e.type === 'command' && acks.push(e));
    controller.update({ weightDecay: -1 });
    controller.update({ batchSize: 4 } as never);
    await controller.run();
    expect(acks.map((e) => e.type === 'command' && [e.applied, e.message])).toEqual([
      [false, expect.stringMatching(/weight decay/)],
      [false, expect.stringMatching(/cannot change batchSize/)],
    ]);
  });

  it('stops early when the metric stops improving and restores the best weights', async () => {
    const m = model();
    const { result, events } = await run({
      model: m,
      data: syntheticData({ train: 64, validation: 16, test: 8 }),
      config: config({ epochs: 5, evalSteps: 1, earlyStoppingPatience: 2, earlyStoppingMinDelta: 10 }),
    });
    expect(result.reason).toBe('early_stopped');
    expect(result.steps).toBe(3);
    expect(events.filter((e) => e.type === 'eval')).toHaveLength(3);
    for (const [name, values] of Object.entries(result.checkpoint!)) {
      expect(Array.from(m.params[name]!.dataSync())).toEqual(Array.from(values));
    }
  });

  it('halves the batch on out-of-memory and trains to the same losses', async () => {
    const data = syntheticData({ train: 48, validation: 8, test: 8 });
    const settings = config({ epochs: 2, batchSize: 8, dropout: false, learningRate: 2e-3 });
    const plain = await run({ model: model(), data, config: settings });
    let failed = false;
    const oom = await run({
      model: model(),
      data,
      config: settings,
      beforeMicroBatch: ({ step }) => {
        if (step === 2 && !failed) {
          failed = true;
          throw new Error('WebGPU: out of memory');
        }
      },
    });
    const notices = oom.events
      .filter((e) => e.type === 'notice')
      .map((e) => e.type === 'notice' && e.message);
    expect(notices).toContainEqual(
      expect.stringMatching(/batch size halved to 4, gradient accumulation doubled to 2/),
    );
    expect(oom.result.config.batchSize).toBe(4);
    expect(oom.result.config.gradAccumSteps).toBe(2);
    expectClose(stepLosses(oom.events), stepLosses(plain.events), 1e-5);
  });

  it('ends cleanly with the best checkpoint when the GPU device is lost', async () => {
    const { result, events } = await run({
      model: model(),
      data: syntheticData({ train: 48, validation: 8, test: 8 }),
      config: config({ epochs: 3 }),
      beforeMicroBatch: ({ step }) => {
        if (step === 8) throw new Error('GPU device was lost: reason destroyed');
      },
    });
    expect(result.reason).toBe('device_lost');
    expect(result.best!.step).toBe(6);
    expect(result.checkpoint).not.toBeNull();
    expect(result.test).toBeNull();
    const done = events.at(-1)!;
    expect(done.type === 'done' && done.message).toMatch(/device was lost.*best checkpoint kept \(step 6\)/);
  });

  it('handles errors the backend reports outside an op (WebGPU uncapturederror, device.lost)', async () => {
    const controller = new TrainController({
      model: model(),
      data: syntheticData({ train: 48, validation: 8, test: 8 }),
      config: config({ epochs: 2, batchSize: 8 }),
      emitIntervalMs: 0,
    });
    const notices: string[] = [];
    controller.on((event) => {
      if (event.type === 'notice') notices.push(event.message);
      if (event.type === 'step' && event.step === 2)
        controller.reportError(new Error('GPUOutOfMemoryError: out of memory'));
      if (event.type === 'step' && event.step === 9) controller.reportError(new Error('GPU device was lost'));
    });
    const result = await controller.run();
    expect(notices[0]).toMatch(/batch size halved to 4/);
    expect(result.reason).toBe('device_lost');
    expect(result.steps).toBe(9);
    expect(result.best!.step).toBe(6);
  });

  it('streams events through an async iterator', async () => {
    const controller = new TrainController({
      model: model(),
      data: syntheticData({ train: 16, validation: 8, test: 0 }),
      config: config({ epochs: 1 }),
    });
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const event of controller.events()) seen.push(event.type);
    })();
    await controller.run();
    await consumer;
    expect(seen[0]).toBe('state');
    expect(seen).toContain('start');
    expect(seen).toContain('eval');
    expect(seen.at(-1)).toBe('done');
  });

  it('throttles step events to the emit interval', async () => {
    let clock = 0;
    const stepTimes: number[] = [];
    await trainModel(
      {
        model: model(),
        data: syntheticData({ train: 80, validation: 0, test: 0 }),
        config: config({ epochs: 1, batchSize: 4 }),
        emitIntervalMs: 100,
        // A fake clock: every reading advances it 10 ms.
        now: () => (clock += 10),
      },
      (event) => event.type === 'step' && stepTimes.push(clock),
    );
    expect(stepTimes.length).toBeGreaterThan(1);
    expect(stepTimes.length).toBeLessThan(20);
    // Every event but the forced one at the epoch's end waits out the interval.
    for (let i = 1; i < stepTimes.length - 1; i++) {
      expect(stepTimes[i]! - stepTimes[i - 1]!).toBeGreaterThanOrEqual(100);
    }
  });
});

describe('evaluating without training', () => {
  for (const mode of ['head', 'full'] as const) {
    it(`${mode}: scores validation and test as the model is, takes no step and changes no weight`, async () => {
      const m = model();
      const data = syntheticData({ train: 24, validation: 16, test: 16 });
      const before = Object.fromEntries(
        Object.entries(m.params).map(([name, v]) => [name, v.dataSync().slice()]),
      );
      const expected = (split: typeof data.test) =>
        tf.tidy(() => {
          const rows = Int32Array.from({ length: 16 }, (_, i) => i);
          const padded = padBatch(split, rows, 0, 64);
          const ids = tf.tensor2d(padded.ids, [16, padded.length], 'int32');
          const mask = tf.tensor2d(padded.mask, [16, padded.length], 'int32');
          const logits = classifierHead(
            m.params,
            m.config,
            firstToken(encode(m.params, m.config, ids, mask, { training: false })),
            { training: false },
          );
          const predicted = tf.argMax(logits, -1).dataSync();
          const correct = predicted.filter((p, i) => p === split.labels[i]).length;
          const labels = tf.tensor1d(split.labels as Int32Array, 'int32');
          const loss = meanLoss(logits, labels, split.labels, {
            multiLabel: false,
            numLabels: 3,
          }).dataSync()[0]!;
          return { loss, accuracy: correct / 16 };
        });
      const { result, events } = await run({
        model: m,
        data,
        config: config({ mode, epochs: 3 }),
        evaluateOnly: true,
      });
      expect(result.steps).toBe(0);
      expect(stepLosses(events)).toEqual([]);
      const start = events.find((e) => e.type === 'start');
      expect(start && start.type === 'start' && [start.totalSteps, start.epochs]).toEqual([0, 0]);
      expect(result.message).toMatch(/as loaded, without training/);
      for (const [split, report] of [
        ['validation', result.validation],
        ['test', result.test],
      ] as const) {
        const reference = expected(data[split]);
        expect(Math.abs(report!.loss - reference.loss), split).toBeLessThan(1e-5);
        expect(report!.metrics.accuracy, split).toBe(reference.accuracy);
      }
      expect(result.best?.step).toBe(0);
      for (const [name, variable] of Object.entries(m.params)) {
        expect(Array.from(variable.dataSync()), name).toEqual(Array.from(before[name]!));
      }
      // The kept weights are the model's own.
      for (const [name, values] of Object.entries(result.checkpoint!)) {
        expect(Array.from(values), name).toEqual(Array.from(before[name]!));
      }
    });
  }
});
