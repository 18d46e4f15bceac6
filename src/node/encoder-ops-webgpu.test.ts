// The fused encoder kernels on WebGPU (Dawn in Node, SwiftShader where no GPU exists): each op's
// output and every gradient against the composed ops on the cpu backend (LayerNorm, bias + GELU,
// the masked attention softmax, the attention's products over heads, word + position embeddings
// with repeated and padded ids), dropout's mask against its hash computed here, no leaks, the
// dispatches each saves; and the fixture checkpoints' forward, loss and every
// parameter's gradient on WebGPU against transformers' reference, as distilbert.test.ts checks
// them on cpu and wasm.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countGpuWork, type CountableDevice } from '../core/backend/gpu-counter.ts';
import type { WebGpuBackend } from '../core/backend/webgpu-backend.ts';
import { fusedAttentionSoftmaxAvailable } from '../core/model/attention-softmax-webgpu.ts';
import { fusedBiasGeluAvailable } from '../core/model/bias-gelu-webgpu.ts';
import { forward, lossFn } from '../core/model/encoder.ts';
import { fusedEmbeddingsAvailable } from '../core/model/embeddings-webgpu.ts';
import {
  attentionContext,
  attentionSoftmax,
  biasGelu,
  dropoutKey,
  dropoutOp,
  layerNormRows,
  wordAndPositionEmbeddings,
} from '../core/model/encoder-ops.ts';
import { headProductsAvailable } from '../core/model/attention-products-webgpu.ts';
import { dropoutBits, dropThreshold, fusedDropoutAvailable } from '../core/model/dropout-webgpu.ts';
import { disposeParams, type LoadedModel } from '../core/model/index.ts';
import { fusedLayerNormAvailable } from '../core/model/layer-norm-webgpu.ts';
import {
  FIXTURES,
  fixture,
  l2,
  l2Diff,
  loadFixtureModel,
  maxAbsDiff as maxAbsDiffOf,
  ref,
  refTensor,
  type Fixture,
} from '../core/model/test-support/fixtures.ts';
import { createRng } from '../core/util/random.ts';
import { initNodeBackend } from './backend.ts';
import { registerNodeGradients } from './gradients.ts';

function values(seed: string, count: number, scale: number, offset = 0): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => offset + (rng.next() * 2 - 1) * scale);
}

const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

/** An op's output and its gradients with respect to `inputs` under the cotangent `dy`, read back. */
async function valueAndGrads(
  op: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: () => tf.Tensor[],
  dySeed: string,
): Promise<number[][]> {
  const xs = inputs();
  const y = op(...xs);
  const dy = tf.tensor(values(dySeed, y.size, 1), y.shape);
  const grads = tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(op(...args), dy)))(xs);
  const out = await Promise.all([y, ...grads].map(async (t) => Array.from(await t.data())));
  tf.dispose([...xs, y, dy, ...grads]);
  return out;
}

/** The same computation on webgpu (fused) and on cpu (composed), leak-free on webgpu. */
async function onBothBackends(run: () => Promise<number[][]>): Promise<{ gpu: number[][]; cpu: number[][] }> {
  const before = tf.memory().numTensors;
  const gpu = await run();
  expect(tf.memory().numTensors, 'tensors left on webgpu').toBe(before);
  await tf.setBackend('cpu');
  try {
    return { gpu, cpu: await run() };
  } finally {
    await tf.setBackend('webgpu');
  }
}

/** Dispatches `run` encodes on the current WebGPU device, its inputs uploaded beforehand. */
async function dispatchesOf(inputs: tf.Tensor[], run: () => tf.Tensor | tf.Tensor[]): Promise<number> {
  await Promise.all(inputs.map((t) => t.data()));
  // Start from a fresh command encoder, which the counter sees being made.
  const backend = tf.backend() as unknown as WebGpuBackend;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  const device = backend.device as unknown as CountableDevice;
  const counter = countGpuWork(device);
  const out = run();
  counter.restore();
  tf.dispose([...inputs, out]);
  return counter.counts().dispatches;
}

describe('fused encoder kernels on WebGPU', () => {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    const choice = await initNodeBackend('webgpu');
    expect(choice.name, 'WebGPU (Dawn) must start here').toBe('webgpu');
    await registerNodeGradients();
  });
  afterAll(async () => {
    await tf.setBackend(previous || 'cpu');
  });

  describe('LayerNorm', () => {
    for (const [rows, dim] of [
      [7, 768],
      [3, 300],
      [1, 32],
    ] as const) {
      it(`matches the composed ops on the cpu backend, output and every gradient ([${rows}, ${dim}])`, async () => {
        expect(fusedLayerNormAvailable()).toBe(true);
        const { gpu, cpu } = await onBothBackends(() =>
          valueAndGrads(
            (x, g, b) => layerNormRows(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12),
            () => [
              tf.tensor2d(values('x', rows * dim, 3, 0.5), [rows, dim]),
              tf.tensor1d(values('gamma', dim, 0.5, 1)),
              tf.tensor1d(values('beta', dim, 0.2)),
            ],
            'dy',
          ),
        );
        const [tolerance] = [1e-5];
        expect(maxAbsDiff(gpu[0]!, cpu[0]!)).toBeLessThan(tolerance);
        expect(maxAbsDiff(gpu[1]!, cpu[1]!)).toBeLessThan(tolerance);
        expect(maxAbsDiff(gpu[2]!, cpu[2]!)).toBeLessThan(1e-4);
        expect(maxAbsDiff(gpu[3]!, cpu[3]!)).toBeLessThan(1e-4);
        // Not a degenerate case: the gradients carry signal.
        expect(Math.max(...gpu[1]!.map(Math.abs))).toBeGreaterThan(1e-3);
      });
    }

    it('folds a residual in, LN(x + r): output and the x, r, γ and β gradients as the composed Add and LayerNorm', async () => {
      const [rows, dim] = [5, 96];
      const { gpu, cpu } = await onBothBackends(() =>
        valueAndGrads(
          (x, r, g, b) =>
            layerNormRows(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12, r as tf.Tensor2D),
          () => [
            tf.tensor2d(values('x', rows * dim, 3, 0.5), [rows, dim]),
            tf.tensor2d(values('r', rows * dim, 2), [rows, dim]),
            tf.tensor1d(values('gamma', dim, 0.5, 1)),
            tf.tensor1d(values('beta', dim, 0.2)),
          ],
          'dy',
        ),
      );
      for (const [i, what] of ['y', 'dx', 'dr', 'dγ', 'dβ'].entries()) {
        expect(maxAbsDiff(gpu[i]!, cpu[i]!), what).toBeLessThan(1e-4);
      }
      expect(gpu[2]).toEqual(gpu[1]);
      expect(Math.max(...gpu[1]!.map(Math.abs))).toBeGreaterThan(1e-3);
      const [x, r, gamma, beta] = [
        tf.tensor2d(values('x', 4 * 64, 1), [4, 64]),
        tf.tensor2d(values('r', 4 * 64, 1), [4, 64]),
        tf.ones([64]) as tf.Tensor1D,
        tf.zeros([64]) as tf.Tensor1D,
      ];
      expect(await dispatchesOf([x, r], () => layerNormRows(x, gamma, beta, 1e-12, r))).toBe(1);
      const [x2, r2] = [
        tf.tensor2d(values('x', 4 * 64, 1), [4, 64]),
        tf.tensor2d(values('r', 4 * 64, 1), [4, 64]),
      ];
      const gradients = tf.grads((a, b) =>
        layerNormRows(a as tf.Tensor2D, gamma, beta, 1e-12, b as tf.Tensor2D),
      );
      expect(await dispatchesOf([x2, r2], () => gradients([x2, r2]))).toBe(1 + 2);
      tf.dispose([gamma, beta]);
    });

    it('folds the dropout before the residual in too, with the mask the dropout kernel draws for that seed', async () => {
      const [rows, dim] = [6, 80];
      const dropout = { rate: 0.25, seed: '5/layer1/ffn' };
      const inputs = () => [
        tf.tensor2d(values('x', rows * dim, 3, 0.5), [rows, dim]),
        tf.tensor2d(values('r', rows * dim, 2), [rows, dim]),
        tf.tensor1d(values('gamma', dim, 0.5, 1)),
        tf.tensor1d(values('beta', dim, 0.2)),
      ];
      const folded = await valueAndGrads(
        (x, r, g, b) =>
          layerNormRows(
            x as tf.Tensor2D,
            g as tf.Tensor1D,
            b as tf.Tensor1D,
            1e-12,
            r as tf.Tensor2D,
            dropout,
          ),
        inputs,
        'dy',
      );
      const apart = await valueAndGrads(
        (x, r, g, b) =>
          layerNormRows(
            dropoutOp(x as tf.Tensor2D, dropout.rate, dropout.seed),
            g as tf.Tensor1D,
            b as tf.Tensor1D,
            1e-12,
            r as tf.Tensor2D,
          ),
        inputs,
        'dy',
      );
      for (const [i, what] of ['y', 'dx', 'dr', 'dγ', 'dβ'].entries()) {
        expect(maxAbsDiff(folded[i]!, apart[i]!), what).toBeLessThan(1e-5);
      }
      // About a quarter of x's gradient is dropped; r's never is.
      const zeros = folded[1]!.filter((v) => v === 0).length / (rows * dim);
      expect(zeros).toBeGreaterThan(0.15);
      expect(zeros).toBeLessThan(0.35);
      expect(folded[2]!.some((v) => v === 0)).toBe(false);
      const [x, r, gamma, beta] = inputs() as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
      expect(await dispatchesOf([x, r], () => layerNormRows(x, gamma, beta, 1e-12, r, dropout))).toBe(1);
      tf.dispose([gamma, beta]);
    });

    it('runs the forward in one dispatch and the gradient in two', async () => {
      const x = tf.tensor2d(values('x', 4 * 64, 1), [4, 64]);
      const gamma = tf.ones([64]) as tf.Tensor1D;
      const beta = tf.zeros([64]) as tf.Tensor1D;
      expect(await dispatchesOf([x, gamma, beta], () => layerNormRows(x, gamma, beta, 1e-12))).toBe(1);
      const x2 = tf.tensor2d(values('x', 4 * 64, 1), [4, 64]);
      const g2 = tf.ones([64]) as tf.Tensor1D;
      const b2 = tf.zeros([64]) as tf.Tensor1D;
      const [value, gradients] = [
        () => layerNormRows(x2, g2, b2, 1e-12),
        tf.grads((a, g, b) => layerNormRows(a as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12)),
      ];
      expect(await dispatchesOf([], value)).toBe(1);
      expect(await dispatchesOf([x2, g2, b2], () => gradients([x2, g2, b2]))).toBe(1 + 2);
    });
  });

  describe('bias + GELU', () => {
    for (const [rows, columns] of [
      [9, 3072],
      [5, 37],
    ] as const) {
      it(`matches gelu(h + b) composed on the cpu backend, output, dh and db ([${rows}, ${columns}])`, async () => {
        expect(fusedBiasGeluAvailable()).toBe(true);
        const { gpu, cpu } = await onBothBackends(() =>
          valueAndGrads(
            (h, b) => biasGelu(h as tf.Tensor2D, b as tf.Tensor1D),
            () => [
              tf.tensor2d(values('h', rows * columns, 4), [rows, columns]),
              tf.tensor1d(values('b', columns, 1)),
            ],
            'dy',
          ),
        );
        expect(maxAbsDiff(gpu[0]!, cpu[0]!)).toBeLessThan(2e-6 * 4);
        expect(maxAbsDiff(gpu[1]!, cpu[1]!)).toBeLessThan(1e-5);
        expect(maxAbsDiff(gpu[2]!, cpu[2]!)).toBeLessThan(1e-5 * rows);
        expect(Math.max(...gpu[2]!.map(Math.abs))).toBeGreaterThan(1e-2);
      });
    }

    it('runs the forward in one dispatch and both gradients in one', async () => {
      const h = tf.tensor2d(values('h', 8 * 40, 2), [8, 40]);
      const b = tf.tensor1d(values('b', 40, 1));
      expect(await dispatchesOf([h, b], () => biasGelu(h, b))).toBe(1);
      const h2 = tf.tensor2d(values('h', 8 * 40, 2), [8, 40]);
      const b2 = tf.tensor1d(values('b', 40, 1));
      const gradients = tf.grads((x, y) => biasGelu(x as tf.Tensor2D, y as tf.Tensor1D));
      expect(await dispatchesOf([h2, b2], () => gradients([h2, b2]))).toBe(1 + 1);
    });
  });

  describe('attention softmax', () => {
    const [batch, heads, seqLength] = [3, 2, 70];
    // Row 0 unpadded, row 1 padded at the end, row 2 fully padded (uniform weights, as transformers).
    const lengths = [seqLength, 23, 0];
    const mask = (dtype: 'int32' | 'float32') =>
      tf.tensor2d(
        lengths.flatMap((length) => Array.from({ length: seqLength }, (_, t) => (t < length ? 1 : 0))),
        [batch, seqLength],
        dtype,
      );

    for (const dtype of ['int32', 'float32'] as const) {
      it(`matches the composed mask, scale and softmax on the cpu backend, weights and gradient (${dtype} mask)`, async () => {
        expect(fusedAttentionSoftmaxAvailable()).toBe(true);
        const scale = 1 / Math.sqrt(32);
        const run = async () => {
          const m = mask(dtype);
          const out = await valueAndGrads(
            (s) => attentionSoftmax(s as tf.Tensor4D, m, scale),
            () => [
              tf.tensor4d(values('s', batch * heads * seqLength * seqLength, 8), [
                batch,
                heads,
                seqLength,
                seqLength,
              ]),
            ],
            'dy',
          );
          m.dispose();
          return out;
        };
        const { gpu, cpu } = await onBothBackends(run);
        expect(maxAbsDiff(gpu[0]!, cpu[0]!)).toBeLessThan(1e-6);
        expect(maxAbsDiff(gpu[1]!, cpu[1]!)).toBeLessThan(1e-6);
        // Padded keys get no weight; a fully padded row spreads its weight evenly.
        const weightAt = (b: number, t: number) =>
          gpu[0]![((b * heads + 1) * seqLength + 5) * seqLength + t]!;
        expect(weightAt(1, 40)).toBe(0);
        expect(weightAt(2, 40)).toBeCloseTo(1 / seqLength, 6);
        expect(Math.max(...gpu[1]!.map(Math.abs))).toBeGreaterThan(1e-3);
      });
    }

    it('runs in one dispatch forward and one backward', async () => {
      const s = tf.tensor4d(values('s', 2 * 2 * 8 * 8, 1), [2, 2, 8, 8]);
      const m = tf.ones([2, 8], 'int32') as tf.Tensor2D;
      expect(await dispatchesOf([s], () => attentionSoftmax(s, m, 0.5))).toBe(1);
      const s2 = tf.tensor4d(values('s', 2 * 2 * 8 * 8, 1), [2, 2, 8, 8]);
      const gradients = tf.grads((x) => attentionSoftmax(x as tf.Tensor4D, m, 0.5));
      expect(await dispatchesOf([s2], () => gradients([s2]))).toBe(1 + 1);
      m.dispose();
    });
  });

  describe('word + position embeddings', () => {
    it('matches the gather, slice and add on the cpu backend, output and both tables’ gradients', async () => {
      expect(fusedEmbeddingsAvailable()).toBe(true);
      const [vocab, positions, dim] = [50, 20, 24];
      // Repeated ids within and across rows, padding (0) at the ends, the last id of the table.
      const ids = [
        [1, 7, 7, 3, 49, 0, 0],
        [7, 2, 1, 1, 0, 0, 0],
        [5, 49, 7, 8, 9, 10, 2],
      ];
      const run = async () => {
        const idTensor = tf.tensor2d(ids, [3, 7], 'int32');
        const out = await valueAndGrads(
          (w, p) => wordAndPositionEmbeddings(w as tf.Tensor2D, p as tf.Tensor2D, idTensor),
          () => [
            tf.tensor2d(values('w', vocab * dim, 1), [vocab, dim]),
            tf.tensor2d(values('p', positions * dim, 1), [positions, dim]),
          ],
          'dy',
        );
        idTensor.dispose();
        return out;
      };
      const { gpu, cpu } = await onBothBackends(run);
      expect(maxAbsDiff(gpu[0]!, cpu[0]!)).toBe(0);
      expect(maxAbsDiff(gpu[1]!, cpu[1]!)).toBeLessThan(1e-6);
      expect(maxAbsDiff(gpu[2]!, cpu[2]!)).toBeLessThan(1e-6);
      // id 7 appears four times: its row sums four rows of dy; an unused id's row stays zero.
      expect(Math.max(...gpu[1]!.slice(7 * dim, 8 * dim).map(Math.abs))).toBeGreaterThan(1e-2);
      expect(gpu[1]!.slice(30 * dim, 31 * dim).every((v) => v === 0)).toBe(true);
      expect(gpu[2]!.slice(7 * dim).every((v) => v === 0)).toBe(true);
    });

    it('with the words in row chunks (a table over the binding limit), equals the whole table on the cpu backend', async () => {
      const [vocab, positions, dim] = [50, 20, 24];
      const ids = [
        [1, 7, 7, 3, 49, 0, 0],
        [7, 2, 1, 1, 0, 0, 0],
        [5, 49, 16, 17, 33, 34, 2],
      ];
      const table = values('w', vocab * dim, 1);
      // Rows [0, 17), [17, 34), [34, 50): ids 16/17 and 33/34 sit on the boundaries.
      const bounds = [0, 17, 34, vocab];
      const gpuIds = tf.tensor2d(ids, [3, 7], 'int32');
      const gpu = await valueAndGrads(
        (w0, w1, w2, p) => wordAndPositionEmbeddings([w0, w1, w2] as tf.Tensor2D[], p as tf.Tensor2D, gpuIds),
        () => [
          ...bounds
            .slice(0, -1)
            .map((start, i) =>
              tf.tensor2d(table.slice(start * dim, bounds[i + 1]! * dim), [bounds[i + 1]! - start, dim]),
            ),
          tf.tensor2d(values('p', positions * dim, 1), [positions, dim]),
        ],
        'dy',
      );
      gpuIds.dispose();
      await tf.setBackend('cpu');
      try {
        const cpuIds = tf.tensor2d(ids, [3, 7], 'int32');
        const cpu = await valueAndGrads(
          (w, p) => wordAndPositionEmbeddings(w as tf.Tensor2D, p as tf.Tensor2D, cpuIds),
          () => [
            tf.tensor2d(table, [vocab, dim]),
            tf.tensor2d(values('p', positions * dim, 1), [positions, dim]),
          ],
          'dy',
        );
        cpuIds.dispose();
        expect(maxAbsDiff(gpu[0]!, cpu[0]!)).toBeLessThan(1e-6);
        expect(maxAbsDiff([...gpu[1]!, ...gpu[2]!, ...gpu[3]!], cpu[1]!)).toBeLessThan(1e-6);
        expect(maxAbsDiff(gpu[4]!, cpu[2]!)).toBeLessThan(1e-6);
        // Each chunk's rows the ids name have gradients.
        for (const chunk of [gpu[1]!, gpu[2]!, gpu[3]!])
          expect(Math.max(...chunk.map(Math.abs))).toBeGreaterThan(1e-2);
      } finally {
        await tf.setBackend('webgpu');
      }
    });

    it('runs in one dispatch forward and two for both gradients', async () => {
      const w = tf.tensor2d(values('w', 30 * 8, 1), [30, 8]);
      const p = tf.tensor2d(values('p', 10 * 8, 1), [10, 8]);
      const ids = tf.tensor2d([[1, 2, 2, 0]], [1, 4], 'int32');
      expect(await dispatchesOf([w, p], () => wordAndPositionEmbeddings(w, p, ids))).toBe(1);
      const w2 = tf.tensor2d(values('w', 30 * 8, 1), [30, 8]);
      const p2 = tf.tensor2d(values('p', 10 * 8, 1), [10, 8]);
      const gradients = tf.grads((a, b) =>
        wordAndPositionEmbeddings(a as tf.Tensor2D, b as tf.Tensor2D, ids),
      );
      expect(await dispatchesOf([w2, p2], () => gradients([w2, p2]))).toBe(1 + 2);
      ids.dispose();
    });
  });

  describe("attention's products over heads", () => {
    // 3 sequences of 2 heads of width 5 over 9 tokens; row 1 padded after 4 tokens.
    const [batch, heads, headDim, seqLength] = [3, 2, 5, 9];
    const dim = heads * headDim;
    const mask = () =>
      tf.tensor2d(
        [seqLength, 4, seqLength].flatMap((length) =>
          Array.from({ length: seqLength }, (_, t) => (t < length ? 1 : 0)),
        ),
        [batch, seqLength],
        'int32',
      );
    const rows = (seed: string) =>
      tf.tensor2d(values(seed, batch * seqLength * dim, 1), [batch * seqLength, dim]);

    it('match the transposes and batched products on the cpu backend, context and the q, k, v gradients', async () => {
      expect(headProductsAvailable()).toBe(true);
      const run = async () => {
        const m = mask();
        const out = await valueAndGrads(
          (q, k, v) =>
            attentionContext(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, m, heads, 0.4, null),
          () => [rows('q'), rows('k'), rows('v')],
          'dy',
        );
        m.dispose();
        return out;
      };
      const { gpu, cpu } = await onBothBackends(run);
      for (const [i, what] of ['context', 'dq', 'dk', 'dv'].entries()) {
        expect(maxAbsDiff(gpu[i]!, cpu[i]!), what).toBeLessThan(1e-5);
        expect(Math.max(...gpu[i]!.map(Math.abs)), what).toBeGreaterThan(1e-2);
      }
    });

    it('drop out the weights inside the softmax with the mask the dropout kernel draws for that seed', async () => {
      const dropout = { rate: 0.2, seed: '3/layer0/attention' };
      const m = mask();
      const scale = 0.4;
      // The same attention from separate ops on this backend: transposes, products, the softmax,
      // then the dropout kernel over the weights [B, H, T, T].
      const apart = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => {
        const split = (t: tf.Tensor) =>
          tf.transpose(tf.reshape(t, [batch, seqLength, heads, headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
        const weights = attentionSoftmax(tf.matMul(split(q), split(k), false, true), m, scale);
        const context = tf.matMul(dropoutOp(weights, dropout.rate, dropout.seed), split(v));
        return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * seqLength, dim]);
      };
      const folded = await valueAndGrads(
        (q, k, v) =>
          attentionContext(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, m, heads, scale, dropout),
        () => [rows('q'), rows('k'), rows('v')],
        'dy',
      );
      const reference = await valueAndGrads(apart, () => [rows('q'), rows('k'), rows('v')], 'dy');
      for (const [i, what] of ['context', 'dq', 'dk', 'dv'].entries()) {
        expect(maxAbsDiff(folded[i]!, reference[i]!), what).toBeLessThan(1e-5);
      }
      // The dropout did something: without it the context differs.
      const kept = await valueAndGrads(
        (q, k, v) =>
          attentionContext(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, m, heads, scale, null),
        () => [rows('q'), rows('k'), rows('v')],
        'dy',
      );
      expect(maxAbsDiff(folded[0]!, kept[0]!)).toBeGreaterThan(1e-3);
      m.dispose();
    });

    it('take 3 dispatches forward and 5 backward, with dropout or without', async () => {
      const m = mask();
      for (const [dropout, forwardCount, backwardCount] of [
        [null, 3, 5],
        [{ rate: 0.1, seed: 'attention' }, 3, 5],
      ] as const) {
        const [q, k, v] = [rows('q'), rows('k'), rows('v')];
        expect(await dispatchesOf([q, k, v], () => attentionContext(q, k, v, m, heads, 0.4, dropout))).toBe(
          forwardCount,
        );
        const [q2, k2, v2] = [rows('q'), rows('k'), rows('v')];
        const gradients = tf.grads((a, b, c) =>
          attentionContext(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, m, heads, 0.4, dropout),
        );
        expect(await dispatchesOf([q2, k2, v2], () => gradients([q2, k2, v2]))).toBe(
          forwardCount + backwardCount,
        );
      }
      m.dispose();
    });
  });

  describe('dropout', () => {
    const size = 20_000;
    const rate = 0.1;

    it('keeps exactly the elements its hash keeps, scaled by 1 / (1 − p), and the same mask for the same seed', async () => {
      expect(fusedDropoutAvailable()).toBe(true);
      const x = tf.tensor1d(values('x', size, 1, 2)); // all positive: a dropped element is exactly 0
      const key = dropoutKey('7/layer0');
      const before = tf.memory().numTensors;
      const first = dropoutOp(x, rate, '7/layer0');
      const again = dropoutOp(x, rate, '7/layer0');
      const other = dropoutOp(x, rate, '8/layer0');
      const [a, b, c, input] = (await Promise.all(
        [first, again, other, x].map((t) => t.data()),
      )) as Float32Array[] as [Float32Array, Float32Array, Float32Array, Float32Array];
      tf.dispose([first, again, other]);
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      const threshold = dropThreshold(rate);
      let kept = 0;
      for (let i = 0; i < size; i++) {
        const keep = dropoutBits(i, key) >= threshold;
        expect(a[i], `element ${i}`).toBeCloseTo(keep ? input[i]! / (1 - rate) : 0, 5);
        if (keep) kept++;
      }
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(Array.from(c)).not.toEqual(Array.from(a));
      // Binomial(20000, 0.9): the standard deviation of the kept fraction is 0.0021.
      expect(Math.abs(kept / size - (1 - rate))).toBeLessThan(0.01);
    });

    it('passes the gradient exactly where the forward kept an element, in one dispatch each way', async () => {
      const x = tf.tensor1d(values('x', size, 1, 2));
      const dy = tf.tensor1d(values('dy', size, 1));
      const [y, dx] = tf.tidy(() => {
        const out = dropoutOp(x, rate, 'grad');
        const g = tf.grad((input) => tf.sum(tf.mul(dropoutOp(input, rate, 'grad'), dy)))(x);
        return [out, g];
      });
      const [yValues, dxValues, dyValues] = (await Promise.all(
        [y, dx, dy].map((t) => t.data()),
      )) as Float32Array[] as [Float32Array, Float32Array, Float32Array];
      for (let i = 0; i < size; i++) {
        const expected = yValues[i] === 0 ? 0 : dyValues[i]! / (1 - rate);
        expect(dxValues[i], `element ${i}`).toBeCloseTo(expected, 5);
      }
      tf.dispose([y, dx, dy]);
      const x2 = tf.tensor1d(values('x', 64, 1));
      expect(await dispatchesOf([x2], () => dropoutOp(x2, rate, 's'))).toBe(1);
      const x3 = tf.tensor1d(values('x', 64, 1));
      const gradient = tf.grad((input) => dropoutOp(input, rate, 's'));
      expect(await dispatchesOf([x3], () => gradient(x3))).toBe(2);
      x.dispose();
    });
  });

  // One fixture: the other differs in its checkpoint's dtype and head, which no kernel here touches.
  describe.each(FIXTURES.slice(0, 1))('the %s fixture on WebGPU against transformers', (name) => {
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

    it('matches last_hidden_state, logits, the loss and every parameter’s gradient (dropout off, checkpointed blocks)', async () => {
      const { lastHiddenState, logits } = forward(model.params, model.config, inputIds, attentionMask, {
        training: false,
      });
      expect(maxAbsDiffOf(await lastHiddenState.data(), ref(fx, 'last_hidden_state').data)).toBeLessThan(
        fx.tolerances.last_hidden_state_max_abs,
      );
      expect(maxAbsDiffOf(await logits.data(), ref(fx, 'logits').data)).toBeLessThan(
        fx.tolerances.logits_max_abs,
      );
      tf.dispose([lastHiddenState, logits]);

      const { value, grads } = tf.variableGrads(() => {
        const out = forward(model.params, model.config, inputIds, attentionMask, {
          training: false,
          gradientCheckpointing: true,
        });
        out.lastHiddenState.dispose();
        return lossFn(model.config, out.logits, labels);
      });
      expect(Math.abs((await value.data())[0]! - fx.loss)).toBeLessThan(1e-5);
      const checked: string[] = [];
      for (const [paramName, variable] of Object.entries(model.params)) {
        const grad = grads[variable.name];
        expect(grad, `gradient of ${paramName}`).toBeDefined();
        const actual = await grad!.data();
        const expected = ref(fx, `grad.${paramName}`).data;
        const norm = l2(expected);
        const error = l2Diff(actual, expected);
        if (norm < 1e-6) {
          expect(error, `${paramName}: |grad| error (reference norm ${norm})`).toBeLessThan(
            fx.tolerances['grad_abs_when_norm_below_1e-6'],
          );
        } else {
          expect(error / norm, `${paramName}: relative L2 error`).toBeLessThan(fx.tolerances.grad_rel_l2);
        }
        checked.push(paramName);
      }
      const referenceGrads = [...fx.reference.keys()]
        .filter((k) => k.startsWith('grad.'))
        .map((k) => k.slice(5));
      expect(checked.sort()).toEqual(referenceGrads.sort());
      tf.dispose([value, ...Object.values(grads)]);
    });
  });

  // A padded query further than half the window from every real token has its whole sliding
  // window masked; WebGPU's softmax must give it transformers' uniform row, not 0 / 0.
  it('runs ModernBERT’s sliding window over padding longer than the window as the cpu backend does', async () => {
    const fx = fixture('modernbert-tiny-mlm-f16');
    const seqLength = 24;
    const lengths = [24, 4];
    const mask = lengths.flatMap((length) =>
      Array.from({ length: seqLength }, (_, t) => (t < length ? 1 : 0)),
    );
    // The model is loaded on each backend in turn, since its weights live on one.
    const { gpu, cpu } = await onBothBackends(async () => {
      const model = await loadFixtureModel(fx);
      const ids = mask.map((real, at) => (real ? 5 + ((at * 7) % 200) : model.config.padTokenId));
      const outputs = tf.tidy(() => {
        const out = forward(
          model.params,
          model.config,
          tf.tensor2d(ids, [2, seqLength], 'int32'),
          tf.tensor2d(mask, [2, seqLength], 'int32'),
          { training: false },
        );
        return [out.lastHiddenState, out.logits];
      });
      const values = await Promise.all(outputs.map(async (t) => Array.from(await t.data())));
      tf.dispose(outputs);
      disposeParams(model.params);
      return values;
    });
    for (const [i, what] of ['last hidden state', 'logits'].entries()) {
      expect(gpu[i]!.every(Number.isFinite), `${what}: every value finite on WebGPU`).toBe(true);
      expect(maxAbsDiff(gpu[i]!, cpu[i]!), what).toBeLessThan(1e-4);
    }
  });
});
