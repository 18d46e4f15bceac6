// Distillation on real data (UCI sentiment sentences) with the tiny fixture DistilBERT on WASM.
// The fixture has random weights, so the test first fine-tunes it into a teacher, as a user
// would; then a 1-layer student taken from the teacher's first block learns from the teacher's
// cached logits and the labels. The teacher must beat the majority class by ≥ 10 points of test
// accuracy, and the student must keep ≥ 90% of that gain.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../node/backend.ts';
import { directoryModelSource } from '../../node/model-source.ts';
import { dataDir, fixtureModelDir } from '../../node/paths.ts';
import { bytesFromArray } from '../csv/source.ts';
import { importDataset } from '../dataset/pipeline.ts';
import { splitDataset } from '../dataset/split.ts';
import { disposeParams, loadModel } from '../model/index.ts';
import { encodeDataset } from '../tokenize/encode.ts';
import { loadTokenizer } from '../tokenize/tokenizer.ts';
import { defaultTrainConfig, type TrainConfig } from '../train/config.ts';
import { trainModel } from '../train/trainer/index.ts';
import { DEFAULT_DISTILLATION } from './loss.ts';
import { studentFromTeacher } from './student.ts';
import { checkSameRows, computeTeacherLogits, distillationTrainingLoss } from './teacher.ts';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

function majorityShare(labels: Int32Array | Uint8Array, numLabels: number): number {
  const counts = new Array<number>(numLabels).fill(0);
  for (const label of labels) counts[label]! += 1;
  return Math.max(...counts) / labels.length;
}

describe('distillation on real data', () => {
  it('a 1-layer student keeps ≥ 90% of a fine-tuned teacher’s gain over the majority class', async () => {
    const dir = fixtureModelDir('distilbert-tiny-seqcls');
    const bytes = new Uint8Array(readFileSync(join(dataDir(), 'uci_sentiment', 'yelp.csv')));
    const { dataset } = await importDataset(bytesFromArray(bytes));
    const split = splitDataset(dataset, { seed: 42 });
    const tokenizer = await loadTokenizer(directoryModelSource(dir));
    const { encoded } = await encodeDataset(tokenizer, dataset, split, { maxLength: 64 });
    const config: TrainConfig = {
      ...defaultTrainConfig('full'),
      learningRate: 3e-3,
      batchSize: 32,
      epochs: 3,
      maxLength: 64,
    };
    const teacher = await loadModel(directoryModelSource(dir), { labels: encoded.labels, seed: 42 });
    const studentParams: { dispose?: () => void } = {};
    try {
      const teacherRun = await trainModel({ model: teacher, data: encoded, config });
      const teacherAccuracy = teacherRun.test!.metrics.accuracy!;

      const start = tf.memory().numTensors;
      const logits = await computeTeacherLogits(teacher, encoded);
      checkSameRows(encoded, encoded);
      const student = studentFromTeacher(teacher, 1);
      studentParams.dispose = () => disposeParams(student.params);
      expect(student.teacherLayers).toEqual([0]);
      const studentRun = await trainModel({
        model: student,
        data: encoded,
        config,
        callbacks: {
          loss: distillationTrainingLoss(logits.train, encoded.labels.length, DEFAULT_DISTILLATION),
        },
      });
      const studentAccuracy = studentRun.test!.metrics.accuracy!;
      const baseline = majorityShare(encoded.test.labels, encoded.labels.length);
      const kept = (studentAccuracy - baseline) / (teacherAccuracy - baseline);
      console.log(
        `yelp test accuracy: majority ${baseline.toFixed(3)}, teacher (2 layers) ${teacherAccuracy.toFixed(3)}, ` +
          `student (1 layer) ${studentAccuracy.toFixed(3)}: the student keeps ${(kept * 100).toFixed(0)}% of the gain`,
      );
      expect(teacherAccuracy - baseline).toBeGreaterThanOrEqual(0.1);
      expect(kept).toBeGreaterThanOrEqual(0.9);
      disposeParams(student.params);
      studentParams.dispose = undefined;
      expect(tf.memory().numTensors).toBe(start);
    } finally {
      studentParams.dispose?.();
      disposeParams(teacher.params);
    }
  }, 300_000);
});
