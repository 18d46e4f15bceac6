// Test support (Node only): the two tiny fixture checkpoints and their Hugging Face reference
// tensors, as the parity tests use them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { fixtureModelDir } from '../../../node/paths.ts';
import { directoryModelSource } from '../../../node/model-source.ts';
import { loadModel, type LoadedModel } from '../index.ts';
import { readSafetensors, type DecodedTensor } from '../safetensors.ts';
import type { ProblemType } from '../config.ts';

export type FixtureName = 'distilbert-tiny-seqcls' | 'distilbert-tiny-mlm-f16';

export interface Fixture {
  name: FixtureName;
  dir: string;
  problemType: ProblemType;
  numLabels: number;
  /** Reference tensors by name: inputs, outputs, grad.*, head.*, adamw.*. */
  reference: Map<string, DecodedTensor>;
  tolerances: {
    logits_max_abs: number;
    last_hidden_state_max_abs: number;
    grad_rel_l2: number;
    'grad_abs_when_norm_below_1e-6': number;
  };
  loss: number;
}

export const FIXTURES: FixtureName[] = ['distilbert-tiny-seqcls', 'distilbert-tiny-mlm-f16'];

const cache = new Map<FixtureName, Fixture>();

export function fixture(name: FixtureName): Fixture {
  const cached = cache.get(name);
  if (cached) return cached;
  const dir = fixtureModelDir(name);
  const info = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as {
    problem_type: ProblemType;
    num_labels: number;
    loss: number;
    tolerances: Fixture['tolerances'];
  };
  const tensors = readSafetensors(readFileSync(join(dir, 'reference.safetensors')), 'reference.safetensors');
  const result: Fixture = {
    name,
    dir,
    problemType: info.problem_type,
    numLabels: info.num_labels,
    reference: new Map(tensors.map((t) => [t.name, t])),
    tolerances: info.tolerances,
    loss: info.loss,
  };
  cache.set(name, result);
  return result;
}

export function ref(fx: Fixture, name: string): DecodedTensor {
  const tensor = fx.reference.get(name);
  if (!tensor) throw new Error(`${fx.name}: reference tensor ${name} is missing`);
  return tensor;
}

export function refTensor(fx: Fixture, name: string): tf.Tensor {
  const t = ref(fx, name);
  return tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32');
}

/**
 * Loads the fixture model as the reference used it: the seqcls checkpoint as is; the MLM
 * checkpoint with the reference's `head.*` tensors attached for its multi-label task.
 */
export async function loadFixtureModel(fx: Fixture): Promise<LoadedModel> {
  if (fx.name === 'distilbert-tiny-seqcls') return loadModel(directoryModelSource(fx.dir));
  const labels = Array.from({ length: fx.numLabels }, (_, i) => `label_${i}`);
  const model = await loadModel(directoryModelSource(fx.dir), { labels, problemType: fx.problemType });
  for (const name of [
    'pre_classifier.weight',
    'pre_classifier.bias',
    'classifier.weight',
    'classifier.bias',
  ]) {
    const head = ref(fx, `head.${name}`);
    tf.tidy(() => model.params[name]!.assign(tf.tensor(head.data, head.shape, 'float32')));
  }
  return model;
}

export function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  return worst;
}

export function l2(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum);
}

export function l2Diff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += (actual[i]! - expected[i]!) ** 2;
  return Math.sqrt(sum);
}
