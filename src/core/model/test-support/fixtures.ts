// Test support (Node only): the tiny fixture checkpoints of every family and their Hugging Face
// reference tensors, as the parity tests use them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { fixtureModelDir, type FixtureModelName } from '../../../node/paths.ts';
import { directoryModelSource } from '../../../node/model-source.ts';
import { loadModel, type LoadedModel } from '../load.ts';
import { readSafetensors, type DecodedTensor } from '../safetensors.ts';
import type { ProblemType } from '../config.ts';

export type FixtureName = FixtureModelName;

export interface Fixture {
  name: FixtureName;
  /** config.json's model_type (DistilBERT's references predate the field). */
  modelType: string;
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

/** One F32 classifier and one F16 checkpoint without a classifier (odd sizes) per family. */
export const FIXTURES: FixtureName[] = [
  'distilbert-tiny-seqcls',
  'distilbert-tiny-mlm-f16',
  'bert-tiny-seqcls',
  'bert-tiny-pretraining-f16',
  'roberta-tiny-seqcls',
  'xlm-roberta-tiny-mlm-f16',
  'modernbert-tiny-seqcls',
  'modernbert-tiny-mlm-f16',
  'deberta-v3-tiny-seqcls',
  'deberta-v2-tiny-mlm-f16',
];

const cache = new Map<FixtureName, Fixture>();

export function fixture(name: FixtureName): Fixture {
  const cached = cache.get(name);
  if (cached) return cached;
  const dir = fixtureModelDir(name);
  const info = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as {
    model_type?: string;
    problem_type: ProblemType;
    num_labels: number;
    loss: number;
    tolerances: Fixture['tolerances'];
  };
  const tensors = readSafetensors(readFileSync(join(dir, 'reference.safetensors')), 'reference.safetensors');
  const result: Fixture = {
    name,
    modelType: info.model_type ?? 'distilbert',
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

/** Whether the checkpoint carries its classifier (else the reference's `head.*` tensors stand in). */
export function hasClassifier(fx: Fixture): boolean {
  return ![...fx.reference.keys()].some((name) => name.startsWith('head.'));
}

/**
 * Loads the fixture model as the reference used it: a classifier checkpoint as is; one without a
 * classifier with the reference's `head.*` tensors attached for its multi-label task.
 */
export async function loadFixtureModel(fx: Fixture): Promise<LoadedModel> {
  if (hasClassifier(fx)) return loadModel(directoryModelSource(fx.dir));
  const labels = Array.from({ length: fx.numLabels }, (_, i) => `label_${i}`);
  const model = await loadModel(directoryModelSource(fx.dir), { labels, problemType: fx.problemType });
  attachReferenceHead(fx, model.params);
  return model;
}

/** Assigns the reference's `head.*` tensors to the head parameters they name. */
export function attachReferenceHead(fx: Fixture, params: Record<string, tf.Variable>): void {
  for (const [key, head] of fx.reference) {
    if (!key.startsWith('head.')) continue;
    const name = key.slice('head.'.length);
    const variable = params[name];
    if (!variable) throw new Error(`${fx.name}: the model has no head parameter ${name}`);
    tf.tidy(() => variable.assign(tf.tensor(head.data, head.shape, 'float32')));
  }
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
