// Parity with Hugging Face transformers in the browser: the fixture checkpoints are loaded from
// the hub exactly as the studio loads them, and their outputs, loss and gradients are measured
// against the reference tensors Hugging Face computed. The page only measures; the spec judges
// against the fixture's tolerances.
import * as tf from '@tensorflow/tfjs-core';
import { forward, lossFn } from '../../../src/core/model/encoder.ts';
import { disposeParams, hubModelSource, loadModel, type LoadedModel } from '../../../src/core/model/index.ts';
import { readSafetensors, type DecodedTensor } from '../../../src/core/model/safetensors.ts';
import type { ProblemType } from '../../../src/core/model/config.ts';
import { ensureGradients } from '../../../src/core/train/gradients.ts';
import type { FixtureParity, GradError, HarnessBackend, ParityReport, RowError } from '../types.ts';
import { useBackend } from './backends.ts';

interface ReferenceInfo {
  problem_type: ProblemType;
  num_labels: number;
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    // NaN must count as a failure, and Math.max(NaN, x) keeps NaN.
    worst = Number.isNaN(d) ? NaN : Math.max(worst, d);
  }
  return worst;
}

function l2(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
  return Math.sqrt(sum);
}

function l2Diff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += (actual[i]! - expected[i]!) ** 2;
  return Math.sqrt(sum);
}

/**
 * The fixture as the reference used it: a classifier checkpoint as is; a checkpoint without a
 * classifier with the reference's `head.*` tensors attached for its task (each family's head names).
 */
export async function loadFixture(
  hubUrl: string,
  name: string,
  info: ReferenceInfo,
  reference: Map<string, DecodedTensor>,
): Promise<LoadedModel> {
  const source = hubModelSource(name, { hubUrl });
  const head = [...reference].filter(([key]) => key.startsWith('head.'));
  if (head.length === 0) return loadModel(source);
  const labels = Array.from({ length: info.num_labels }, (_, i) => `label_${i}`);
  const model = await loadModel(source, { labels, problemType: info.problem_type });
  for (const [key, t] of head) {
    const variable = model.params[key.slice('head.'.length)];
    if (!variable) throw new Error(`${name}: the model has no head parameter ${key.slice('head.'.length)}`);
    tf.tidy(() => variable.assign(tf.tensor(t.data, t.shape, 'float32')));
  }
  return model;
}

function tensorOf(t: DecodedTensor): tf.Tensor {
  return tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32');
}

async function checkFixture(hubUrl: string, name: string, kernels: Set<string>): Promise<FixtureParity> {
  const base = `${hubUrl}/${name}/resolve/main`;
  const info = (await (await fetchOk(`${base}/reference.json`)).json()) as ReferenceInfo;
  const bytes = new Uint8Array(await (await fetchOk(`${base}/reference.safetensors`)).arrayBuffer());
  const reference = new Map(readSafetensors(bytes, 'reference.safetensors').map((t) => [t.name, t]));
  const ref = (key: string): DecodedTensor => {
    const t = reference.get(key);
    if (!t) throw new Error(`${name}: reference tensor ${key} is missing`);
    return t;
  };

  const model = await loadFixture(hubUrl, name, info, reference);
  const inputIds = tensorOf(ref('input_ids')) as tf.Tensor2D;
  const attentionMask = tensorOf(ref('attention_mask')) as tf.Tensor2D;
  const labels = tensorOf(ref('labels'));
  try {
    const [batch, seqLength] = inputIds.shape;
    const L = model.config.numLabels;
    const D = model.config.dim;

    // Forward, every padding pattern of the batch.
    const out = forward(model.params, model.config, inputIds, attentionMask, { training: false });
    const hidden = (await out.lastHiddenState.data()) as Float32Array;
    const logits = (await out.logits.data()) as Float32Array;
    tf.dispose([out.lastHiddenState, out.logits]);
    const expectedHidden = ref('last_hidden_state').data;
    const expectedLogits = ref('logits').data;
    const ids = ref('input_ids').data;
    const mask = ref('attention_mask').data;
    const rows: RowError[] = [];
    for (let row = 0; row < batch; row++) {
      let tokens = 0;
      for (let t = 0; t < seqLength; t++) tokens += mask[row * seqLength + t]!;
      const span = seqLength * D;
      // The row alone, unpadded, must give the logits it has inside the padded batch.
      const single = tf.tensor2d(
        Array.from(ids.subarray(row * seqLength, row * seqLength + tokens)),
        [1, tokens],
        'int32',
      );
      const ones = tf.ones([1, tokens], 'int32') as tf.Tensor2D;
      const alone = forward(model.params, model.config, single, ones, { training: false });
      const aloneLogits = await alone.logits.data();
      tf.dispose([single, ones, alone.lastHiddenState, alone.logits]);
      rows.push({
        row,
        tokens,
        hiddenMaxAbs: maxAbsDiff(
          hidden.subarray(row * span, (row + 1) * span),
          expectedHidden.subarray(row * span, (row + 1) * span),
        ),
        logitsMaxAbs: maxAbsDiff(
          logits.subarray(row * L, (row + 1) * L),
          expectedLogits.subarray(row * L, (row + 1) * L),
        ),
        aloneLogitsMaxAbs: maxAbsDiff(aloneLogits, expectedLogits.subarray(row * L, (row + 1) * L)),
      });
    }

    // Loss and the gradient of every parameter, dropout off: taped, and with gradient
    // checkpointing (each block recomputed in the backward pass), as the studio trains.
    const names = Object.keys(model.params);
    const lossOf = (gradientCheckpointing = false) => {
      const { logits: z } = forward(model.params, model.config, inputIds, attentionMask, {
        training: false,
        gradientCheckpointing,
      });
      return lossFn(model.config, z, labels);
    };
    const gradientErrors = async (gradientCheckpointing: boolean) => {
      const { value, grads } = tf.variableGrads(() => lossOf(gradientCheckpointing));
      const loss = (await value.data())[0]!;
      const errors: GradError[] = [];
      const missing: string[] = [];
      for (const param of names) {
        const grad = grads[model.params[param]!.name];
        if (!grad) {
          missing.push(param);
          continue;
        }
        const actual = (await grad.data()) as Float32Array;
        const expected = ref(`grad.${param}`).data;
        let nonFinite = 0;
        for (const v of actual) if (!Number.isFinite(v)) nonFinite++;
        errors.push({
          name: param,
          referenceNorm: l2(expected),
          errorNorm: l2Diff(actual, expected),
          nonFinite,
        });
      }
      tf.dispose([value, ...Object.values(grads)]);
      return { loss, errors, missing };
    };
    const taped = await gradientErrors(false);
    const loss = taped.loss;
    const gradErrors = taped.errors;
    const missingGrads = taped.missing;
    const checkpointed = await gradientErrors(true);

    // Which kernels the backend ran for forward + backward (for the report).
    const profile = await tf.profile(() => {
      const g = tf.variableGrads(() => lossOf());
      tf.dispose([g.value, ...Object.values(g.grads)]);
    });
    for (const kernel of profile.kernels) kernels.add(kernel.name);

    // No tensor left behind by a forward pass, or by a training step that applies its gradients.
    const before = tf.memory().numTensors;
    const pass = forward(model.params, model.config, inputIds, attentionMask, { training: true, seed: 1 });
    await pass.logits.data();
    const forwardLive = tf.memory().numTensors - before;
    tf.dispose([pass.lastHiddenState, pass.logits]);
    const forwardLeak = tf.memory().numTensors - before;

    // The classifier's output layer: `classifier.weight`, or RoBERTa's `classifier.out_proj.weight`.
    const classifierName = names.filter((n) => n.startsWith('classifier') && n.endsWith('.weight')).at(-1)!;
    const classifierBefore = (await model.params[classifierName]!.data()).slice();
    const stepBefore = tf.memory().numTensors;
    const step = tf.variableGrads(() => {
      const { logits: z } = forward(model.params, model.config, inputIds, attentionMask, {
        training: true,
        seed: 3,
        gradientCheckpointing: true,
      });
      return lossFn(model.config, z, labels);
    });
    tf.tidy(() => {
      for (const variable of Object.values(model.params)) {
        const grad = step.grads[variable.name];
        if (grad) variable.assign(tf.sub(variable, tf.mul(grad, 1e-3)));
      }
    });
    tf.dispose([step.value, ...Object.values(step.grads)]);
    const trainingStep = tf.memory().numTensors - stepBefore;
    const classifierAfter = await model.params[classifierName]!.data();

    return {
      fixture: name,
      rows,
      seqLength,
      loss,
      missingGrads,
      checkpointed: {
        loss: checkpointed.loss,
        grads: checkpointed.errors,
        missingGrads: checkpointed.missing,
      },
      grads: gradErrors,
      referenceGradNames: [...reference.keys()].filter((k) => k.startsWith('grad.')).map((k) => k.slice(5)),
      leaks: {
        forward: forwardLeak,
        forwardLive,
        trainingStep,
        stepChangedWeights: maxAbsDiff(classifierAfter, classifierBefore) > 0,
      },
      loadMessage: model.report.message,
    };
  } finally {
    tf.dispose([inputIds, attentionMask, labels]);
    disposeParams(model.params);
  }
}

export async function runParity(options: {
  hubUrl: string;
  backend: HarnessBackend;
  fixtures: string[];
}): Promise<ParityReport> {
  const started = performance.now();
  const backend = await useBackend(options.backend);
  await ensureGradients();
  const kernels = new Set<string>();
  const fixtures: FixtureParity[] = [];
  for (const name of options.fixtures) fixtures.push(await checkFixture(options.hubUrl, name, kernels));
  return { backend, fixtures, kernels: [...kernels].sort(), seconds: (performance.now() - started) / 1000 };
}
