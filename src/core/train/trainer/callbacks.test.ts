import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsEngine } from '../../infer/index.ts';
import { defaultTrainConfig, type TrainConfig } from '../config.ts';
import type { TrainEvent } from '../events.ts';
import { syntheticData, syntheticModels } from '../test-support/synthetic.ts';
import { lossNormalizer, lossSum } from '../losses.ts';
import { trainModel } from './index.ts';
import { trackBest, trackPatience } from './trackers.ts';
import { initialTrainerState } from './state.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const model = syntheticModels();

const config = (overrides: Partial<TrainConfig>): TrainConfig => ({
  ...defaultTrainConfig(overrides.mode ?? 'head'),
  batchSize: 8,
  evalBatchSize: 16,
  dropout: false,
  ...overrides,
});

const data = syntheticData({ train: 32, validation: 16, test: 8 });

describe('trainer callbacks', () => {
  it('onEvaluate sees every validation evaluation and can end the run', async () => {
    const seen: number[] = [];
    const result = await trainModel({
      model: model(),
      data,
      config: config({ epochs: 4 }),
      emitIntervalMs: 0,
      callbacks: {
        onEvaluate: (evaluation) => {
          seen.push(evaluation.step);
          expect(evaluation.metric).toBe('loss');
          expect(evaluation.value).toBe(evaluation.report.metrics.loss);
          return seen.length === 2 ? { stop: 'pruned after 2 evaluations' } : undefined;
        },
      },
    });
    expect(seen).toEqual([4, 8]);
    expect(result.reason).toBe('stopped');
    expect(result.message).toBe('pruned after 2 evaluations');
    expect(result.steps).toBe(8);
  });

  it('a pluggable loss replaces the objective: doubling it doubles the reported loss', async () => {
    const settings = config({ epochs: 1, learningRate: 1e-12 });
    const plain: number[] = [];
    const doubled: number[] = [];
    const losses = (into: number[]) => (event: TrainEvent) => {
      if (event.type === 'step') into.push(event.loss);
    };
    await trainModel({ model: model(), data, config: settings, emitIntervalMs: 0 }, losses(plain));
    let calls = 0;
    await trainModel(
      {
        model: model(),
        data,
        config: settings,
        emitIntervalMs: 0,
        callbacks: {
          loss: ({ logits, labels, rows, cpuLabels, updateLabels, settings: lossSettings }) => {
            calls += 1;
            expect(rows.length).toBe(cpuLabels.length);
            const normalizer = lossNormalizer(updateLabels, lossSettings);
            return tf.mul(tf.div(lossSum(logits, labels, lossSettings), normalizer), 2) as tf.Scalar;
          },
        },
      },
      losses(doubled),
    );
    expect(calls).toBe(4);
    expect(doubled.length).toBe(plain.length);
    doubled.forEach((loss, i) => expect(loss).toBeCloseTo(2 * plain[i]!, 5));
  });

  it('a pluggable feature engine computes the cached frozen features', async () => {
    const settings = config({ epochs: 1 });
    const asked: string[] = [];
    let forwards = 0;
    const reference = await trainModel({ model: model(), data, config: settings, emitIntervalMs: 0 });
    const result = await trainModel({
      model: model(),
      data,
      config: settings,
      emitIntervalMs: 0,
      callbacks: {
        featureEngine: (m, output) => {
          asked.push(JSON.stringify(output));
          const engine = tfjsEngine(m.params, m.config, output);
          return {
            ...engine,
            run: (batch) => {
              forwards += 1;
              return engine.run(batch);
            },
          };
        },
      },
    });
    expect(asked).toEqual([JSON.stringify({ kind: 'features' })]);
    expect(forwards).toBeGreaterThanOrEqual(3);
    expect(result.history.map((h) => h.train_loss)).toEqual(reference.history.map((h) => h.train_loss));
  });
});

describe('trackers', () => {
  it('the best checkpoint follows any improvement; patience only a large enough one', async () => {
    const state = initialTrainerState(0, 10);
    state.stepsPerEpoch = 2;
    const report = { metrics: {} } as never;
    const values = [0.5, 0.45, 0.449, 0.6];
    const best: boolean[] = [];
    const stop: boolean[] = [];
    for (const [i, value] of values.entries()) {
      state.step = i + 1;
      best.push(
        await trackBest(state, { report, metric: 'loss', value, greater: false }, async () => ({
          w: new Float32Array([i]),
        })),
      );
      stop.push(trackPatience(state.earlyStopping, value, { greater: false, minDelta: 0.01, patience: 2 }));
    }
    expect(best).toEqual([true, true, true, false]);
    expect(state.best?.checkpoint).toEqual({ step: 3, epoch: 1.5, metric: 'loss', value: 0.449 });
    expect(state.best?.weights.w).toEqual(new Float32Array([2]));
    expect(stop).toEqual([false, false, false, true]);
    expect(state.earlyStopping).toEqual({ best: 0.45, badEvals: 2 });
  });
});
