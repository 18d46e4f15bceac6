import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeParams } from '../core/model/index.ts';
import { readSafetensorsHeader, writeSafetensors } from '../core/model/safetensors.ts';
import { defaultTrainConfig, type TrainConfig } from '../core/train/config.ts';
import { syntheticData, syntheticModel } from '../core/train/test-support/synthetic.ts';
import { TrainController, trainableParams, type ResumeState } from '../core/train/trainer/index.ts';
import { freshOptimizerState, readResumeCheckpoint, resumeCheckpointBlob } from './resume.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const data = syntheticData({ train: 40, validation: 16, test: 8 });
const config: TrainConfig = {
  ...defaultTrainConfig('top-k'),
  layers: 1,
  epochs: 3,
  batchSize: 8,
  evalBatchSize: 16,
  evalSteps: 3,
  learningRate: 3e-3,
  dropout: false,
};
const modelConfig = syntheticModel().config;

/** Trains the synthetic model (optionally resumed); with `stopAfterEpoch`, captures the state there and stops. */
async function train(options: { resume?: ResumeState; stopAfterEpoch?: number } = {}) {
  const model = syntheticModel();
  try {
    const controller = new TrainController({
      model,
      data,
      config,
      emitIntervalMs: 0,
      ...(options.resume ? { resume: options.resume } : {}),
    });
    const losses = new Map<number, number>();
    let state: Promise<ResumeState> | null = null;
    controller.on((event) => {
      if (event.type === 'step') losses.set(event.step, event.loss);
      if (event.type === 'epoch' && event.epoch === options.stopAfterEpoch) {
        state = controller.resumeState();
        controller.stop();
      }
    });
    await controller.run();
    const trainable = trainableParams(model.params, config, model.config);
    const weights = Object.fromEntries(
      Object.entries(trainable).map(([name, v]) => [name, v.dataSync().slice() as Float32Array]),
    );
    return { losses, weights, state: state ? ((await state) as ResumeState) : null };
  } finally {
    disposeParams(model.params);
  }
}

async function bytesOf(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

function maxDifference(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const [name, values] of Object.entries(a)) {
    values.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b[name]![i]!))));
  }
  return worst;
}

describe('resume checkpoint files', () => {
  it('a run resumed from its stored epoch checkpoint ends with the uninterrupted run’s weights', async () => {
    const whole = await train();
    const first = await train({ stopAfterEpoch: 1 });
    const file = resumeCheckpointBlob(first.state!, modelConfig);
    const read = readResumeCheckpoint(await bytesOf(file));
    expect(read.format).toBe(2);
    expect(read.state!.optimizer!.step).toBe(5);
    const second = await train({ resume: read.state! });
    expect([...second.losses.keys()][0]).toBe(6);
    expect(maxDifference(second.weights, whole.weights)).toBeLessThan(1e-6);
    for (const [step, loss] of second.losses)
      expect(Math.abs(loss - whole.losses.get(step)!)).toBeLessThan(1e-6);
  }, 60_000);

  it('stores the moments under torch’s names and the best weights only when they are not the current ones', async () => {
    const { state } = await train({ stopAfterEpoch: 1 });
    const current = state!;
    const names = (blobBytes: Uint8Array) => readSafetensorsHeader(blobBytes).tensors.map((t) => t.name);
    const atBest: ResumeState = {
      ...current,
      best: {
        checkpoint: { step: 5, epoch: 1, metric: 'loss', value: 0.5 },
        report: null,
        weights: current.weights,
      },
    };
    const sameBytes = await bytesOf(resumeCheckpointBlob(atBest, modelConfig));
    expect(names(sameBytes).some((n) => n.startsWith('best.'))).toBe(false);
    expect(names(sameBytes)).toContain('optimizer.exp_avg.classifier.weight');
    expect(names(sameBytes)).toContain('optimizer.exp_avg_sq.classifier.weight');
    const same = readResumeCheckpoint(sameBytes).state!;
    expect(same.best!.weights).toBe(same.weights);

    const older = Object.fromEntries(
      Object.entries(current.weights).map(([n, w]) => [n, w.map((x) => x + 1)]),
    );
    const earlier: ResumeState = {
      ...current,
      best: { checkpoint: { step: 3, epoch: 0.6, metric: 'loss', value: 0.4 }, report: null, weights: older },
    };
    const read = readResumeCheckpoint(await bytesOf(resumeCheckpointBlob(earlier, modelConfig))).state!;
    expect(read.best!.checkpoint).toEqual(earlier.best!.checkpoint);
    expect(maxDifference(read.best!.weights, older)).toBe(0);
    expect(maxDifference(read.weights, current.weights)).toBe(0);
    expect(maxDifference(read.optimizer!.m, current.optimizer!.m)).toBe(0);
    expect(maxDifference(read.optimizer!.v, current.optimizer!.v)).toBe(0);
    expect(read.history).toEqual(current.history);
    expect(read.earlyStopping).toEqual(current.earlyStopping);
  }, 60_000);

  it('an older checkpoint (weights only) resumes at its step with a fresh optimizer', async () => {
    const whole = await train();
    const { state } = await train({ stopAfterEpoch: 1 });
    const legacyBytes = writeSafetensors(
      Object.entries(state!.weights).map(([name, values]) => ({
        name,
        shape: [values.length],
        data: values,
      })),
    );
    const read = readResumeCheckpoint(legacyBytes);
    expect(read.format).toBe(1);
    expect(read.state).toBeNull();
    const fresh = freshOptimizerState(config, { step: 5, weights: read.weights }, 40, null);
    expect(fresh.optimizer).toBeNull();
    const resumed = await train({ resume: fresh });
    // Step numbers continue from the checkpoint; the updates differ without the moments.
    expect([...resumed.losses.keys()]).toEqual(Array.from({ length: 10 }, (_, i) => 6 + i));
    expect(maxDifference(resumed.weights, whole.weights)).toBeGreaterThan(1e-4);
  }, 60_000);

  it('refuses a checkpoint from a newer studio', () => {
    const bytes = writeSafetensors([{ name: 'classifier.bias', shape: [3], data: new Float32Array(3) }], {
      format: 'pt',
      finetune_studio_checkpoint: '3',
    });
    expect(() => readResumeCheckpoint(bytes)).toThrow(/newer version of the studio/);
  });
});
