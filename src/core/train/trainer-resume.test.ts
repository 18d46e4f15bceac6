// A run interrupted and resumed from its captured state trains exactly as the run that never
// stopped: same per-step losses, same evaluations, same final weights.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { directoryModelSource } from '../../node/model-source.ts';
import { fixtureModelDir } from '../../node/paths.ts';
import { disposeParams, loadModel } from '../model/index.ts';
import { defaultTrainConfig, type TrainConfig } from './config.ts';
import type { TrainEvent, TrainResult } from './events.ts';
import { SYNTHETIC_LABELS, syntheticData } from './test-support/synthetic.ts';
import { TrainController, trainableParams, type ResumeState, type TrainModel } from './trainer/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const data = syntheticData({ train: 40, validation: 16, test: 8 });

function tinyModel(): Promise<TrainModel> {
  return loadModel(directoryModelSource(fixtureModelDir('distilbert-tiny-seqcls')), {
    labels: [...SYNTHETIC_LABELS],
    seed: 42,
  });
}

interface Outcome {
  losses: Map<number, number>;
  evals: { step: number; loss: number }[];
  result: TrainResult;
  weights: Record<string, Float32Array>;
}

/**
 * Trains a fresh copy of the tiny model, optionally from `resume`; `interruptWhen` names the event
 * after which the run's state is captured and the run stopped.
 */
async function train(
  config: TrainConfig,
  options: { resume?: ResumeState; interruptWhen?: (event: TrainEvent) => boolean } = {},
): Promise<Outcome & { state: ResumeState | null }> {
  const model = await tinyModel();
  try {
    const controller = new TrainController({
      model,
      data,
      config,
      emitIntervalMs: 0,
      ...(options.resume ? { resume: options.resume } : {}),
    });
    const losses = new Map<number, number>();
    const evals: { step: number; loss: number }[] = [];
    let captured: Promise<ResumeState> | null = null;
    controller.on((event) => {
      if (event.type === 'step') losses.set(event.step, event.loss);
      if (event.type === 'eval') evals.push({ step: event.step, loss: event.report.loss });
      if (!captured && options.interruptWhen?.(event)) {
        captured = controller.resumeState();
        controller.stop();
      }
    });
    const result = await controller.run();
    const trainable = trainableParams(model.params, config, model.config);
    const weights = Object.fromEntries(
      Object.entries(trainable).map(([name, variable]) => [
        name,
        variable.dataSync().slice() as Float32Array,
      ]),
    );
    return { losses, evals, result, weights, state: captured ? await captured : null };
  } finally {
    disposeParams(model.params);
  }
}

/** The state as another thread would receive it: structured-cloned with every buffer transferred. */
function transferred(state: ResumeState): ResumeState {
  const buffers = new Set<ArrayBuffer>();
  const collect = (values: Record<string, Float32Array>) =>
    Object.values(values).forEach((array) => buffers.add(array.buffer as ArrayBuffer));
  collect(state.weights);
  if (state.optimizer) [state.optimizer.m, state.optimizer.v].forEach(collect);
  if (state.best) collect(state.best.weights);
  const copy = structuredClone(state, { transfer: [...buffers] });
  expect(Object.values(state.weights)[0]!.length, 'the buffers were moved, not copied').toBe(0);
  return copy;
}

function maxDifference(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const [name, values] of Object.entries(a)) {
    const other = b[name]!;
    expect(other.length).toBe(values.length);
    for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - other[i]!));
  }
  return worst;
}

function maxLossDifference(a: Map<number, number>, b: Map<number, number>): number {
  let worst = 0;
  for (const [step, loss] of a) worst = Math.max(worst, Math.abs(loss - (b.get(step) ?? Infinity)));
  return worst;
}

const settings = (mode: TrainConfig['mode']): TrainConfig => ({
  ...defaultTrainConfig(mode),
  layers: 1,
  epochs: 3,
  batchSize: 8,
  evalBatchSize: 16,
  // An evaluation inside the epochs too, so the early-stopping bookkeeping carries over mid-epoch.
  evalSteps: 3,
  earlyStoppingPatience: 4,
  learningRate: mode === 'head' ? 1e-2 : 3e-3,
  dropout: false,
});

describe('resuming an interrupted run', () => {
  // 40 examples at batch 8: 5 updates per epoch, 15 in all.
  for (const mode of ['head', 'top-k', 'full'] as const) {
    for (const [where, interruptWhen] of [
      ['after epoch 1', (e: TrainEvent) => e.type === 'epoch' && e.epoch === 1],
      ['inside epoch 2', (e: TrainEvent) => e.type === 'step' && e.step === 7],
    ] as const) {
      // Full fine-tuning trains the 30522-token embedding on the cpu backend: once is enough.
      if (mode === 'full' && where !== 'after epoch 1') continue;
      it(`${mode}: stopped ${where} and resumed, it matches the uninterrupted run`, async () => {
        const config = settings(mode);
        const tensorsBefore = tf.memory().numTensors;
        const whole = await train(config);
        expect(whole.losses.size).toBe(15);

        const first = await train(config, { interruptWhen });
        const state = first.state!;
        const at = where === 'after epoch 1' ? 5 : 7;
        expect(state.step).toBe(at);
        expect(state.optimizer!.step).toBe(at);
        expect(state.stepsPerEpoch).toBe(5);
        const second = await train(config, { resume: transferred(state) });

        // The resumed run numbers its steps from the checkpoint on, not from 1.
        expect([...second.losses.keys()]).toEqual(Array.from({ length: 15 - at }, (_, i) => at + 1 + i));
        const joined = new Map([...[...first.losses].filter(([step]) => step <= at), ...second.losses]);
        expect([...joined.keys()]).toEqual([...whole.losses.keys()]);
        expect(maxLossDifference(joined, whole.losses)).toBeLessThan(1e-6);
        const evals = [...first.evals.filter((e) => e.step <= at), ...second.evals];
        expect(evals.map((e) => e.step)).toEqual(whole.evals.map((e) => e.step));
        evals.forEach((e, i) => expect(Math.abs(e.loss - whole.evals[i]!.loss)).toBeLessThan(1e-6));

        expect(maxDifference(second.weights, whole.weights)).toBeLessThan(1e-6);
        expect(second.result.steps).toBe(15);
        expect(second.result.best).toEqual(whole.result.best);
        expect(second.result.history.map((h) => h.step)).toEqual(whole.result.history.map((h) => h.step));
        second.result.history.forEach((h, i) => {
          const w = whole.result.history[i]!;
          expect(Math.abs((h.train_loss ?? NaN) - (w.train_loss ?? NaN))).toBeLessThan(1e-6);
        });
        expect(Math.abs(second.result.test!.loss - whole.result.test!.loss)).toBeLessThan(1e-6);
        expect(tf.memory().numTensors).toBe(tensorsBefore);
      }, 60_000);
    }
  }

  it('the comparison notices lost moments: a fresh optimizer from the same point trains differently', async () => {
    const config = settings('head');
    const whole = await train(config);
    const first = await train(config, { interruptWhen: (e) => e.type === 'epoch' && e.epoch === 1 });
    const second = await train(config, { resume: { ...first.state!, optimizer: null } });
    const joined = new Map([...[...first.losses].filter(([step]) => step <= 5), ...second.losses]);
    expect(maxLossDifference(joined, whole.losses)).toBeGreaterThan(1e-4);
    expect(maxDifference(second.weights, whole.weights)).toBeGreaterThan(1e-4);
  }, 60_000);

  it('refuses a state from another run instead of training on it', async () => {
    const config = settings('head');
    const first = await train(config, { interruptWhen: (e) => e.type === 'epoch' && e.epoch === 1 });
    const state = first.state!;
    await expect(train({ ...config, seed: 7 }, { resume: state })).rejects.toThrow(/seed 42.*seed 7/);
    await expect(train(settings('top-k'), { resume: state })).rejects.toThrow(/lack|does not train/);
  }, 60_000);
});
