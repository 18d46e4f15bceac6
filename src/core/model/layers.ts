// The pieces every encoder family is built from, in tfjs ops: Linear, LayerNorm (fused on
// WebGPU), embedding lookup, the GELU variants, dropout, masked multi-head self-attention,
// gradient checkpointing of a block, the sequence-classification heads and the loss.
//
// They mirror the corresponding torch modules as transformers uses them (nn.Linear, nn.LayerNorm,
// nn.Embedding, ACT2FN, eager_attention_forward, the *ForSequenceClassification heads and their
// losses). Parameters are tf.Variables named by their Hugging Face state_dict keys, and Linear
// weights keep torch's [out, in] layout, so y = x W^T + b is matMul(x, W, transposeA=false,
// transposeB=true) (through ./matmul.ts, which keeps tfjs-backend-wasm off its slow transposed path).
//
// Shapes: B batch, T sequence length, D hidden size, H heads, Dh = D / H, N = B * T (tokens
// flattened for the Linear layers), L labels.
import * as tf from '@tensorflow/tfjs-core';
import type { Activation, ModelConfig } from './config.ts';
import {
  attentionBias,
  attentionContext,
  biasGelu,
  chunkedEmbeddingLookup,
  dropoutOp,
  embeddingLookup,
  type DropoutSite,
  gelu,
  layerNormRows as encoderLayerNormRows,
  linearRows,
} from './encoder-ops.ts';
import { matMul } from './matmul.ts';
import { tableParts } from './row-chunks.ts';

export { attentionBias, embeddingLookup };

export type Params = Record<string, tf.Variable>;

export interface ForwardOptions {
  /** Dropout is applied only when training. */
  training: boolean;
  /** Makes dropout masks reproducible: same seed, same masks. Vary it per step. */
  seed?: number;
}

export interface EncodeOptions extends ForwardOptions {
  /** First transformer block to run (default 0, which starts from the embeddings). */
  fromLayer?: number;
  /** Block to stop before (default config.nLayers). */
  toLayer?: number;
  /** Output of block fromLayer - 1 (a cached activation) when fromLayer > 0. */
  hidden?: tf.Tensor3D;
  /** Segment ids [B, T] for families with token type embeddings (zeros when absent, as transformers). */
  tokenTypeIds?: tf.Tensor2D;
  /** The batch's attention mask [B, T], for families whose embeddings zero padded tokens (DeBERTa). */
  attentionMask?: tf.Tensor2D;
  /**
   * Gradient checkpointing, as transformers' gradient_checkpointing_enable(): the backward pass
   * keeps only each block's input and recomputes the block's activations when it reaches it.
   * Memory for activations drops from all blocks to one, for one extra forward pass.
   */
  gradientCheckpointing?: boolean;
}

/** transformers' default layer_norm_eps (DistilBERT's fixed eps, BERT's default). */
export const DEFAULT_LAYER_NORM_EPS = 1e-12;

export function param(params: Params, name: string): tf.Variable {
  const value = params[name];
  if (!value) throw new Error(`model parameter "${name}" is missing`);
  return value;
}

/** The rows of table `name` (whole, or in row chunks: row-chunks.ts) for `ids`: [B, T] -> [B, T, D]. */
export function tableLookup(params: Params, name: string, ids: tf.Tensor2D): tf.Tensor3D {
  return chunkedEmbeddingLookup(tableParts(params, name), ids);
}

/** nn.Linear with a torch-layout weight [out, in]: [N, in] -> [N, out] (encoder-ops.ts's linearRows). */
export function linear(params: Params, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return linearRows(
    x,
    param(params, `${name}.weight`) as tf.Tensor2D,
    param(params, `${name}.bias`) as tf.Tensor1D,
  );
}

/**
 * nn.LayerNorm over the last axis: [..., D] -> [..., D]. The gradient is written out (the usual
 * closed form over x̂ and 1/σ), so the backward pass keeps two tensors per call instead of the
 * eight intermediates the taped ops would keep, and runs a third as many kernels. On WebGPU the
 * forward and the gradient are fused kernels (1 and 2 dispatches).
 */
export function layerNorm<R extends tf.Rank>(
  params: Params,
  name: string,
  x: tf.Tensor<R>,
  eps = DEFAULT_LAYER_NORM_EPS,
): tf.Tensor<R> {
  const dim = x.shape[x.shape.length - 1]!;
  const rows = tf.reshape<tf.Rank.R2>(x, [-1, dim]); // [..., D] -> [N, D]
  const gamma = param(params, `${name}.weight`) as tf.Tensor1D;
  const beta = param(params, `${name}.bias`) as tf.Tensor1D;
  return tf.reshape(layerNormRows(rows, gamma, beta, eps), x.shape); // [N, D] -> [..., D]
}

/**
 * LayerNorm(x + residual) over rows [N, D], the residual connection every block closes with; on
 * WebGPU the Add runs inside the LayerNorm's own dispatch.
 */
export function addLayerNorm(
  params: Params,
  name: string,
  x: tf.Tensor2D,
  residual: tf.Tensor2D,
  eps = DEFAULT_LAYER_NORM_EPS,
  dropout?: DropoutSite,
): tf.Tensor2D {
  const gamma = param(params, `${name}.weight`) as tf.Tensor1D;
  const beta = param(params, `${name}.bias`) as tf.Tensor1D;
  return encoderLayerNormRows(x, gamma, beta, eps, residual, dropout);
}

/**
 * The dropout of one call site while training: its rate and the seed of its mask (`<step
 * seed>/<site>`, as `dropout` seeds it); none when not training.
 */
export function dropoutAt(rate: number, opts: ForwardOptions, site: string): DropoutSite | undefined {
  if (!opts.training || rate === 0) return undefined;
  return { rate, seed: opts.seed === undefined ? undefined : `${opts.seed}/${site}` };
}

/** LayerNorm of each row of `rows` [N, D] (encoder-ops.ts: fused kernels where the backend has them). */
export function layerNormRows(
  rows: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps = DEFAULT_LAYER_NORM_EPS,
): tf.Tensor2D {
  return encoderLayerNormRows(rows, gamma, beta, eps);
}

/** `ids` as int32 (what tf.gather wants), without a copy when they already are. */
export function int32Ids(ids: tf.Tensor2D): tf.Tensor2D {
  return ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
}

/** Throws when a batch is longer than the learned (or fixed) position table. */
export function checkSequenceLength(config: Pick<ModelConfig, 'maxPositionEmbeddings'>, seqLength: number) {
  if (seqLength > config.maxPositionEmbeddings) {
    throw new Error(
      `sequence length ${seqLength} exceeds the model's ${config.maxPositionEmbeddings} positions`,
    );
  }
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The tanh approximation 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))), transformers' "gelu_new"
 * (NewGELUActivation) and "gelu_pytorch_tanh", with its derivative written out.
 */
const tanhGelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  const inner = (t: tf.Tensor) => tf.mul(tf.add(t, tf.mul(tf.pow(t, 3), 0.044715)), SQRT_2_OVER_PI);
  return {
    value: tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner(x)), 1)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [input] = saved as [tf.Tensor];
      const t = tf.tanh(inner(input));
      // d/dx = 0.5 (1 + t) + 0.5 x (1 - t²) √(2/π) (1 + 3·0.044715 x²)
      const slope = tf.mul(tf.add(tf.mul(tf.square(input), 3 * 0.044715), 1), SQRT_2_OVER_PI);
      const second = tf.mul(tf.mul(tf.mul(input, 0.5), tf.sub(1, tf.square(t))), slope);
      return tf.mul(dy, tf.add(tf.mul(tf.add(t, 1), 0.5), second));
    },
  };
});

/** The feed-forward activation named by config.json (ACT2FN). */
export function activate(activation: Activation, x: tf.Tensor2D): tf.Tensor2D {
  if (activation === 'gelu') return gelu(x) as tf.Tensor2D;
  if (activation === 'gelu_new') return tanhGelu(x) as tf.Tensor2D;
  return tf.relu(x);
}

/**
 * A feed-forward network's first Linear and its activation: [N, D] -> [N, F]. Exact GELU takes
 * the bias inside its own kernel (encoder-ops.ts's biasGelu: one dispatch on WebGPU).
 */
export function ffnInner(params: Params, activation: Activation, name: string, x: tf.Tensor2D): tf.Tensor2D {
  if (activation !== 'gelu') return activate(activation, linear(params, name, x));
  const product = matMul<tf.Tensor2D>(x, param(params, `${name}.weight`), false, true); // [N, F]
  return biasGelu(product, param(params, `${name}.bias`) as tf.Tensor1D);
}

/** Inverted dropout, active only when training; each call site gets its own seeded stream. */
export function dropout<T extends tf.Tensor>(x: T, rate: number, opts: ForwardOptions, site: string): T {
  if (!opts.training || rate === 0) return x;
  return dropoutOp(x, rate, opts.seed === undefined ? undefined : `${opts.seed}/${site}`);
}

/** The names of one attention block's four projections (without `.weight` / `.bias`). */
export interface AttentionNames {
  query: string;
  key: string;
  value: string;
  output: string;
}

/**
 * Multi-head self-attention over the flattened tokens, with padded keys masked out; the output
 * projection included. x: [N, D], attentionMask: [B, T] (0 where padded) -> [N, D]. The 1/√Dh
 * scale transformers applies to q is applied to the scores, with the mask, in attentionContext.
 */
export function selfAttention(
  params: Params,
  config: Pick<ModelConfig, 'dim' | 'nHeads' | 'attentionDropout'>,
  names: AttentionNames,
  x: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
  site: string,
): tf.Tensor2D {
  const headDim = config.dim / config.nHeads;
  const q = linear(params, names.query, x);
  const k = linear(params, names.key, x);
  const v = linear(params, names.value, x);
  const rate = opts.training ? config.attentionDropout : 0;
  const dropout = { rate, seed: opts.seed === undefined ? undefined : `${opts.seed}/${site}/attention` };
  const context = attentionContext(q, k, v, attentionMask, config.nHeads, 1 / Math.sqrt(headDim), dropout); // [N, D]
  return linear(params, names.output, context);
}

/**
 * Runs tf.grads from inside another gradient's backward pass. tfjs-core 4.22 ends every
 * top-level gradient computation by dropping the engine's active tape, and a nested one is
 * top-level too (the outer forward pass is over), so it would take the outer computation's tape
 * with it; keeping the outer tape and putting it back lets the outer backward pass finish.
 */
function gradientsInsideBackward<T>(run: () => T): T {
  const engine = tf.engine() as unknown as { state: { activeTape: unknown } };
  const outerTape = engine.state.activeTape;
  try {
    return run();
  } finally {
    engine.state.activeTape = outerTape;
  }
}

/**
 * `block` (one transformer block over [B, T, D]) whose backward pass recomputes it from its saved
 * input: the forward runs untaped inside a custom gradient (tfjs records no tape within one), so
 * none of the block's intermediates outlive it; the gradient re-runs the block under tf.grads
 * with the incoming dy. Dropout masks are seeded per block and step, so the recomputation sees
 * the same masks. `weights` are the block's parameters, the tensors `block` reads.
 */
export function checkpointed(
  block: (hidden: tf.Tensor3D, attentionMask: tf.Tensor2D) => tf.Tensor3D,
  weights: tf.Variable[],
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
): tf.Tensor3D {
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor3D;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save([input, attentionMask]);
    return {
      value: block(input, attentionMask),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedMask] = saved as [tf.Tensor3D, tf.Tensor2D];
        // The block reads its weights from the model's parameters; they are the same tensors as
        // `weights`, so tf.grads finds their gradients on the tape.
        const rerun = (x: tf.Tensor) => block(x as tf.Tensor3D, savedMask);
        return gradientsInsideBackward(() => tf.grads(rerun)([savedInput, ...weights], dy));
      },
    };
  });
  return run(hidden, ...weights) as tf.Tensor3D;
}

/** The first ([CLS] / <s>) token of every sequence: [B, T, D] -> [B, D]. */
export function firstToken(hidden: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, , dim] = hidden.shape;
    return tf.reshape(tf.slice(hidden, [0, 0, 0], [batch, 1, dim]), [batch, dim]); // [B, 1, D] -> [B, D]
  });
}

/**
 * A sequence-classification head on the pooled state (the first token's unless the family pools
 * otherwise), as every family here has one: [dropout] -> dense -> activation -> [LayerNorm] ->
 * dropout -> out. DistilBERT: pre_classifier, ReLU, classifier; BERT: the pooler (dense, tanh)
 * and classifier; RoBERTa: RobertaClassificationHead (dropout, dense, tanh, dropout, out_proj);
 * ModernBERT: ModernBertPredictionHead (dense, GELU, norm), dropout, classifier.
 */
export interface ClassificationHead {
  /** Linear [D, D] on the pooled state (without `.weight` / `.bias`; the bias may be absent). */
  dense: string;
  activation: 'relu' | 'tanh' | 'gelu';
  /** LayerNorm after the activation (its bias may be absent). */
  norm?: string;
  /** Linear [L, D] to the logits. */
  out: string;
  /** Dropout on the first token's state before `dense` too (RoBERTa). */
  dropoutBeforeDense: boolean;
}

/**
 * The head's logits: [B, D] -> [B, L]. Dropout sites 'head/features' and 'head'; `eps` is the
 * LayerNorm's where the head has one.
 */
export function headForward(
  params: Params,
  head: ClassificationHead,
  rate: number,
  pooledState: tf.Tensor2D,
  opts: ForwardOptions,
  eps = DEFAULT_LAYER_NORM_EPS,
): tf.Tensor2D {
  return tf.tidy(() => {
    const features = head.dropoutBeforeDense
      ? dropout(pooledState, rate, opts, 'head/features')
      : pooledState;
    const product = matMul<tf.Tensor2D>(features, param(params, `${head.dense}.weight`), false, true); // [B, D]
    const denseBias = params[`${head.dense}.bias`];
    const dense = denseBias ? tf.add(product, denseBias) : product;
    const activated =
      head.activation === 'relu' ? tf.relu(dense) : head.activation === 'tanh' ? tf.tanh(dense) : gelu(dense);
    let pooled = activated as tf.Tensor2D;
    if (head.norm) {
      const gamma = param(params, `${head.norm}.weight`) as tf.Tensor1D;
      const beta = (params[`${head.norm}.bias`] ?? tf.zerosLike(gamma)) as tf.Tensor1D;
      pooled = layerNormRows(pooled, gamma, beta, eps);
    }
    return linear(params, head.out, dropout(pooled, rate, opts, 'head'));
  });
}

/**
 * The loss transformers computes for config.problemType: mean cross-entropy over int32 class ids
 * [B], or mean BCE-with-logits over float32 multi-hot targets [B, L].
 */
export function lossFn(
  config: Pick<ModelConfig, 'problemType' | 'numLabels'>,
  logits: tf.Tensor2D,
  labels: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    if (config.problemType === 'single_label_classification') {
      if (labels.rank !== 1)
        throw new Error(`single-label targets must be class ids [B], got shape [${labels.shape.join(', ')}]`);
      const targets = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, config.numLabels); // [B] -> [B, L]
      const logProbabilities = tf.logSoftmax(logits, -1);
      return tf.neg(tf.mean(tf.sum(tf.mul(targets, logProbabilities), -1)));
    }
    if (labels.rank !== 2)
      throw new Error(`multi-label targets must be [B, L], got shape [${labels.shape.join(', ')}]`);
    // softplus(x) - x z is the stable form of -[z log σ(x) + (1 - z) log(1 - σ(x))].
    const targets = tf.cast(labels, 'float32');
    return tf.mean(tf.sub(tf.softplus(logits), tf.mul(logits, targets)));
  });
}
