// The check as the studio runs it: the validation split through our tfjs model, float and with the
// int8 round-trip of its Linear weights.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeOrt } from '../../node/ort-runtime.ts';
import { fixtureModelDir } from '../../node/paths.ts';
import { openOrtSessions } from './index.ts';
import { directoryModelSource } from '../../node/model-source.ts';
import { disposeParams, loadModel, type LoadedModel } from '../model/index.ts';
import { tfjsEngine } from './index.ts';
import { classify } from '../model/classify.ts';
import type { EncodedSplit } from '../tokenize/types.ts';
import { createRng } from '../util/random.ts';
import { evaluateQuantization } from './quantization-eval.ts';

/** 60 rows of random token ids between [CLS] and [SEP], 4 to 40 tokens long. */
function randomSplit(labels: (row: number) => number): EncodedSplit {
  const rng = createRng(7);
  const ids: number[] = [];
  const offsets = [0];
  for (let row = 0; row < 60; row++) {
    const length = 4 + rng.int(37);
    ids.push(101);
    for (let t = 2; t < length; t++) ids.push(1000 + rng.int(20000));
    ids.push(102);
    offsets.push(ids.length);
  }
  return {
    ids: Int32Array.from(ids),
    offsets: Int32Array.from(offsets),
    labels: Int32Array.from({ length: 60 }, (_, row) => labels(row)),
    rows: Int32Array.from({ length: 60 }, (_, row) => row + 2),
  };
}

describe('the int8 check on a validation split', () => {
  let model: LoadedModel;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadModel(directoryModelSource(fixtureModelDir('distilbert-tiny-seqcls')));
  });

  afterAll(() => {
    if (model) disposeParams(model.params);
  });

  it('scores both models on every row and leaves the float weights as they were', async () => {
    const options = { padTokenId: 0, maxLength: 64 };
    const probe = randomSplit(() => 0);
    const logitsOf = async (split: EncodedSplit) =>
      (
        await classify(model.config, split, {
          ...options,
          engine: tfjsEngine(model.params, model.config, { kind: 'logits' }),
        })
      ).logits;
    const before = await logitsOf(probe);
    // Labels = the float model's own predictions: its accuracy is 1 by construction.
    const k = model.config.numLabels;
    const split = randomSplit((row) => {
      const z = Array.from(before.subarray(row * k, (row + 1) * k));
      return z.indexOf(Math.max(...z));
    });
    const check = await evaluateQuantization(model, split, { ...options, multiLabel: false });
    expect(check).toMatchObject({ split: 'validation', rows: 60, metric: 'accuracy', float: 1 });
    expect(check!.quantized).toBeCloseTo(check!.agreement, 9);
    expect(check!.accepted).toBe(check!.agreement >= 0.99 && 1 - check!.quantized <= 0.01);
    const after = await logitsOf(probe);
    expect(Array.from(after)).toEqual(Array.from(before));
  });

  it('on ONNX Runtime (the exported float and int8 graphs) reaches the verdict the tfjs models reach', async () => {
    const options = { padTokenId: 0, maxLength: 64, multiLabel: false };
    // Labels mixed so that accuracy and agreement are not trivially 1.
    const split = randomSplit((row) => row % model.config.numLabels);
    const sessions = openOrtSessions();
    const { runtime } = await loadNodeOrt({ engine: 'onnxruntime-node', threads: 1 });
    const onOrt = await evaluateQuantization(model, split, { ...options, runtime });
    const onTfjs = await evaluateQuantization(model, split, options);
    expect(onOrt).toBeDefined();
    expect(onOrt!.rows).toBe(60);
    expect(onOrt!.float).toBeCloseTo(onTfjs!.float, 9);
    expect(onOrt!.quantized).toBeCloseTo(onTfjs!.quantized, 9);
    expect(onOrt!.agreement).toBeCloseTo(onTfjs!.agreement, 9);
    expect(onOrt!.accepted).toBe(onTfjs!.accepted);
    expect(openOrtSessions()).toBe(sessions);
  });

  it('has nothing to say on an empty split', async () => {
    const empty = {
      ids: new Int32Array(0),
      offsets: Int32Array.from([0]),
      labels: new Int32Array(0),
      rows: new Int32Array(0),
    };
    expect(
      await evaluateQuantization(model, empty, { padTokenId: 0, maxLength: 64, multiLabel: false }),
    ).toBeUndefined();
  });
});
