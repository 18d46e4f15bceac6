import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { layerPrefix, readSafetensorsHeader } from '../core/model/index.ts';
import { defaultTrainConfig, type TrainConfig } from '../core/train/config.ts';
import { syntheticData, syntheticModel } from '../core/train/test-support/synthetic.ts';
import type { RunOutcome, TrainCommand, TrainEvent } from './protocol.ts';
import { runEvents, type RunRecordOfEvents } from './test-support/run-events.ts';

// A worker's globals, without the origin private file system (feature caches stay in memory).
vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
const base = { ...syntheticModel({ layers: 4, seed: 3 }), report: {} as never, tokenizerFiles: {} };
vi.mock('./modelHost.ts', () => ({ currentModel: () => base, currentModelSource: () => 'synthetic' }));
const { attachRun, dropRun, startRun } = await import('./runHost.ts');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const data = syntheticData({ train: 48, validation: 12, test: 12 });
const config: TrainConfig = {
  ...defaultTrainConfig('full'),
  epochs: 2,
  batchSize: 8,
  evalBatchSize: 16,
  learningRate: 3e-3,
  dropout: false,
};

/** Runs one train command to its end: the outcome, or the error's message, every notice and loss. */
async function run(
  command: Omit<Extract<TrainCommand, { type: 'train' }>, 'type' | 'config' | 'data'>,
): Promise<RunRecordOfEvents> {
  const events: TrainEvent[] = [];
  await startRun({ type: 'train', config, data, ...command }, (event) => events.push(event));
  return runEvents(events);
}

async function weightNames(outcome: RunOutcome): Promise<string[]> {
  const bytes = new Uint8Array(await outcome.weights!.arrayBuffer());
  return readSafetensorsHeader(bytes).tensors.map((tensor) => tensor.name);
}

describe('a distilled run in the train worker', () => {
  it('trains a 1-layer student of a finished run, and keeps every one of its parameters', async () => {
    const teacher = await run({ runId: 'teacher' });
    expect(teacher.error).toBeNull();
    expect(teacher.outcome?.reason).toBe('completed');
    const before = tf.memory().numTensors;

    const student = await run({
      runId: 'student',
      distill: {
        teacherRunId: 'teacher',
        student: { kind: 'layers', layers: 1 },
        alpha: 0.5,
        temperature: 2,
      },
    });
    expect(student.error).toBeNull();
    expect(student.outcome?.reason).toBe('completed');
    expect(student.notices.some((notice) => /teacher's outputs of 48 training rows/.test(notice))).toBe(true);
    expect(student.notices.some((notice) => /blocks 0 of 4/.test(notice))).toBe(true);
    expect(student.losses.length).toBeGreaterThan(1);
    expect(student.losses.every(Number.isFinite)).toBe(true);

    const names = await weightNames(student.outcome!);
    const layerOne = layerPrefix(base.config, 1);
    expect(names.some((name) => name.startsWith(layerPrefix(base.config, 0)))).toBe(true);
    expect(names.some((name) => name.startsWith(layerOne))).toBe(false);
    expect(names.some((name) => /embeddings/.test(name))).toBe(true);
    expect(names.some((name) => /classifier/.test(name))).toBe(true);
    // The student's model stays on the device for predictions; the teacher's copy is freed.
    const studentTensors = names.length;
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + studentTensors);

    // After a reload the student comes back with its own shape.
    const weights = new Uint8Array(await student.outcome!.weights!.arrayBuffer());
    expect(() =>
      attachRun({
        type: 'attachRun',
        requestId: 'a',
        runId: 'student',
        labels: data.labels,
        multiLabel: false,
        config,
        weights,
        layers: 1,
      }),
    ).not.toThrow();
    dropRun('student');
  }, 120_000);

  it('trains on the distillation loss: the teacher term changes the first step’s loss', async () => {
    const firstLoss = async (alpha: number) => {
      const student = await run({
        runId: `student-${alpha}`,
        distill: { teacherRunId: 'teacher', student: { kind: 'layers', layers: 2 }, alpha, temperature: 2 },
      });
      expect(student.error).toBeNull();
      dropRun(`student-${alpha}`);
      return student.losses[0]!;
    };
    const labelsOnly = await firstLoss(1);
    const withTeacher = await firstLoss(0);
    expect(Number.isFinite(labelsOnly) && Number.isFinite(withTeacher)).toBe(true);
    expect(Math.abs(labelsOnly - withTeacher)).toBeGreaterThan(1e-3);
  }, 120_000);

  it.each([
    [
      { teacherRunId: 'nobody', student: { kind: 'layers' as const, layers: 1 }, alpha: 0.5, temperature: 2 },
      /teacher run has no trained weights/,
    ],
    [
      {
        teacherRunId: 'teacher',
        student: { kind: 'layers' as const, layers: 4 },
        alpha: 0.5,
        temperature: 2,
      },
      /1 to 3 layers/,
    ],
    [
      { teacherRunId: 'teacher', student: { kind: 'layers' as const, layers: 1 }, alpha: 2, temperature: 2 },
      /alpha must be between 0 and 1/,
    ],
  ])(
    'refuses %j in one line',
    async (distill, message) => {
      const student = await run({ runId: 'refused', distill });
      expect(student.outcome).toBeNull();
      expect(student.error).toMatch(message);
    },
    60_000,
  );
});
