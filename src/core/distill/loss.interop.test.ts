// The distillation loss and its gradient against PyTorch on fixed logits: the value and
// ∂loss/∂student-logits from torch autograd of
//   α·F.cross_entropy(s, y) + (1 − α)·T²·F.kl_div(F.log_softmax(s/T), F.softmax(t/T), reduction='batchmean')
// and, multi-label, α·BCE(s, y) + (1 − α)·T²·BCE(s/T, sigmoid(t/T)), computed in float64 in
// .venv-py by the test itself.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { requirePython, runPython } from '../../node/python.ts';
import type { LossSettings } from '../train/losses.ts';
import { distillationLoss, distillationNormalizers, type DistillationSettings } from './loss.ts';

requirePython();

const TORCH_REFERENCE = `
import json, sys
import torch
import torch.nn.functional as F
out = []
for case in json.load(sys.stdin):
    s = torch.tensor(case["student"], dtype=torch.float64, requires_grad=True)
    t = torch.tensor(case["teacher"], dtype=torch.float64)
    a, T = case["alpha"], case["temperature"]
    if case["multiLabel"]:
        y = torch.tensor(case["labels"], dtype=torch.float64)
        hard = F.binary_cross_entropy_with_logits(s, y)
        soft = F.binary_cross_entropy_with_logits(s / T, torch.sigmoid(t / T))
    else:
        y = torch.tensor(case["labels"], dtype=torch.long)
        w = torch.tensor(case["classWeights"], dtype=torch.float64) if case["classWeights"] else None
        hard = F.cross_entropy(s, y, weight=w, label_smoothing=case["labelSmoothing"])
        soft = F.kl_div(F.log_softmax(s / T, dim=-1), F.softmax(t / T, dim=-1), reduction="batchmean")
    loss = a * hard + (1 - a) * T ** 2 * soft
    loss.backward()
    out.append({"value": loss.item(), "grad": s.grad.flatten().tolist()})
print(json.dumps(out))
`;

// Fixed logits: five examples, four classes, with large and small margins and one disagreement.
const STUDENT = [
  [2.0, -1.0, 0.5, 0.1],
  [0.1, 0.2, 0.3, -0.4],
  [-1.5, 3.0, 0.0, 1.2],
  [1.0, 1.0, -2.0, 0.7],
  [-0.3, -2.2, 4.1, 0.9],
];
const TEACHER = [
  [3.1, -2.0, 0.2, -0.5],
  [-0.6, 1.4, 0.8, -1.1],
  [-2.0, 5.2, -0.3, 0.4],
  [0.2, 2.5, -3.1, 1.9],
  [0.8, -1.7, 2.2, 2.6],
];
const CLASS_IDS = [0, 1, 1, 3, 2];
const TARGETS = [
  [1, 0, 1, 0],
  [0, 0, 0, 0],
  [0, 1, 0, 1],
  [1, 1, 0, 0],
  [0, 0, 1, 1],
];

interface Case {
  name: string;
  multiLabel: boolean;
  alpha: number;
  temperature: number;
  classWeights?: number[];
  labelSmoothing?: number;
}

const CASES: Case[] = [
  { name: 'single-label, defaults (α 0.5, T 2)', multiLabel: false, alpha: 0.5, temperature: 2 },
  { name: 'single-label, α 0.1, T 4', multiLabel: false, alpha: 0.1, temperature: 4 },
  { name: 'single-label, teacher only (α 0), T 1', multiLabel: false, alpha: 0, temperature: 1 },
  { name: 'single-label, labels only (α 1)', multiLabel: false, alpha: 1, temperature: 3 },
  { name: 'single-label, T 0.5', multiLabel: false, alpha: 0.3, temperature: 0.5 },
  {
    name: 'single-label, class weights and label smoothing',
    multiLabel: false,
    alpha: 0.7,
    temperature: 2,
    classWeights: [0.5, 2, 1, 1.5],
    labelSmoothing: 0.1,
  },
  { name: 'multi-label, defaults (α 0.5, T 2)', multiLabel: true, alpha: 0.5, temperature: 2 },
  { name: 'multi-label, α 0.2, T 5', multiLabel: true, alpha: 0.2, temperature: 5 },
  { name: 'multi-label, teacher only (α 0), T 1', multiLabel: true, alpha: 0, temperature: 1 },
];

function lossSettings(c: Case): LossSettings {
  return {
    multiLabel: c.multiLabel,
    numLabels: 4,
    classWeights: c.classWeights ? Float32Array.from(c.classWeights) : null,
    labelSmoothing: c.labelSmoothing ?? 0,
  };
}

function cpuLabels(c: Case): Int32Array | Uint8Array {
  return c.multiLabel ? Uint8Array.from(TARGETS.flat()) : Int32Array.from(CLASS_IDS);
}

function labelTensor(c: Case): tf.Tensor {
  return c.multiLabel ? tf.tensor2d(TARGETS, undefined, 'float32') : tf.tensor1d(CLASS_IDS, 'int32');
}

/** Value and gradient over `rows` of the batch, micro-batch by micro-batch, as the trainer accumulates. */
function ours(c: Case, microBatches: number[][], onHost: boolean): { value: number; grad: Float32Array } {
  const settings = lossSettings(c);
  const distillation: DistillationSettings = { alpha: c.alpha, temperature: c.temperature };
  const normalizers = distillationNormalizers(cpuLabels(c), settings);
  const grad = new Float32Array(STUDENT.length * 4);
  let value = 0;
  for (const rows of microBatches) {
    const student = tf.tensor2d(rows.map((r) => STUDENT[r]!));
    const teacher = tf.tensor2d(rows.map((r) => TEACHER[r]!));
    const labels = tf.tidy(() => tf.gather(labelTensor(c), rows));
    const host = c.multiLabel
      ? Uint8Array.from(rows.flatMap((r) => TARGETS[r]!))
      : Int32Array.from(rows.map((r) => CLASS_IDS[r]!));
    const result = tf.valueAndGrad((s: tf.Tensor) =>
      distillationLoss(
        { student: s as tf.Tensor2D, teacher, labels, cpuLabels: host },
        settings,
        distillation,
        normalizers,
        onHost,
      ),
    )(student);
    value += result.value.dataSync()[0]!;
    const g = result.grad.dataSync();
    rows.forEach((r, i) => grad.set(g.subarray(i * 4, (i + 1) * 4), r * 4));
    tf.dispose([student, teacher, labels, result.value, result.grad]);
  }
  return { value, grad };
}

describe('distillation loss equals PyTorch', () => {
  let reference: { value: number; grad: number[] }[] = [];

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const input = CASES.map((c) => ({
      student: STUDENT,
      teacher: TEACHER,
      labels: c.multiLabel ? TARGETS : CLASS_IDS,
      multiLabel: c.multiLabel,
      alpha: c.alpha,
      temperature: c.temperature,
      classWeights: c.classWeights ?? null,
      labelSmoothing: c.labelSmoothing ?? 0,
    }));
    const run = await runPython(['-c', TORCH_REFERENCE], {
      timeoutMs: 120_000,
      input: JSON.stringify(input),
    });
    expect(run.code, run.stderr).toBe(0);
    reference = JSON.parse(run.stdout) as typeof reference;
    expect(reference).toHaveLength(CASES.length);
  });

  CASES.forEach((c, k) => {
    for (const [how, microBatches, onHost] of [
      ['one batch', [[0, 1, 2, 3, 4]], false],
      [
        'micro-batches 2 + 3',
        [
          [0, 3],
          [1, 2, 4],
        ],
        false,
      ],
      [
        'label loss on the host',
        [
          [4, 2],
          [0, 1, 3],
        ],
        true,
      ],
    ] as [string, number[][], boolean][]) {
      it(`${c.name}: value and gradient (${how})`, () => {
        const before = tf.memory().numTensors;
        const want = reference[k]!;
        const got = ours(c, microBatches, onHost);
        expect(Math.abs(got.value - want.value), `loss ${got.value} vs torch ${want.value}`).toBeLessThan(
          1e-5 * Math.max(1, Math.abs(want.value)),
        );
        expect(got.grad.length).toBe(want.grad.length);
        want.grad.forEach((g, i) => expect(Math.abs(got.grad[i]! - g), `∂/∂s[${i}]`).toBeLessThan(1e-6));
        // The gradient is not trivially zero, so agreement means something.
        expect(Math.max(...want.grad.map(Math.abs))).toBeGreaterThan(1e-3);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  });

  it('the soft term moves the student towards the teacher: α 0 and equal logits give a zero gradient', () => {
    const settings = lossSettings(CASES[0]!);
    const teacher = tf.tensor2d(TEACHER);
    const labels = labelTensor(CASES[0]!);
    const { grad } = tf.valueAndGrad((s: tf.Tensor) =>
      distillationLoss(
        { student: s as tf.Tensor2D, teacher, labels, cpuLabels: cpuLabels(CASES[0]!) },
        settings,
        { alpha: 0, temperature: 2 },
        distillationNormalizers(cpuLabels(CASES[0]!), settings),
      ),
    )(teacher);
    expect(Math.max(...Array.from(grad.dataSync(), Math.abs))).toBeLessThan(1e-7);
    tf.dispose([teacher, labels, grad]);
  });
});
