// The pieces every transformer encoder here is built from that tfjs' taped ops make costly:
// LayerNorm, the FFN's bias + GELU, the masked attention softmax, the attention's products over
// heads, dropout and the word + position embeddings, each with its gradient written out. On WebGPU each is a fused kernel (one or two
// dispatches, the *-webgpu.ts files beside this one); on every other backend the composed ops
// below, which compute the same functions with the same gradients. Pure functions over tensors,
// shared by any encoder (distilbert.ts and the other families).
//
// Shapes: N rows (tokens flattened), D width, F the FFN's inner width, B batch, H heads,
// T sequence length, V vocabulary, P position table rows.
import * as tf from '@tensorflow/tfjs-core';
import {
  FLOAT32_MIN,
  FUSED_ATTENTION_SOFTMAX,
  FUSED_ATTENTION_SOFTMAX_GRAD,
  fusedAttentionSoftmaxAvailable,
} from './attention-softmax-webgpu.ts';
import {
  HEAD_CONTEXT,
  HEAD_CONTEXT_T,
  HEAD_SCORES,
  headProductsAvailable,
} from './attention-products-webgpu.ts';
import { FUSED_BIAS_GELU, FUSED_BIAS_GELU_GRAD, fusedBiasGeluAvailable } from './bias-gelu-webgpu.ts';
import { FUSED_DROPOUT, fusedDropoutAvailable } from './dropout-webgpu.ts';
import { FUSED_EMBEDDINGS, FUSED_EMBEDDINGS_GRAD, fusedEmbeddingsAvailable } from './embeddings-webgpu.ts';
import { FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD, fusedLayerNormAvailable } from './layer-norm-webgpu.ts';
import { matMul } from './matmul.ts';

export { FLOAT32_MIN };

/**
 * What a score is filled with where a whole row can be masked (DeBERTa's pairwise mask, ModernBERT's
 * sliding window over long padding): transformers uses float32 min, and any value far below every
 * score gives its softmax (a zero weight, or a uniform row where all are masked). Float32 min
 * itself lies below the initial maximum of tfjs-webgpu's softmax (-3.402823e38), which makes a
 * fully masked row 0 / 0 there.
 */
export const MASKED_SCORE = -1e30;

type CustomGradArgs = (tf.Tensor | tf.GradSaveFunc)[];

/**
 * nn.Linear with a torch-layout weight [out, in]: x [N, in] -> x Wᵀ + b [N, out]. On WebGPU the
 * bias is added inside the product's own program (tf.fused.matMul), one dispatch instead of two.
 * Elsewhere not tf.fused.matMul: tfjs-backend-wasm 4.22 adds the bias to the wrong elements when
 * transposeB is set, and the unfused pair is correct on every backend.
 */
export function linearRows(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (tf.getBackend() === 'webgpu')
    return tf.fused.matMul({ a: x, b: weight, transposeB: true, bias }) as tf.Tensor2D;
  return tf.add(matMul<tf.Tensor2D>(x, weight, false, true), bias);
}

/**
 * LayerNorm of each row of `rows` [N, D] with weight γ and bias β [D]. The gradient is written out
 * (the usual closed form over x̂ and 1/σ), so the backward pass keeps two tensors per call instead
 * of the eight intermediates the taped ops would keep, and runs a third as many kernels. On
 * WebGPU the forward and the gradient are fused kernels (1 and 2 dispatches).
 */
export function layerNormRows(
  rows: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  residual?: tf.Tensor2D,
  dropout?: DropoutSite,
): tf.Tensor2D {
  const drop = dropout && dropout.rate > 0 ? dropout : null;
  if (fusedLayerNormAvailable() && (!drop || (residual && fusedDropoutAvailable()))) {
    return residual
      ? fusedResidualLayerNorm(rows, residual, gamma, beta, eps, drop)
      : fusedLayerNorm(rows, gamma, beta, eps);
  }
  const input = drop ? dropoutOp(rows, drop.rate, drop.seed) : rows;
  return composedLayerNorm(residual ? tf.add(input, residual) : input, gamma, beta, eps);
}

function fusedLayerNorm(rows: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  const normalize = tf.customGrad((...args: CustomGradArgs) => {
    const [x, g, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const [value, stats] = tf.engine().runKernel(FUSED_LAYER_NORM, { x, gamma: g, beta: b }, { eps }) as [
      tf.Tensor2D,
      tf.Tensor2D,
    ]; // [N, D], [N, 2] (mean, 1/σ per row)
    save([x, stats, g]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedX, savedStats, savedGamma] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        return tf
          .engine()
          .runKernel(FUSED_LAYER_NORM_GRAD, { dy, x: savedX, stats: savedStats, gamma: savedGamma }) as [
          tf.Tensor2D,
          tf.Tensor1D,
          tf.Tensor1D,
        ]; // dx [N, D], dγ [D], dβ [D]
      },
    };
  });
  return normalize(rows, gamma, beta) as tf.Tensor2D;
}

/**
 * LN(x + r), or LN(dropout(x) + r), the residual connection's Add (and the dropout before it)
 * folded into the LayerNorm's dispatch; the kernel also writes the sum, which the gradient reads.
 * r gets the sum's gradient, x that gradient through the same dropout mask.
 */
function fusedResidualLayerNorm(
  rows: tf.Tensor2D,
  residual: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  dropout: DropoutSite | null,
): tf.Tensor2D {
  const key = dropout ? dropoutKey(dropout.seed) : 0;
  const normalize = tf.customGrad((...args: CustomGradArgs) => {
    const [x, r, g, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const keyBits = dropout ? keyTensor(key) : null;
    const [value, stats, sum] = tf
      .engine()
      .runKernel(
        FUSED_LAYER_NORM,
        { x, gamma: g, beta: b, residual: r, ...(keyBits ? { key: keyBits } : {}) },
        { eps, ...(dropout ? { rate: dropout.rate } : {}) },
      ) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // [N, D], [N, 2] (mean, 1/σ per row), x + r [N, D]
    keyBits?.dispose();
    save([sum, stats, g]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedSum, savedStats, savedGamma] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const [dx, dgamma, dbeta] = tf
          .engine()
          .runKernel(FUSED_LAYER_NORM_GRAD, { dy, x: savedSum, stats: savedStats, gamma: savedGamma }) as [
          tf.Tensor2D,
          tf.Tensor1D,
          tf.Tensor1D,
        ]; // d(x + r) [N, D], dγ [D], dβ [D]
        return [dropout ? runDropout(dx, dropout.rate, key) : tf.clone(dx), dx, dgamma, dbeta];
      },
    };
  });
  return normalize(rows, residual, gamma, beta) as tf.Tensor2D;
}

function composedLayerNorm(
  rows: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  const normalize = tf.customGrad((...args: CustomGradArgs) => {
    const [rows, gamma, beta, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(rows, -1, true); // [N, 1] each
    const inverseStd = tf.rsqrt(tf.add(variance, eps)); // [N, 1]
    const normalized = tf.mul(tf.sub(rows, mean), inverseStd); // x̂ [N, D]
    save([normalized, inverseStd, gamma]);
    return {
      value: tf.add(tf.mul(normalized, gamma), beta),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xHat, invStd, g] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const dxHat = tf.mul(dy, g); // [N, D]
        // dx = (1/σ) (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)), means over the normalized axis.
        const centered = tf.sub(dxHat, tf.mean(dxHat, -1, true));
        const dx = tf.mul(tf.sub(centered, tf.mul(xHat, tf.mean(tf.mul(dxHat, xHat), -1, true))), invStd);
        return [dx, tf.sum(tf.mul(dy, xHat), 0), tf.sum(dy, 0)];
      },
    };
  });
  return normalize(rows, gamma, beta) as tf.Tensor2D;
}

/**
 * Exact GELU, 0.5 x (1 + erf(x / √2)), as torch.nn.functional.gelu, with its derivative
 * Φ(x) + x φ(x) written out: backward keeps x alone instead of five [N, F] intermediates.
 */
export const gelu = tf.customGrad((...args: CustomGradArgs) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input] = saved as [tf.Tensor];
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(input, Math.SQRT1_2)), 1), 0.5); // Φ(x)
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(input), -0.5)), 1 / Math.sqrt(2 * Math.PI)); // φ(x)
      return tf.mul(dy, tf.add(cdf, tf.mul(input, pdf)));
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * gelu(h + b): the activation of an FFN's first Linear, given its product h = x Wᵀ [N, F] and its
 * bias b [F]. On WebGPU one dispatch forward and one for both gradients (dh and db); elsewhere
 * an Add and `gelu`.
 */
export function biasGelu(h: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor2D {
  if (!fusedBiasGeluAvailable()) return gelu(tf.add(h, bias)) as tf.Tensor2D;
  const activate = tf.customGrad((...args: CustomGradArgs) => {
    const [product, b, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([product, b]);
    return {
      value: tf.engine().runKernel(FUSED_BIAS_GELU, { h: product, bias: b }) as tf.Tensor2D, // [N, F]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedH, savedBias] = saved as [tf.Tensor2D, tf.Tensor1D];
        return tf.engine().runKernel(FUSED_BIAS_GELU_GRAD, { dy, h: savedH, bias: savedBias }) as [
          tf.Tensor2D,
          tf.Tensor1D,
        ]; // dh [N, F], db [F]
      },
    };
  });
  return activate(h, bias) as tf.Tensor2D;
}

/** 0 for tokens to attend to, float32 min for padding: [B, T] -> [B, 1, 1, T]. */
export function attentionBias(attentionMask: tf.Tensor2D): tf.Tensor4D {
  const [batch, seqLength] = attentionMask.shape;
  const padding = tf.sub(1, tf.cast(tf.cast(attentionMask, 'bool'), 'float32'));
  return tf.reshape(tf.mul(padding, FLOAT32_MIN), [batch, 1, 1, seqLength]); // [B, T] -> [B, 1, 1, T]
}

/**
 * The attention weights softmax(scale · scores + mask bias) over the last axis, for scores
 * q·kᵀ [B, H, Tq, T] and the attention mask [B, T] (0 where a key is padding): masked keys get
 * the float32 minimum, as transformers' eager attention gives them. On WebGPU one dispatch
 * forward and one backward, the mask read as it is; elsewhere the composed ops.
 */
export function attentionSoftmax(
  scores: tf.Tensor4D,
  attentionMask: tf.Tensor2D,
  scale: number,
): tf.Tensor4D {
  if (!fusedAttentionSoftmaxAvailable()) {
    return tf.softmax(tf.add(tf.mul(scores, scale), attentionBias(attentionMask)), -1);
  }
  // The mask is closed over rather than an input: it has no gradient, and the backward pass needs
  // only the weights.
  const normalize = tf.customGrad((...args: CustomGradArgs) => {
    const [s, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const weights = tf
      .engine()
      .runKernel(FUSED_ATTENTION_SOFTMAX, { scores: s, mask: attentionMask }, { scale }) as tf.Tensor4D;
    save([weights]);
    return {
      value: weights,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf
          .engine()
          .runKernel(FUSED_ATTENTION_SOFTMAX_GRAD, { dy, weights: saved[0]! }, { scale }) as tf.Tensor4D,
    };
  });
  return normalize(scores) as tf.Tensor4D;
}

/**
 * nn.Embedding: rows of `table` [V, D] for `ids` [B, T] -> [B, T, D]. The gradient is a scatter-add
 * of dy into a [V, D] zero table; tf.gather's own gradient (UnsortedSegmentSum) is missing on wasm
 * and costs O(V * B * T * D) on cpu, which is unusable for a 30k-word vocabulary.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor2D): tf.Tensor3D {
  const lookup = tf.customGrad((...args: CustomGradArgs) => {
    const [weights, indices, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([indices]);
    return {
      value: tf.gather(weights, indices) as tf.Tensor, // [V, D] gathered by [B, T] -> [B, T, D]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [vocab, dim] = weights.shape;
        const flatIds = tf.reshape(saved[0]!, [-1, 1]); // [B, T] -> [N, 1]
        const flatDy = tf.reshape(dy, [-1, dim]); // [B, T, D] -> [N, D]
        return [tf.scatterND(flatIds, flatDy, [vocab, dim]), tf.zerosLike(saved[0]!)];
      },
    };
  });
  return lookup(table, ids) as tf.Tensor3D;
}

/**
 * nn.Embedding over a table held as consecutive row chunks (row-chunks.ts): each chunk gathers the
 * ids in its range, the others read as zero rows, and the parts add up to `embeddingLookup` of the
 * whole table. Each chunk's gradient is the scatter-add of its own rows. [B, T] -> [B, T, D].
 */
export function chunkedEmbeddingLookup(chunks: readonly tf.Tensor[], ids: tf.Tensor2D): tf.Tensor3D {
  if (chunks.length === 1) return embeddingLookup(chunks[0]!, ids);
  return tf.tidy(() => {
    let start = 0;
    let sum: tf.Tensor3D | null = null;
    for (const chunk of chunks) {
      const rows = chunk.shape[0]!;
      const local = tf.sub(ids, tf.scalar(start, 'int32')); // [B, T] ids relative to the chunk
      const inside = tf.logicalAnd(tf.greaterEqual(local, 0), tf.less(local, rows)); // [B, T]
      const safe = tf.where(inside, local, tf.zerosLike(local)) as tf.Tensor2D;
      const keep = tf.expandDims(tf.cast(inside, 'float32'), 2); // [B, T] -> [B, T, 1]
      const part = tf.mul(embeddingLookup(chunk, safe), keep) as tf.Tensor3D; // [B, T, D]
      sum = sum ? tf.add(sum, part) : part;
      start += rows;
    }
    return sum!;
  });
}

/**
 * words[ids] + positions[0..T−1]: word embeddings [V, D] looked up by int32 `ids` [B, T], plus the
 * first T rows of the position table [P, D] -> [B, T, D]. On WebGPU one dispatch forward and two
 * for both tables' gradients; elsewhere, and for words held in row chunks, the lookup, a Slice and
 * an Add.
 */
export function wordAndPositionEmbeddings(
  wordChunks: tf.Tensor2D | readonly tf.Tensor2D[],
  positions: tf.Tensor2D,
  ids: tf.Tensor2D,
): tf.Tensor3D {
  const [, seqLength] = ids.shape;
  const [maxPositions, dim] = positions.shape;
  if (seqLength > maxPositions) {
    throw new Error(`sequence length ${seqLength} exceeds the model's ${maxPositions} positions`);
  }
  const chunks = Array.isArray(wordChunks) ? wordChunks : [wordChunks as tf.Tensor2D];
  if (!fusedEmbeddingsAvailable() || chunks.length > 1) {
    return tf.tidy(() => {
      const positionRows = tf.slice(positions, [0, 0], [seqLength, dim]); // [T, D], broadcast over B
      return tf.add(chunkedEmbeddingLookup(chunks, ids), positionRows);
    });
  }
  const words = chunks[0]!;
  // The ids are closed over rather than an input (they have no gradient) and saved for the backward.
  const embed = tf.customGrad((...args: CustomGradArgs) => {
    const [w, p, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([ids]);
    return {
      value: tf.engine().runKernel(FUSED_EMBEDDINGS, { words: w, positions: p, ids }) as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf
          .engine()
          .runKernel(
            FUSED_EMBEDDINGS_GRAD,
            { dy, ids: saved[0]! },
            { vocabSize: w.shape[0], maxPositions: p.shape[0] },
          ) as [tf.Tensor2D, tf.Tensor2D], // d words [V, D], d positions [P, D]
    };
  });
  return embed(words, positions) as tf.Tensor3D;
}

/**
 * The fused dropout kernel's 32-bit key: FNV-1a of the seed string, so a seed and call site give
 * the same mask every time (a checkpointed block's recomputation included); without a seed, a
 * fresh random key.
 */
export function dropoutKey(seed: string | undefined): number {
  if (seed === undefined) return Math.floor(Math.random() * 2 ** 32);
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) hash = Math.imul(hash ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** The key as the kernels read it: its 32 bits in a one-element int32 tensor, read back as u32. */
function keyTensor(key: number): tf.Tensor1D {
  return tf.tensor1d([key | 0], 'int32');
}

function runDropout(x: tf.Tensor, rate: number, key: number): tf.Tensor {
  return tf.tidy(() => {
    const keyBits = keyTensor(key);
    return tf.engine().runKernel(FUSED_DROPOUT, { x, key: keyBits }, { rate }) as tf.Tensor;
  });
}

/**
 * Inverted dropout: each element kept with probability 1 − rate and scaled by 1 / (1 − rate).
 * `seed` makes the mask reproducible (same seed, same mask). On WebGPU one dispatch forward and
 * one backward, the mask hashed in the shader from the seed (dropout-webgpu.ts); elsewhere
 * tf.dropout, whose masks differ from the fused kernel's but follow the same law.
 */
export function dropoutOp<T extends tf.Tensor>(x: T, rate: number, seed: string | undefined): T {
  if (!fusedDropoutAvailable()) return tf.dropout(x, rate, undefined, seed) as T;
  const key = dropoutKey(seed);
  const drop = tf.customGrad((...args: CustomGradArgs) => {
    const [input] = args as [tf.Tensor];
    return {
      value: runDropout(input, rate, key),
      gradFunc: (dy: tf.Tensor) => runDropout(dy, rate, key),
    };
  });
  return drop(x) as T;
}

/** A dropout: its rate and the seed of its mask. */
export interface DropoutSite {
  rate: number;
  seed: string | undefined;
}

/**
 * The core of multi-head self-attention over projected rows: softmax(scale · q·kᵀ + mask bias)
 * over the keys, dropout on those weights, times v. q, k, v [N, D] with N = B·T tokens and
 * D = H·Dh, the attention mask [B, T] (0 where a key is padding) -> the context [N, D], heads
 * merged. On WebGPU the products index the heads inside the rows (attention-products-webgpu.ts)
 * and the dropout runs inside the softmax's dispatches: 3 dispatches forward and 5 backward, no
 * transposes; elsewhere the heads are split by
 * transposes and multiplied by tfjs' batched products.
 */
export function attentionContext(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  heads: number,
  scale: number,
  dropout: DropoutSite | null,
): tf.Tensor2D {
  const [batch, seqLength] = attentionMask.shape;
  const [tokens, dim] = q.shape;
  const headDim = dim / heads;
  const drop = dropout && dropout.rate > 0 ? dropout : null;
  if (!(headProductsAvailable() && fusedAttentionSoftmaxAvailable())) {
    const splitHeads = (t: tf.Tensor2D): tf.Tensor4D =>
      tf.transpose(tf.reshape(t, [batch, seqLength, heads, headDim]), [0, 2, 1, 3]); // [N, D] -> [B, T, H, Dh] -> [B, H, T, Dh]
    const scores = matMul<tf.Tensor4D>(splitHeads(q), splitHeads(k), false, true); // [B, H, T, T]
    const probabilities = attentionSoftmax(scores, attentionMask, scale);
    const weights = drop ? dropoutOp(probabilities, drop.rate, drop.seed) : probabilities;
    const context = matMul(weights, splitHeads(v)); // [B, H, T, Dh]
    return tf.reshape<tf.Rank.R2>(tf.transpose(context, [0, 2, 1, 3]), [tokens, dim]); // [B, H, T, Dh] -> [B, T, H, Dh] -> [N, D]
  }
  const attrs = { batch, heads };
  const run = (kernel: string, inputs: tf.NamedTensorMap, extra: object = attrs) =>
    tf.engine().runKernel(kernel, inputs, extra as tf.NamedAttrMap) as tf.Tensor;
  const key = drop ? dropoutKey(drop.seed) : 0;
  const dropoutAttrs: tf.NamedAttrMap = drop ? { rate: drop.rate } : {};
  const attend = tf.customGrad((...args: CustomGradArgs) => {
    const [qRows, kRows, vRows, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const keyBits = drop ? keyTensor(key) : null;
    const withKey: tf.NamedTensorMap = keyBits ? { key: keyBits } : {};
    const scores = run(HEAD_SCORES, { a: qRows, c: kRows }); // [B, H, T, T]
    // With dropout the softmax's dispatch also writes the dropped-out weights.
    const softmax = tf.engine().runKernel(
      FUSED_ATTENTION_SOFTMAX,
      { scores, mask: attentionMask, ...withKey },
      {
        scale,
        ...dropoutAttrs,
      },
    ) as tf.Tensor | tf.Tensor[];
    const [weights, dropped] = Array.isArray(softmax) ? softmax : [softmax, softmax]; // [B, H, T, T] each
    tf.dispose([scores, ...(keyBits ? [keyBits] : [])]);
    save([qRows, kRows, vRows, weights!, dropped!]);
    return {
      value: run(HEAD_CONTEXT, { w: dropped!, x: vRows }) as tf.Tensor2D, // [N, D]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedQ, savedK, savedV, savedWeights, savedDropped] = saved as tf.Tensor[] as [
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor4D,
          tf.Tensor4D,
        ];
        const dDropped = run(HEAD_SCORES, { a: dy, c: savedV }); // d(dropped weights) [B, H, T, T]
        const dv = run(HEAD_CONTEXT_T, { w: savedDropped, x: dy }); // [N, D]
        const gradKey = drop ? keyTensor(key) : null;
        // The softmax's gradient puts d(dropped) through the same mask first.
        const dScores = run(
          FUSED_ATTENTION_SOFTMAX_GRAD,
          { dy: dDropped, weights: savedWeights, ...(gradKey ? { key: gradKey } : {}) },
          { scale, ...dropoutAttrs },
        );
        tf.dispose([dDropped, ...(gradKey ? [gradKey] : [])]);
        const dq = run(HEAD_CONTEXT, { w: dScores, x: savedK }); // [N, D]
        const dk = run(HEAD_CONTEXT_T, { w: dScores, x: savedQ }); // [N, D]
        dScores.dispose();
        return [dq, dk, dv];
      },
    };
  });
  return attend(q, k, v) as tf.Tensor2D;
}
