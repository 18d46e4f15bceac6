// Word embeddings over the GPU's binding limit, held in row chunks: the loader splits the table
// under a lowered limit, and the model computes the same logits and gradients as with the whole
// table; saving, export, run copies and distillation students give back or keep the same values;
// a full fine-tuning run trains the chunks as it trains the whole table.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryModelSource } from '../../node/model-source.ts';
import { fixtureModelDir } from '../../node/paths.ts';
import { studentFromTeacher } from '../distill/index.ts';
import { namedTensorsFromParams } from '../export/index.ts';
import { defaultTrainConfig } from '../train/config.ts';
import type { TrainEvent } from '../train/events.ts';
import { syntheticData, syntheticModel } from '../train/test-support/synthetic.ts';
import { trainModel } from '../train/trainer/index.ts';
import { forward, lossFn, type Params } from './encoder.ts';
import { disposeParams, loadModel, paramsToSafetensors, type LoadedModel } from './load.ts';
import { rowChunkName, rowRanges, rowsPerChunk, storedNames, tableParts } from './row-chunks.ts';
import { runModelCopy } from './run-copy.ts';
import { maxAbsDiff } from './test-support/fixtures.ts';

const SEQCLS = fixtureModelDir('distilbert-tiny-seqcls');
const WORDS = 'distilbert.embeddings.word_embeddings.weight';
// 1.5 MB holds 11,718 of the fixture's 32-wide rows: its 30,522 words become chunks of 11,718,
// 11,718 and 7,086 rows.
const LIMIT = 1_500_000;

let whole: LoadedModel;
let chunked: LoadedModel;
let baseline: number;

beforeAll(async () => {
  await tf.setBackend('cpu');
  baseline = tf.memory().numTensors;
  whole = await loadModel(directoryModelSource(SEQCLS));
  chunked = await loadModel(directoryModelSource(SEQCLS), { maxBufferBytes: LIMIT });
});

afterAll(() => {
  disposeParams(whole.params);
  disposeParams(chunked.params);
  expect(tf.memory().numTensors).toBe(baseline);
});

/** Ids on every chunk's first and last rows and the table's last, with a padded second row. */
function boundaryIds(vocab: number, perChunk: number): { ids: tf.Tensor2D; mask: tf.Tensor2D } {
  const first = [101, 0, perChunk - 1, perChunk, 2 * perChunk - 1, 2 * perChunk, vocab - 1, 102];
  const second = [101, 7, 2 * perChunk + 5, perChunk + 3, 102, 0, 0, 0];
  return {
    ids: tf.tensor2d([first, second], [2, 8], 'int32'),
    mask: tf.tensor2d([Array(8).fill(1), [1, 1, 1, 1, 1, 0, 0, 0]], [2, 8], 'int32'),
  };
}

describe('a word-embedding table over the binding limit', () => {
  it('is loaded in row chunks of at most the limit, and the report says so', () => {
    const { vocabSize, dim } = chunked.config;
    const perChunk = rowsPerChunk(dim, LIMIT);
    expect(perChunk).toBe(11_718);
    const names = storedNames(chunked.params, WORDS);
    expect(names).toEqual([0, 1, 2].map((i) => rowChunkName(WORDS, i)));
    expect(WORDS in chunked.params).toBe(false);
    expect(names.map((name) => chunked.params[name]!.shape)).toEqual(
      rowRanges(vocabSize, perChunk).map(([start, end]) => [end - start, dim]),
    );
    for (const name of names) expect(chunked.params[name]!.size * 4).toBeLessThanOrEqual(LIMIT);
    expect(chunked.report.message).toMatch(
      /word_embeddings\.weight is larger than this GPU binds .* held in 3 row chunks/,
    );
    // Every other parameter is as the whole model holds it.
    const others = Object.keys(chunked.params).filter((name) => !name.startsWith(WORDS));
    expect(others.sort()).toEqual(
      Object.keys(whole.params)
        .filter((name) => name !== WORDS)
        .sort(),
    );
  });

  it('gives the same logits and gradients as the whole table', () => {
    const perChunk = rowsPerChunk(chunked.config.dim, LIMIT);
    const { ids, mask } = boundaryIds(chunked.config.vocabSize, perChunk);
    const labels = tf.tensor1d([2, 0], 'int32');
    const lossOf = (params: Params) => () =>
      lossFn(whole.config, forward(params, whole.config, ids, mask, { training: false }).logits, labels);
    const wholeGrads = tf.variableGrads(lossOf(whole.params), [whole.params[WORDS]!]);
    const parts = tableParts(chunked.params, WORDS);
    const chunkGrads = tf.variableGrads(lossOf(chunked.params), parts);
    expect(Math.abs(wholeGrads.value.dataSync()[0]! - chunkGrads.value.dataSync()[0]!)).toBeLessThan(1e-6);
    const joined = tf.concat(
      parts.map((part) => chunkGrads.grads[part.name]!),
      0,
    );
    const expected = wholeGrads.grads[whole.params[WORDS]!.name]!;
    // The rows the ids touch have gradients, in every chunk.
    const largest = (t: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);
    expect(largest(expected)).toBeGreaterThan(1e-4);
    for (const part of parts) expect(largest(chunkGrads.grads[part.name]!)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(joined.dataSync(), expected.dataSync())).toBeLessThan(1e-7);
    const logitsOf = (params: Params) =>
      tf.tidy(() => forward(params, whole.config, ids, mask, { training: false }).logits);
    const wholeLogits = logitsOf(whole.params);
    const chunkLogits = logitsOf(chunked.params);
    expect(maxAbsDiff(chunkLogits.dataSync(), wholeLogits.dataSync())).toBeLessThan(1e-6);
    tf.dispose([ids, mask, labels, wholeGrads.value, chunkGrads.value, joined, wholeLogits, chunkLogits]);
    tf.dispose([...Object.values(wholeGrads.grads), ...Object.values(chunkGrads.grads)]);
  });

  it('is saved and exported whole, under its Hugging Face name', async () => {
    const bytes = await paramsToSafetensors(chunked.params);
    expect(Buffer.from(bytes).equals(Buffer.from(await paramsToSafetensors(whole.params)))).toBe(true);
    const exported = await namedTensorsFromParams(chunked.params);
    const reference = await namedTensorsFromParams(whole.params);
    expect(exported.map((t) => [t.name, t.shape])).toEqual(reference.map((t) => [t.name, t.shape]));
    const words = exported.find((t) => t.name === WORDS)!;
    expect(maxAbsDiff(words.data, reference.find((t) => t.name === WORDS)!.data)).toBe(0);
  });

  it('stays in chunks in a run copy, with the run’s table split over them however it was stored', async () => {
    const table = (await whole.params[WORDS]!.data()) as Float32Array;
    const shifted = table.map((x) => x + 1);
    const labels = chunked.config.id2label;
    const copy = runModelCopy(chunked, labels, false, 0, new Map([[WORDS, shifted]]));
    const plain = runModelCopy(chunked, labels, false, 0);
    // A run trained under another limit (two chunks) comes back on this one (three) and on a
    // backend without a limit (whole).
    const half = 15_000 * chunked.config.dim;
    const otherLimit = new Map([
      [rowChunkName(WORDS, 0), shifted.slice(0, half)],
      [rowChunkName(WORDS, 1), shifted.slice(half)],
    ]);
    const rechunked = runModelCopy(chunked, labels, false, 0, otherLimit);
    const unchunked = runModelCopy(whole, labels, false, 0, otherLimit);
    try {
      expect(storedNames(copy.params, WORDS)).toEqual(storedNames(chunked.params, WORDS));
      const merged = (copy_: Params) =>
        tf.tidy(() => tf.concat(tableParts(copy_, WORDS), 0).dataSync() as Float32Array);
      expect(maxAbsDiff(merged(copy.params), shifted)).toBe(0);
      expect(maxAbsDiff(merged(plain.params), table)).toBe(0);
      expect(storedNames(rechunked.params, WORDS)).toHaveLength(3);
      expect(maxAbsDiff(merged(rechunked.params), shifted)).toBe(0);
      expect(storedNames(unchunked.params, WORDS)).toEqual([WORDS]);
      expect(maxAbsDiff(merged(unchunked.params), shifted)).toBe(0);
    } finally {
      for (const made of [copy, plain, rechunked, unchunked]) disposeParams(made.params);
    }
  });

  it('is carried chunk by chunk into a distillation student', () => {
    const student = studentFromTeacher(chunked, 1);
    try {
      const names = storedNames(student.params, WORDS);
      expect(names).toHaveLength(3);
      for (const name of names) {
        expect(maxAbsDiff(student.params[name]!.dataSync(), chunked.params[name]!.dataSync())).toBe(0);
      }
    } finally {
      disposeParams(student.params);
    }
  });
});

describe('full fine-tuning with the word table in row chunks', () => {
  /** The synthetic model with its 64-word table split every `rows` rows. */
  function splitWords(params: Params, rows: number): Params {
    const name = 'distilbert.embeddings.word_embeddings.weight';
    const table = params[name]!;
    const [vocab, dim] = table.shape as [number, number];
    const out: Params = { ...params };
    delete out[name];
    for (const [index, [start, end]] of rowRanges(vocab, rows).entries()) {
      const rowsOf = tf.slice(table, [start, 0], [end - start, dim]);
      out[rowChunkName(name, index)] = tf.variable(rowsOf, true);
      rowsOf.dispose();
    }
    table.dispose();
    return out;
  }

  it('has the losses and weights of training the whole table', async () => {
    const data = syntheticData({ train: 40, validation: 16, test: 8 });
    const config = {
      ...defaultTrainConfig('full'),
      batchSize: 8,
      evalBatchSize: 16,
      epochs: 2,
      dropout: false,
      learningRate: 5e-3,
      weightDecay: 0.1,
    };
    const losses = async (model: ReturnType<typeof syntheticModel>) => {
      const events: TrainEvent[] = [];
      await trainModel({ model, data, config, emitIntervalMs: 0 }, (event) => events.push(event));
      return events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));
    };
    const reference = syntheticModel();
    const split = syntheticModel();
    split.params = splitWords(split.params, 20);
    expect(storedNames(split.params, WORDS)).toHaveLength(4);
    const before = tf.concat(tableParts(split.params, WORDS), 0);
    const a = await losses(reference);
    const b = await losses(split);
    expect(a).toHaveLength(10);
    expect(maxAbsDiff(b, a)).toBeLessThan(1e-5);
    const trained = tf.concat(tableParts(split.params, WORDS), 0);
    expect(maxAbsDiff(trained.dataSync(), reference.params[WORDS]!.dataSync())).toBeLessThan(1e-5);
    // The table trained (the comparison above is not between two untouched tables).
    expect(maxAbsDiff(trained.dataSync(), before.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([before, trained]);
    disposeParams(reference.params);
    disposeParams(split.params);
  });
});
