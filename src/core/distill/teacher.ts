// The teacher's side of distillation: its logits for every row, computed once before training
// (dropout off, on the teacher's own tokenization, which may differ from the student's) and
// kept for all epochs, and the training loss that reads them by row.
import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, type Params, classify } from '../model/index.ts';
import { tfjsEngine } from '../infer/index.ts';
import {
  SPLITS,
  splitSize,
  type EncodedDataset,
  type SplitName,
  type MicroBatchLossInput,
  type TrainingLoss,
} from '../train/index.ts';
import { distillationLoss, distillationNormalizers, type DistillationSettings } from './loss.ts';

/** The teacher's logits of each split, [n, L] row-major in the split's row order. */
export type TeacherLogits = Record<SplitName, Float32Array>;

/**
 * Refuses a teacher and data that cannot be distilled: the teacher must have been trained on the
 * data's labels (in any order) for the same kind of problem.
 */
export function checkTeacher(
  teacherConfig: ModelConfig,
  labels: readonly string[],
  multiLabel: boolean,
): void {
  const teacherMultiLabel = teacherConfig.problemType === 'multi_label_classification';
  if (teacherMultiLabel !== multiLabel) {
    throw new Error(
      `the teacher is a ${teacherMultiLabel ? 'multi' : 'single'}-label classifier, but the data is ${multiLabel ? 'multi' : 'single'}-label`,
    );
  }
  const known = new Set(teacherConfig.id2label);
  const missing = labels.filter((label) => !known.has(label));
  const extra = teacherConfig.id2label.filter((label) => !labels.includes(label));
  if (missing.length > 0 || extra.length > 0) {
    const list = (names: string[]) => names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
    throw new Error(
      `the teacher was trained on other labels than the data's` +
        (missing.length > 0 ? `; the data has ${list(missing)}, which the teacher does not know` : '') +
        (extra.length > 0 ? `; the teacher has ${list(extra)}, which the data lacks` : ''),
    );
  }
}

/**
 * The teacher's logits for every row of every split of `teacherData` (the data encoded with the
 * teacher's tokenizer), columns in the data's label order. The teacher must carry the data's
 * labels in that order (load it with `labels: data.labels`).
 */
export async function computeTeacherLogits(
  teacher: { config: ModelConfig; params: Params },
  teacherData: EncodedDataset,
  options: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<TeacherLogits> {
  checkTeacher(teacher.config, teacherData.labels, teacherData.multiLabel);
  if (teacher.config.id2label.some((label, i) => label !== teacherData.labels[i])) {
    throw new Error('load the teacher with the data’s labels, so its outputs are in the data’s label order');
  }
  const total = SPLITS.reduce((n, split) => n + splitSize(teacherData[split]), 0);
  let before = 0;
  const out = {} as TeacherLogits;
  for (const split of SPLITS) {
    const start = before;
    ({ logits: out[split] } = await classify(teacher.config, teacherData[split], {
      engine: tfjsEngine(teacher.params, teacher.config, { kind: 'logits' }),
      padTokenId: teacherData.padTokenId,
      maxLength: teacherData.maxLength,
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      onProgress: (done) => options.onProgress?.(start + done, total),
    }));
    before += splitSize(teacherData[split]);
  }
  return out;
}

/**
 * Checks that the teacher's and the student's encodings hold the same rows with the same labels,
 * split by split (the same dataset and split, each encoded with its own tokenizer).
 */
export function checkSameRows(teacherData: EncodedDataset, studentData: EncodedDataset): void {
  if (
    teacherData.multiLabel !== studentData.multiLabel ||
    teacherData.labels.join('\n') !== studentData.labels.join('\n')
  ) {
    throw new Error('the teacher’s and the student’s data have different labels');
  }
  for (const split of SPLITS) {
    const a = teacherData[split];
    const b = studentData[split];
    const same =
      a.rows.length === b.rows.length &&
      a.rows.every((row, i) => row === b.rows[i]) &&
      a.labels.length === b.labels.length &&
      a.labels.every((label, i) => label === b.labels[i]);
    if (!same) throw new Error(`the teacher’s and the student’s ${split} splits hold different rows`);
  }
}

/**
 * The distillation loss of a micro-batch, the teacher's logits of its rows read from
 * `trainLogits` ([n_train, L], the training split's row order).
 */
export function distillationTrainingLoss(
  trainLogits: Float32Array,
  numLabels: number,
  settings: DistillationSettings,
): TrainingLoss {
  return (input: MicroBatchLossInput) => {
    const { rows } = input;
    const gathered = new Float32Array(rows.length * numLabels);
    rows.forEach((row, i) =>
      gathered.set(trainLogits.subarray(row * numLabels, (row + 1) * numLabels), i * numLabels),
    );
    return tf.tidy(() =>
      distillationLoss(
        {
          student: input.logits,
          teacher: tf.tensor2d(gathered, [rows.length, numLabels]),
          labels: input.labels,
          cpuLabels: input.cpuLabels,
        },
        input.settings,
        settings,
        distillationNormalizers(input.updateLabels, input.settings),
        input.onHost,
      ),
    );
  };
}
