// onnx/model.onnx run by ONNX Runtime (onnxruntime-node) against the Hugging Face reference logits
// and against our tfjs model loaded from the same exported folder: batch sizes, sequence lengths
// and padding patterns vary.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelDir } from '../../node/paths.ts';
import { directoryModelSource } from '../../node/model-source.ts';
import { disposeParams, forward, loadModel, type LoadedModel } from '../model/index.ts';
import { buildExportFiles } from './export-model.ts';
import { int64Tensor, randomIdBatch } from './test-support/onnx-inputs.ts';
import { multiLabelInput, removeDir, seqclsInput, tempDir, writeFolder } from './test-support/fixtures.ts';
import { referenceTensor } from './test-support/reference.ts';
import type { ExportInput } from './types.ts';

const TOLERANCE = 1e-4;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

const CASES: { name: string; lengths: number[]; seqLength: number }[] = [
  { name: 'batch 1, no padding', lengths: [9], seqLength: 9 },
  { name: 'batch 1, only [CLS] [SEP] then padding', lengths: [2], seqLength: 12 },
  { name: 'batch 2, one row padded', lengths: [17, 5], seqLength: 17 },
  { name: 'batch 5, mixed padding', lengths: [33, 2, 20, 33, 7], seqLength: 33 },
  { name: 'batch 8, every row padded', lengths: [3, 60, 14, 8, 41, 2, 27, 50], seqLength: 64 },
];

describe.each([
  ['single-label fixture', seqclsInput, 'distilbert-tiny-seqcls'],
  ['multi-label fixture (F16 checkpoint + head)', multiLabelInput, 'distilbert-tiny-mlm-f16'],
] as const)('onnx/model.onnx of the %s', (_title, makeInput, fixtureName) => {
  let input: ExportInput;
  let dir: string;
  let session: ort.InferenceSession;
  let model: LoadedModel;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    input = await makeInput();
    dir = writeFolder(buildExportFiles(input).files, tempDir('onnx'));
    session = await ort.InferenceSession.create(`${dir}/onnx/model.onnx`);
    model = await loadModel(directoryModelSource(dir));
  });

  afterAll(async () => {
    await session?.release();
    if (model) disposeParams(model.params);
    if (dir) removeDir(dir);
  });

  it('declares int64 input_ids and attention_mask and a logits output', () => {
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(session.outputNames).toEqual(['logits']);
  });

  it('matches the Hugging Face reference logits of the fixture', async () => {
    const fixtureDir = fixtureModelDir(fixtureName);
    const ids = referenceTensor(fixtureDir, 'input_ids');
    const mask = referenceTensor(fixtureDir, 'attention_mask');
    const expected = referenceTensor(fixtureDir, 'logits');
    const shape = ids.shape as [number, number];
    const out = await session.run({
      input_ids: int64Tensor(ids.values, shape),
      attention_mask: int64Tensor(mask.values, shape),
    });
    const logits = out.logits as ort.Tensor;
    expect(logits.dims).toEqual([shape[0], input.labels.length]);
    expect(maxAbsDiff(logits.data as Float32Array, expected.values)).toBeLessThan(TOLERANCE);
  });

  it.each(CASES)('matches the tfjs model on $name', async ({ lengths, seqLength }) => {
    const { ids, mask } = randomIdBatch(lengths, seqLength, lengths.length * 131 + seqLength);
    const shape: [number, number] = [lengths.length, seqLength];
    const out = await session.run({
      input_ids: int64Tensor(ids, shape),
      attention_mask: int64Tensor(mask, shape),
    });
    const onnxLogits = (out.logits as ort.Tensor).data as Float32Array;
    const tfjsLogits = tf.tidy(() => {
      const result = forward(
        model.params,
        model.config,
        tf.tensor2d(ids, shape, 'int32'),
        tf.tensor2d(mask, shape, 'int32'),
        {
          training: false,
        },
      );
      return result.logits.dataSync();
    });
    expect((out.logits as ort.Tensor).dims).toEqual([lengths.length, input.labels.length]);
    expect(maxAbsDiff(onnxLogits, tfjsLogits)).toBeLessThan(TOLERANCE);
  });
});
