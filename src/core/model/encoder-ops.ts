// The pieces every transformer encoder here is built from that tfjs' taped ops make costly:
// LayerNorm, the FFN's bias + GELU, the masked attention softmax and the word + position
// embeddings, each with its gradient written out. On WebGPU each is a fused kernel (one or two
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
import { FUSED_BIAS_GELU, FUSED_BIAS_GELU_GRAD, fusedBiasGeluAvailable } from './bias-gelu-webgpu.ts';
import { FUSED_EMBEDDINGS, FUSED_EMBEDDINGS_GRAD, fusedEmbeddingsAvailable } from './embeddings-webgpu.ts';
import { FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD, fusedLayerNormAvailable } from './layer-norm-webgpu.ts';
import { matMul } from './matmul.ts';

export { FLOAT32_MIN };

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
): tf.Tensor2D {
  return fusedLayerNormAvailable()
    ? fusedLayerNorm(rows, gamma, beta, eps)
    : composedLayerNorm(rows, gamma, beta, eps);
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
 * words[ids] + positions[0..T−1]: word embeddings [V, D] looked up by int32 `ids` [B, T], plus the
 * first T rows of the position table [P, D] -> [B, T, D]. On WebGPU one dispatch forward and two
 * for both tables' gradients; elsewhere `embeddingLookup`, a Slice and an Add.
 */
export function wordAndPositionEmbeddings(
  words: tf.Tensor2D,
  positions: tf.Tensor2D,
  ids: tf.Tensor2D,
): tf.Tensor3D {
  const [, seqLength] = ids.shape;
  const [maxPositions, dim] = positions.shape;
  if (seqLength > maxPositions) {
    throw new Error(`sequence length ${seqLength} exceeds the model's ${maxPositions} positions`);
  }
  if (!fusedEmbeddingsAvailable()) {
    const positionRows = tf.slice(positions, [0, 0], [seqLength, dim]); // [T, D], broadcast over B
    return tf.add(embeddingLookup(words, ids), positionRows);
  }
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
