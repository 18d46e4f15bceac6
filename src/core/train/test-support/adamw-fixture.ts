// Three AdamW steps on a fixture's batch against the parameters Hugging Face computed, on the
// current backend with the given engine (the cpu test and the WebGPU test on Dawn share it).
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fixtureModelDir } from '../../../node/paths.ts';
import { directoryModelSource } from '../../../node/model-source.ts';
import { disposeParams, encode, pooledState, classifierHead, loadModel } from '../../model/index.ts';
import { readSafetensors } from '../../model/safetensors.ts';
import { AdamW, type AdamWEngineName } from '../adamw/index.ts';
import { namedGradients } from '../gradients.ts';
import { lossSum } from '../losses.ts';

export const ADAMW_FIXTURES = [
  'distilbert-tiny-seqcls',
  'distilbert-tiny-mlm-f16',
  'bert-tiny-seqcls',
  'bert-tiny-pretraining-f16',
  'roberta-tiny-seqcls',
  'xlm-roberta-tiny-mlm-f16',
] as const;

interface AdamWReference {
  problem_type: string;
  num_labels: number;
  adamw: {
    lr: number;
    betas: [number, number];
    eps: number;
    weight_decay: number;
    max_grad_norm: number;
    steps: number;
    grad_norm_before_clip: number[];
    loss_per_step: number[];
  };
  tolerances: { adamw_max_abs: number; adamw_k_lin_bias_max_abs: number };
}

/** Reads are asynchronous: the WebGPU backend reads synchronously only where an OffscreenCanvas exists. */
export async function reproduceAdamWFixture(
  fixture: (typeof ADAMW_FIXTURES)[number],
  engine: AdamWEngineName,
): Promise<void> {
  const dir = fixtureModelDir(fixture);
  const reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as AdamWReference;
  const tensors = new Map(
    readSafetensors(new Uint8Array(readFileSync(join(dir, 'reference.safetensors')))).map((t) => [t.name, t]),
  );
  const get = (name: string) => {
    const t = tensors.get(name);
    if (!t) throw new Error(`reference has no ${name}`);
    return t;
  };
  const multiLabel = reference.problem_type === 'multi_label_classification';
  const labels = Array.from({ length: reference.num_labels }, (_, i) => `LABEL_${i}`);
  const headless = [...tensors.keys()].some((name) => name.startsWith('head.'));
  const model = await loadModel(directoryModelSource(dir), {
    labels: headless ? labels : undefined,
    problemType: multiLabel ? 'multi_label_classification' : 'single_label_classification',
  });
  const { config, params } = model;
  // A checkpoint without a classifier: attach the head the reference used.
  for (const [key, head] of tensors) {
    if (!key.startsWith('head.')) continue;
    tf.tidy(() => params[key.slice('head.'.length)]!.assign(tf.tensor(head.data, head.shape, 'float32')));
  }
  const start = tf.memory().numTensors;
  const settings = reference.adamw;
  const trainable: Record<string, tf.Variable> = {};
  for (const [name, variable] of Object.entries(params)) if (variable.trainable) trainable[name] = variable;
  const optimizer = new AdamW(trainable, { engine });
  expect(optimizer.engineName).toBe(engine);
  const hyper = {
    lr: settings.lr,
    beta1: settings.betas[0],
    beta2: settings.betas[1],
    eps: settings.eps,
    weightDecay: settings.weight_decay,
    maxGradNorm: settings.max_grad_norm,
  };
  const ids = get('input_ids');
  const mask = get('attention_mask');
  const target = get('labels');
  const inputIds = tf.tensor2d(ids.data as Int32Array, ids.shape as [number, number], 'int32');
  const attentionMask = tf.tensor2d(mask.data as Int32Array, mask.shape as [number, number], 'int32');
  const labelTensor = multiLabel
    ? tf.tensor2d(target.data as Float32Array, target.shape as [number, number], 'float32')
    : tf.tensor1d(target.data as Int32Array, 'int32');
  const batch = ids.shape[0]!;
  const normalizer = multiLabel ? batch * reference.num_labels : batch;
  const lossSettings = { multiLabel, numLabels: reference.num_labels };

  for (let step = 0; step < settings.steps; step++) {
    const { value, grads } = namedGradients(() => {
      const hidden = encode(params, config, inputIds, attentionMask, { training: false });
      const logits = classifierHead(params, config, pooledState(config, hidden, attentionMask), {
        training: false,
      });
      return tf.div(lossSum(logits, labelTensor, lossSettings), normalizer) as tf.Scalar;
    }, trainable);
    const loss = (await value.data())[0]!;
    const norm = optimizer.step(grads, hyper);
    expect(Math.abs(loss - settings.loss_per_step[step]!)).toBeLessThan(1e-5);
    expect(Math.abs((await norm.data())[0]! - settings.grad_norm_before_clip[step]!)).toBeLessThan(
      1e-4 * settings.grad_norm_before_clip[step]!,
    );
    tf.dispose([value, norm, ...Object.values(grads)]);
  }

  // The attention key bias (k_lin / self.key) has a zero gradient in exact arithmetic, which AdamW's normalization
  // turns into steps of up to lr from float32 noise: it gets its own bound.
  let worst = 0;
  let worstName = '';
  let worstKeyBias = 0;
  let compared = 0;
  for (const [name, variable] of Object.entries(trainable)) {
    const expected = get(`adamw.${name}`).data;
    const got = await variable.data();
    expect(got.length).toBe(expected.length);
    const keyBias = name.endsWith('attention.k_lin.bias') || name.endsWith('attention.self.key.bias');
    for (let i = 0; i < got.length; i++) {
      const diff = Math.abs(got[i]! - expected[i]!);
      if (keyBias) worstKeyBias = Math.max(worstKeyBias, diff);
      else if (diff > worst) {
        worst = diff;
        worstName = name;
      }
    }
    compared++;
  }
  expect(compared).toBe([...tensors.keys()].filter((k) => k.startsWith('adamw.')).length);
  expect(worst, `worst ${worstName}`).toBeLessThan(reference.tolerances.adamw_max_abs);
  expect(worstKeyBias).toBeLessThan(reference.tolerances.adamw_k_lin_bias_max_abs);

  optimizer.dispose();
  tf.dispose([inputIds, attentionMask, labelTensor]);
  expect(tf.memory().numTensors).toBe(start - 0);
  disposeParams(params);
}
