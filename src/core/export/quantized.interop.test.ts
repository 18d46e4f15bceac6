// onnx/model_quantized.onnx in the real runtimes. As written (ONNX Runtime with basic graph
// optimizations) it computes, within 1e-4, our tfjs model with the dequantized weights: the model
// the accuracy check evaluates. With its default optimizations ONNX Runtime also quantizes each
// MatMul's activations at run time (an integer MatMul), so those logits are held to the looser
// int8 bound against the float graph. transformers.js loads the file with `dtype: 'q8'` and gives
// what ONNX Runtime gives for the same ids.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AutoTokenizer, env, pipeline, type TextClassificationPipeline } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryModelSource } from '../../node/model-source.ts';
import { requirePython, runPython } from '../../node/python.ts';
import { disposeParams, forward, loadModel, type LoadedModel } from '../model/index.ts';
import { buildExportFiles } from './export-model.ts';
import { int64Tensor, randomIdBatch } from './test-support/onnx-inputs.ts';
import { dequantizedWeights, isQuantizedWeight } from './onnx/quantize.ts';
import type { QuantizationCheck } from './quantization.ts';
import {
  familyInput,
  multiLabelInput,
  removeDir,
  sampleRows,
  seqclsInput,
  tempDir,
  writeFolder,
} from './test-support/fixtures.ts';
import type { ExportInput } from './types.ts';

/** Same logits as our tfjs model with the dequantized weights: only float summation order differs. */
const SAME_MODEL_TOLERANCE = 1e-4;
/** The int8 graph against the float one: at most this share of the largest float logit of the batch. */
const QUANTIZATION_TOLERANCE = 0.05;

requirePython();

// Python's ONNX Runtime on the same ids, default session options; logits as JSON on stdout.
const PYTHON_ORT = `
import json, sys
import numpy as np
import onnxruntime
request = json.load(sys.stdin)
session = onnxruntime.InferenceSession(request["model"], providers=["CPUExecutionProvider"])
ids = np.array(request["ids"], dtype=np.int64).reshape(request["shape"])
mask = np.array(request["mask"], dtype=np.int64).reshape(request["shape"])
logits = session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
print(json.dumps(logits.astype(float).ravel().tolist()))
`;

const TEXTS = sampleRows('uci_sentiment/yelp.csv', 50).map((r) => r.text);

// An accepted check, so the export writes the file; the check itself is tested on its own.
const ACCEPTED: QuantizationCheck = {
  split: 'validation',
  rows: 100,
  metric: 'accuracy',
  float: 0.8,
  quantized: 0.8,
  agreement: 1,
  accepted: true,
};

function maxAbs(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs((a[i] as number) - (b ? (b[i] as number) : 0)));
  return worst;
}

describe.each([
  ['single-label', seqclsInput],
  ['multi-label', multiLabelInput],
  ['bert-tiny-seqcls', () => familyInput('bert-tiny-seqcls', 64)],
  ['roberta-tiny-seqcls', () => familyInput('roberta-tiny-seqcls', 64)],
  ['xlm-roberta-tiny-mlm-f16', () => familyInput('xlm-roberta-tiny-mlm-f16', 32)],
  ['modernbert-tiny-mlm-f16', () => familyInput('modernbert-tiny-mlm-f16', 32)],
  ['deberta-v3-tiny-seqcls', () => familyInput('deberta-v3-tiny-seqcls', 64)],
] as const)('onnx/model_quantized.onnx of the %s export', (_kind, makeInput) => {
  let input: ExportInput;
  let root: string;
  let folder: string;
  let floatSession: ort.InferenceSession;
  let quantizedSession: ort.InferenceSession;
  let asWrittenSession: ort.InferenceSession;
  let dequantized: LoadedModel;
  const vocabSize = () => Number(input.config.vocab_size ?? 30522);

  beforeAll(async () => {
    await tf.setBackend('cpu');
    input = { ...(await makeInput()), quantization: ACCEPTED };
    root = tempDir('quantized');
    folder = writeFolder(buildExportFiles(input).files, join(root, 'model'));
    floatSession = await ort.InferenceSession.create(`${folder}/onnx/model.onnx`);
    quantizedSession = await ort.InferenceSession.create(`${folder}/onnx/model_quantized.onnx`);
    asWrittenSession = await ort.InferenceSession.create(`${folder}/onnx/model_quantized.onnx`, {
      graphOptimizationLevel: 'basic',
    });
    // Our model with the weights the int8 graph dequantizes to, loaded through a model folder.
    const plain = buildExportFiles({ ...input, weights: dequantizedWeights(input.weights) }).files;
    dequantized = await loadModel(directoryModelSource(writeFolder(plain, join(root, 'dequantized'))));
  });

  afterAll(async () => {
    await floatSession?.release();
    await quantizedSession?.release();
    await asWrittenSession?.release();
    if (dequantized) disposeParams(dequantized.params);
    if (root) removeDir(root);
  });

  it('keeps the float graph’s inputs and outputs, with the Linear weights in int8', () => {
    expect(quantizedSession.inputNames).toEqual(['input_ids', 'attention_mask']);
    expect(quantizedSession.outputNames).toEqual(['logits']);
    const files = buildExportFiles(input).files;
    const size = (path: string) => files.find((f) => f.path === path)?.bytes.byteLength ?? 0;
    const linearValues = input.weights
      .filter((w) => isQuantizedWeight(w.name))
      .reduce((sum, w) => sum + w.data.length, 0);
    // Each Linear weight value: 4 bytes as float32, 1 as int8; each column adds a scale and a zero
    // point, and each use a DequantizeLinear node, which weigh much in the tiny fixtures (32 rows per
    // column; DeBERTa's shared keys are used twice per block) and little in DistilBERT (768).
    expect(size('onnx/model.onnx') - size('onnx/model_quantized.onnx')).toBeGreaterThan(2.25 * linearValues);
  });

  it.each([
    { lengths: [9], seqLength: 9 },
    { lengths: [17, 5], seqLength: 17 },
    { lengths: [3, 60, 14, 8, 41, 2, 27, 50], seqLength: 64 },
  ])('computes the checked model and stays close to the float graph ($lengths)', async (batch) => {
    // A family fixture with fewer positions takes the same batch cut to its max length.
    const seqLength = Math.min(batch.seqLength, input.maxLength);
    const lengths = batch.lengths.map((length) => Math.min(length, seqLength));
    const { ids, mask } = randomIdBatch(lengths, seqLength, lengths.length * 7 + seqLength, vocabSize());
    const shape: [number, number] = [lengths.length, seqLength];
    const feeds = () => ({ input_ids: int64Tensor(ids, shape), attention_mask: int64Tensor(mask, shape) });
    const logitsOf = async (session: ort.InferenceSession) => {
      const out = (await session.run(feeds())).logits as ort.Tensor;
      expect(out.dims).toEqual([lengths.length, input.labels.length]);
      return out.data as Float32Array;
    };
    const floatLogits = await logitsOf(floatSession);
    const asWritten = await logitsOf(asWrittenSession);
    const optimized = await logitsOf(quantizedSession);
    const ours = tf.tidy(() =>
      forward(
        dequantized.params,
        dequantized.config,
        tf.tensor2d(ids, shape, 'int32'),
        tf.tensor2d(mask, shape, 'int32'),
        {
          training: false,
        },
      ).logits.dataSync(),
    );
    const bound = QUANTIZATION_TOLERANCE * maxAbs(floatLogits);
    expect(maxAbs(asWritten, ours)).toBeLessThan(SAME_MODEL_TOLERANCE);
    // The weights really are int8: the checked model is not the float one.
    expect(maxAbs(asWritten, floatLogits)).toBeGreaterThan(SAME_MODEL_TOLERANCE);
    expect(maxAbs(asWritten, floatLogits)).toBeLessThan(bound);
    expect(maxAbs(optimized, floatLogits)).toBeLessThan(bound);
  });

  it('runs in Python’s ONNX Runtime with the same logits as in Node', async () => {
    const lengths = [12, 30, 5, 30];
    const { ids, mask } = randomIdBatch(lengths, 30, 99, vocabSize());
    const shape: [number, number] = [lengths.length, 30];
    const node = (
      (
        await quantizedSession.run({
          input_ids: int64Tensor(ids, shape),
          attention_mask: int64Tensor(mask, shape),
        })
      ).logits as ort.Tensor
    ).data as Float32Array;
    const run = await runPython(['-c', PYTHON_ORT], {
      timeoutMs: 120_000,
      input: JSON.stringify({ model: `${folder}/onnx/model_quantized.onnx`, ids, mask, shape }),
    });
    expect(run.code, run.stderr).toBe(0);
    const fromPython = JSON.parse(run.stdout) as number[];
    expect(fromPython).toHaveLength(node.length);
    expect(maxAbs(fromPython, node)).toBeLessThan(SAME_MODEL_TOLERANCE);
  });

  it('loads in transformers.js with dtype q8 and gives ONNX Runtime’s scores for 50 texts', async () => {
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(folder) + '/';
    const classifier = (await pipeline('text-classification', basename(folder), {
      dtype: 'q8',
    })) as TextClassificationPipeline;
    try {
      const outputs = (await classifier(TEXTS, { top_k: null })) as unknown as {
        label: string;
        score: number;
      }[][];
      // The pipeline's own padded batch of ids through ONNX Runtime (run-time activation
      // quantization depends on the whole batch, so the batch must be the pipeline's).
      const tokenizer = await AutoTokenizer.from_pretrained(basename(folder));
      const batch = tokenizer(TEXTS, { padding: true, truncation: true });
      const asOrt = (t: unknown) => {
        const { data, dims } = t as { data: BigInt64Array; dims: number[] };
        return new ort.Tensor('int64', data, dims);
      };
      const out = await quantizedSession.run({
        input_ids: asOrt(batch.input_ids),
        attention_mask: asOrt(batch.attention_mask),
      });
      const logits = (out.logits as ort.Tensor).data as Float32Array;
      const k = input.labels.length;
      let worst = 0;
      outputs.forEach((scores, row) => {
        const z = Array.from(logits.subarray(row * k, (row + 1) * k));
        const top = Math.max(...z);
        const sum = z.reduce((a, x) => a + Math.exp(x - top), 0);
        const expected =
          input.problemType === 'multi_label_classification'
            ? z.map((x) => 1 / (1 + Math.exp(-x)))
            : z.map((x) => Math.exp(x - top) / sum);
        const byLabel = new Map(scores.map((s) => [s.label, s.score]));
        input.labels.forEach((label, i) => {
          worst = Math.max(worst, Math.abs((byLabel.get(label) as number) - (expected[i] as number)));
        });
        expect(scores[0]?.label, `row ${row}`).toBe(input.labels[z.indexOf(top)]);
      });
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await classifier.dispose();
    }
  });
});
