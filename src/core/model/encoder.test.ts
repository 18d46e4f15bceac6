// Parity with Hugging Face transformers on the fixture checkpoints of every family (DistilBERT, BERT,
// RoBERTa, XLM-RoBERTa, ModernBERT): forward outputs for every
// padding pattern, the loss, and the gradient of every parameter; on the cpu and wasm backends.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../node/backend.ts';
import { classifierHead, encode, forward, lossFn, pooledState } from './encoder.ts';
import { disposeParams, type LoadedModel } from './index.ts';
import {
  FIXTURES,
  fixture,
  l2,
  l2Diff,
  loadFixtureModel,
  maxAbsDiff,
  ref,
  refTensor,
  type Fixture,
} from './test-support/fixtures.ts';

const BACKENDS = ['cpu', 'wasm'] as const;

describe.each(BACKENDS)('sequence classifiers of every family on the %s backend', (backend) => {
  beforeAll(async () => {
    const choice = await initNodeBackend(backend);
    expect(choice.name).toBe(backend);
  });

  describe.each(FIXTURES)('%s', (name) => {
    let fx: Fixture;
    let model: LoadedModel;
    let inputIds: tf.Tensor2D;
    let attentionMask: tf.Tensor2D;
    let labels: tf.Tensor;

    beforeAll(async () => {
      fx = fixture(name);
      model = await loadFixtureModel(fx);
      inputIds = refTensor(fx, 'input_ids') as tf.Tensor2D;
      attentionMask = refTensor(fx, 'attention_mask') as tf.Tensor2D;
      labels = refTensor(fx, 'labels');
    });

    afterAll(() => {
      tf.dispose([inputIds, attentionMask, labels]);
      disposeParams(model.params);
    });

    it('matches last_hidden_state and logits for every padding pattern in the batch', () => {
      const { lastHiddenState, logits } = forward(model.params, model.config, inputIds, attentionMask, {
        training: false,
      });
      const hidden = lastHiddenState.dataSync();
      const expectedHidden = ref(fx, 'last_hidden_state').data;
      const out = logits.dataSync();
      const expectedLogits = ref(fx, 'logits').data;
      const [batch, seqLength] = inputIds.shape;
      const rowHidden = seqLength * model.config.dim;
      const L = model.config.numLabels;
      const mask = ref(fx, 'attention_mask').data;
      const lengths = new Set<number>();
      for (let row = 0; row < batch; row++) {
        let length = 0;
        for (let t = 0; t < seqLength; t++) length += mask[row * seqLength + t]!;
        lengths.add(length);
        const hiddenError = maxAbsDiff(
          hidden.subarray(row * rowHidden, (row + 1) * rowHidden),
          expectedHidden.subarray(row * rowHidden, (row + 1) * rowHidden),
        );
        const logitError = maxAbsDiff(
          out.subarray(row * L, (row + 1) * L),
          expectedLogits.subarray(row * L, (row + 1) * L),
        );
        expect(hiddenError, `row ${row} (${length} tokens) last_hidden_state`).toBeLessThan(
          fx.tolerances.last_hidden_state_max_abs,
        );
        expect(logitError, `row ${row} (${length} tokens) logits`).toBeLessThan(fx.tolerances.logits_max_abs);
      }
      // The fixture must exercise padding: rows of several lengths, at least one unpadded.
      expect(lengths.size).toBeGreaterThan(1);
      expect(lengths.has(seqLength)).toBe(true);
      tf.dispose([lastHiddenState, logits]);
    });

    it('gives each row the same logits alone and unpadded as inside the padded batch', () => {
      const [batch, seqLength] = inputIds.shape;
      const ids = ref(fx, 'input_ids').data;
      const mask = ref(fx, 'attention_mask').data;
      const expectedLogits = ref(fx, 'logits').data;
      const L = model.config.numLabels;
      for (let row = 0; row < batch; row++) {
        let length = 0;
        for (let t = 0; t < seqLength; t++) length += mask[row * seqLength + t]!;
        const single = tf.tensor2d(
          Array.from(ids.subarray(row * seqLength, row * seqLength + length)),
          [1, length],
          'int32',
        );
        const ones = tf.ones([1, length], 'int32') as tf.Tensor2D;
        const { lastHiddenState, logits } = forward(model.params, model.config, single, ones, {
          training: false,
        });
        expect(maxAbsDiff(logits.dataSync(), expectedLogits.subarray(row * L, (row + 1) * L))).toBeLessThan(
          fx.tolerances.logits_max_abs,
        );
        tf.dispose([single, ones, lastHiddenState, logits]);
      }
    });

    it('matches the loss', () => {
      const loss = tf.tidy(() => {
        const { logits } = forward(model.params, model.config, inputIds, attentionMask, { training: false });
        return lossFn(model.config, logits, labels);
      });
      expect(Math.abs(loss.dataSync()[0]! - fx.loss)).toBeLessThan(1e-5);
      loss.dispose();
    });

    it.each([
      ['', false],
      [' with gradient checkpointing', true],
    ])('matches the gradient of the loss for every parameter (dropout off)%s', (_, gradientCheckpointing) => {
      const names = Object.keys(model.params);
      const { value, grads } = tf.variableGrads(() => {
        const { logits } = forward(model.params, model.config, inputIds, attentionMask, {
          training: false,
          gradientCheckpointing,
        });
        return lossFn(model.config, logits, labels);
      });
      const checked: string[] = [];
      for (const name of names) {
        const grad = grads[model.params[name]!.name];
        expect(grad, `gradient of ${name}`).toBeDefined();
        const actual = grad!.dataSync();
        const expected = ref(fx, `grad.${name}`).data;
        const norm = l2(expected);
        const error = l2Diff(actual, expected);
        if (norm < 1e-6) {
          expect(error, `${name}: |grad| error (reference norm ${norm})`).toBeLessThan(
            fx.tolerances['grad_abs_when_norm_below_1e-6'],
          );
        } else {
          expect(error / norm, `${name}: relative L2 error`).toBeLessThan(fx.tolerances.grad_rel_l2);
        }
        checked.push(name);
      }
      // Every reference gradient belongs to a parameter we checked.
      const referenceGrads = [...fx.reference.keys()]
        .filter((k) => k.startsWith('grad.'))
        .map((k) => k.slice(5));
      expect(checked.sort()).toEqual(referenceGrads.sort());
      tf.dispose([value, ...Object.values(grads)]);
    });

    it('resumes from a cached layer output exactly as the full encoder', () => {
      const L = model.config.nLayers;
      const full = encode(model.params, model.config, inputIds, attentionMask, { training: false });
      const partial = encode(model.params, model.config, inputIds, attentionMask, {
        training: false,
        toLayer: L - 1,
      });
      const resumed = encode(model.params, model.config, inputIds, attentionMask, {
        training: false,
        fromLayer: L - 1,
        hidden: partial,
      });
      expect(maxAbsDiff(resumed.dataSync(), full.dataSync())).toBe(0);
      const logits = tf.tidy(() =>
        classifierHead(model.params, model.config, pooledState(model.config, resumed, attentionMask), {
          training: false,
        }),
      );
      expect(maxAbsDiff(logits.dataSync(), ref(fx, 'logits').data)).toBeLessThan(
        fx.tolerances.logits_max_abs,
      );
      tf.dispose([full, partial, resumed, logits]);
    });
  });
});

describe('DistilBERT memory and dropout (cpu)', () => {
  let fx: Fixture;
  let model: LoadedModel;
  let inputIds: tf.Tensor2D;
  let attentionMask: tf.Tensor2D;
  let labels: tf.Tensor;

  beforeAll(async () => {
    await initNodeBackend('cpu');
    fx = fixture('distilbert-tiny-seqcls');
    model = await loadFixtureModel(fx);
    inputIds = refTensor(fx, 'input_ids') as tf.Tensor2D;
    attentionMask = refTensor(fx, 'attention_mask') as tf.Tensor2D;
    labels = refTensor(fx, 'labels');
  });

  afterAll(() => {
    tf.dispose([inputIds, attentionMask, labels]);
    disposeParams(model.params);
  });

  it('leaks no tensor in a forward pass', () => {
    const before = tf.memory().numTensors;
    const { lastHiddenState, logits } = forward(model.params, model.config, inputIds, attentionMask, {
      training: true,
      seed: 1,
    });
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([lastHiddenState, logits]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensor in a training step that applies the gradients', () => {
    const before = tf.memory().numTensors;
    const snapshot = new Map(Object.entries(model.params).map(([name, v]) => [name, v.dataSync().slice()]));
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = forward(model.params, model.config, inputIds, attentionMask, {
        training: true,
        seed: 3,
      });
      return lossFn(model.config, logits, labels);
    });
    tf.tidy(() => {
      for (const variable of Object.values(model.params)) {
        const grad = grads[variable.name];
        if (grad) variable.assign(tf.sub(variable, tf.mul(grad, 1e-3)));
      }
    });
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    expect(
      maxAbsDiff(model.params['classifier.weight']!.dataSync(), snapshot.get('classifier.weight')!),
    ).toBeGreaterThan(0);
    // Undo the step so the other tests see the checkpoint.
    tf.tidy(() => {
      for (const [name, values] of snapshot)
        model.params[name]!.assign(tf.tensor(values, model.params[name]!.shape));
    });
  });

  it('gives the same gradients with gradient checkpointing, dropout on, and leaks nothing', () => {
    const gradients = (gradientCheckpointing: boolean) => {
      const { value, grads } = tf.variableGrads(() => {
        const { logits } = forward(model.params, model.config, inputIds, attentionMask, {
          training: true,
          seed: 7,
          gradientCheckpointing,
        });
        return lossFn(model.config, logits, labels);
      });
      const values = new Map(Object.entries(grads).map(([name, g]) => [name, g.dataSync().slice()]));
      const loss = value.dataSync()[0]!;
      tf.dispose([value, ...Object.values(grads)]);
      return { loss, values };
    };
    const taped = gradients(false);
    const before = tf.memory().numTensors;
    const recomputed = gradients(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(recomputed.loss).toBe(taped.loss);
    expect([...recomputed.values.keys()].sort()).toEqual([...taped.values.keys()].sort());
    for (const [name, expected] of taped.values) {
      const actual = recomputed.values.get(name)!;
      expect(maxAbsDiff(actual, expected), name).toBeLessThanOrEqual(1e-6 * Math.max(1, l2(expected)));
    }
  });

  it('applies dropout only when training, reproducibly for a seed', () => {
    const run = (training: boolean, seed?: number) =>
      tf.tidy(() => {
        const opts = seed === undefined ? { training } : { training, seed };
        return forward(model.params, model.config, inputIds, attentionMask, opts).logits;
      });
    const evalA = run(false, 1);
    const evalB = run(false, 2);
    const trainA = run(true, 1);
    const trainA2 = run(true, 1);
    const trainB = run(true, 2);
    expect(maxAbsDiff(evalA.dataSync(), evalB.dataSync())).toBe(0);
    expect(maxAbsDiff(evalA.dataSync(), ref(fx, 'logits').data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(trainA.dataSync(), trainA2.dataSync())).toBe(0);
    expect(maxAbsDiff(trainA.dataSync(), trainB.dataSync())).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(trainA.dataSync(), evalA.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([evalA, evalB, trainA, trainA2, trainB]);
  });

  it('zeroes about the configured fraction of activations and rescales the rest', () => {
    const config = { ...model.config, classifierDropout: 0.5 };
    const first = tf.ones([64, model.config.dim]) as tf.Tensor2D;
    const noHead = { ...model.params };
    // An identity pre_classifier and a sum classifier expose the dropout mask in the logits.
    const identity = tf.variable(tf.eye(model.config.dim));
    const zeroBias = tf.variable(tf.zeros([model.config.dim]));
    noHead['pre_classifier.weight'] = identity;
    noHead['pre_classifier.bias'] = zeroBias;
    const sumWeight = tf.variable(tf.ones([1, model.config.dim]));
    const sumBias = tf.variable(tf.zeros([1]));
    noHead['classifier.weight'] = sumWeight;
    noHead['classifier.bias'] = sumBias;
    const out = classifierHead(noHead, { ...config, numLabels: 1 }, first, { training: true, seed: 11 });
    const mean = Array.from(out.dataSync()).reduce((a, b) => a + b, 0) / 64 / model.config.dim;
    expect(mean).toBeGreaterThan(0.85);
    expect(mean).toBeLessThan(1.15);
    tf.dispose([first, identity, zeroBias, sumWeight, sumBias, out]);
  });
});
