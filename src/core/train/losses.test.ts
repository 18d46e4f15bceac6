import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  classWeightsFor,
  hostMeanLoss,
  lossNormalizer,
  lossSum,
  meanLoss,
  posWeightsFor,
  type LossSettings,
} from './losses.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const logits = [
  [2.0, -1.0, 0.5],
  [0.1, 0.2, 0.3],
  [-1.5, 3.0, 0.0],
  [1.0, 1.0, -2.0],
];

function logSoftmax(row: number[]): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
  return row.map((x) => x - lse);
}

/** torch.nn.functional.cross_entropy(weight=w, label_smoothing=eps), written out. */
function torchCrossEntropy(rows: number[][], y: number[], w: number[] | null, eps: number): number {
  let nll = 0;
  let smooth = 0;
  let denom = 0;
  rows.forEach((row, i) => {
    const lp = logSoftmax(row);
    const wy = w ? w[y[i]!]! : 1;
    nll -= wy * lp[y[i]!]!;
    smooth -= lp.reduce((s, x, c) => s + (w ? w[c]! : 1) * x, 0);
    denom += wy;
  });
  return (1 - eps) * (nll / denom) + (eps / rows[0]!.length) * (smooth / denom);
}

function scalar(t: tf.Scalar): number {
  const value = t.dataSync()[0]!;
  t.dispose();
  return value;
}

describe('cross-entropy', () => {
  const y = Int32Array.from([0, 2, 1, 1]);
  const cases: [string, number[] | null, number][] = [
    ['plain', null, 0],
    ['class weights', [0.5, 2, 1], 0],
    ['label smoothing', null, 0.1],
    ['weights and smoothing', [0.5, 2, 1], 0.2],
  ];
  for (const [name, w, eps] of cases) {
    it(`matches torch (${name})`, () => {
      const settings = {
        multiLabel: false,
        numLabels: 3,
        classWeights: w ? Float32Array.from(w) : null,
        labelSmoothing: eps,
      };
      const got = tf.tidy(() => scalar(meanLoss(tf.tensor2d(logits), tf.tensor1d(y, 'int32'), y, settings)));
      expect(got).toBeCloseTo(torchCrossEntropy(logits, Array.from(y), w, eps), 5);
    });
  }

  it('accumulates micro-batches into exactly the full-batch mean', () => {
    const settings = { multiLabel: false, numLabels: 3, classWeights: Float32Array.from([0.5, 2, 1]) };
    const normalizer = lossNormalizer(y, settings);
    expect(normalizer).toBe(0.5 + 1 + 2 + 2);
    const parts = tf.tidy(() =>
      [
        [0, 2],
        [2, 4],
      ].reduce(
        (sum, [a, b]) =>
          sum +
          scalar(lossSum(tf.tensor2d(logits.slice(a, b)), tf.tensor1d(y.slice(a, b), 'int32'), settings)) /
            normalizer,
        0,
      ),
    );
    expect(parts).toBeCloseTo(torchCrossEntropy(logits, Array.from(y), [0.5, 2, 1], 0), 5);
  });
});

describe('BCE with logits', () => {
  const targets = [
    [1, 0, 1],
    [0, 0, 0],
    [0, 1, 0],
    [1, 1, 0],
  ];
  const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
  function torchBce(pw: number[] | null, eps: number): number {
    let total = 0;
    logits.forEach((row, i) =>
      row.forEach((x, j) => {
        const t = targets[i]![j]! * (1 - eps) + eps / 2;
        const p = pw ? pw[j]! : 1;
        total -= p * t * Math.log(sigmoid(x)) + (1 - t) * Math.log(1 - sigmoid(x));
      }),
    );
    return total / (logits.length * 3);
  }
  const flat = Uint8Array.from(targets.flat());
  for (const [name, pw, eps] of [
    ['plain', null, 0],
    ['pos_weight', [3, 0.5, 1], 0],
    ['smoothing', null, 0.1],
  ] as [string, number[] | null, number][]) {
    it(`matches torch (${name})`, () => {
      const settings = {
        multiLabel: true,
        numLabels: 3,
        posWeights: pw ? Float32Array.from(pw) : null,
        labelSmoothing: eps,
      };
      const got = tf.tidy(() => scalar(meanLoss(tf.tensor2d(logits), tf.tensor2d(targets), flat, settings)));
      expect(got).toBeCloseTo(torchBce(pw, eps), 5);
    });
  }
});

describe('class weights', () => {
  it("computes scikit-learn's balanced weights", () => {
    const w = classWeightsFor('balanced', Int32Array.from([0, 0, 0, 1, 2, 2]), ['a', 'b', 'c', 'd'])!;
    // n / (present classes · count): 6/(3·3), 6/(3·1), 6/(3·2); d never occurs → 1.
    expect(Array.from(w)).toEqual([6 / 9, 2, 1, 1].map(Math.fround));
  });

  it('takes weights by label name and refuses unknown names', () => {
    expect(Array.from(classWeightsFor({ b: 3 }, Int32Array.from([0]), ['a', 'b'])!)).toEqual([1, 3]);
    expect(() => classWeightsFor({ z: 3 }, Int32Array.from([0]), ['a', 'b'])).toThrow(/z/);
    expect(() => classWeightsFor({ a: -1 }, Int32Array.from([0]), ['a', 'b'])).toThrow(/non-negative/);
    expect(classWeightsFor('none', Int32Array.from([0]), ['a'])).toBeNull();
  });

  it('computes negatives/positives per label for BCE', () => {
    const w = posWeightsFor('balanced', Uint8Array.from([1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]), [
      'x',
      'y',
      'z',
    ])!;
    // 4 rows: x has 2 positives (2/2), y has 1 (3/1), z none (1).
    expect(Array.from(w)).toEqual([1, 3, 1]);
  });
});

describe('hostMeanLoss', () => {
  const y = Int32Array.from([0, 2, 1, 1]);
  const targets = Uint8Array.from([1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0]);
  const cases: [string, LossSettings, Int32Array | Uint8Array][] = [
    ['cross-entropy', { multiLabel: false, numLabels: 3 }, y],
    [
      'cross-entropy, class weights',
      { multiLabel: false, numLabels: 3, classWeights: Float32Array.from([0.5, 2, 1]) },
      y,
    ],
    ['cross-entropy, smoothing', { multiLabel: false, numLabels: 3, labelSmoothing: 0.1 }, y],
    [
      'cross-entropy, weights and smoothing',
      { multiLabel: false, numLabels: 3, classWeights: Float32Array.from([0.5, 2, 1]), labelSmoothing: 0.2 },
      y,
    ],
    ['BCE', { multiLabel: true, numLabels: 3 }, targets],
    [
      'BCE, pos_weight',
      { multiLabel: true, numLabels: 3, posWeights: Float32Array.from([3, 0.5, 1]) },
      targets,
    ],
    ['BCE, smoothing', { multiLabel: true, numLabels: 3, labelSmoothing: 0.1 }, targets],
  ];
  for (const [name, settings, labels] of cases) {
    it(`has the value and gradient of lossSum / normalizer (${name})`, () => {
      const before = tf.memory().numTensors;
      const x = tf.tensor2d(logits.map((row) => row.map((v) => v * 3)));
      const labelTensor = settings.multiLabel
        ? tf.tensor2d(Float32Array.from(labels), [4, 3])
        : tf.tensor1d(labels as Int32Array, 'int32');
      const normalizer = lossNormalizer(labels, settings);
      const reference = tf.valueAndGrad((z: tf.Tensor) =>
        tf.div(lossSum(z as tf.Tensor2D, labelTensor, settings), normalizer),
      )(x);
      const host = tf.valueAndGrad((z: tf.Tensor) =>
        hostMeanLoss(z as tf.Tensor2D, labels, settings, normalizer),
      )(x);
      expect(host.value.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0]!, 6);
      const want = reference.grad.dataSync();
      const got = host.grad.dataSync();
      expect(got.length).toBe(want.length);
      want.forEach((g, i) => expect(Math.abs(got[i]! - g), `∂/∂x[${i}]`).toBeLessThan(1e-6));
      expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(1e-3);
      tf.dispose([x, labelTensor, reference.value, reference.grad, host.value, host.grad]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
