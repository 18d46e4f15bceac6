// DistilBERT for sequence classification in tfjs ops.
//
// Mirrors Hugging Face transformers, src/transformers/models/distilbert/modeling_distilbert.py:
// Embeddings, MultiHeadSelfAttention, FFN, TransformerBlock, Transformer and
// DistilBertForSequenceClassification, with the same math (LayerNorm eps 1e-12, erf GELU,
// post-LN blocks, padding masked with the float32 minimum, head on the first token).
//
// Everything is a pure function of (params, config, inputs); parameters are tf.Variables named by
// their Hugging Face state_dict keys, and Linear weights keep torch's [out, in] layout, so
// y = x W^T + b is matMul(x, W, transposeA=false, transposeB=true) (through ./matmul.ts, which
// keeps tfjs-backend-wasm off its slow transposed path).
//
// Shapes: B batch, T sequence length, D = config.dim, H = config.nHeads, Dh = D / H,
// F = config.hiddenDim, L = config.numLabels, N = B * T (tokens flattened for the Linear layers).
import * as tf from '@tensorflow/tfjs-core';
import type { DistilBertConfig } from './config.ts';
import {
  attentionSoftmax,
  biasGelu,
  layerNormRows,
  linearRows,
  wordAndPositionEmbeddings,
} from './encoder-ops.ts';
import { matMul } from './matmul.ts';
import { layerPrefix } from './weights.ts';

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
  /**
   * Gradient checkpointing, as transformers' gradient_checkpointing_enable(): the backward pass
   * keeps only each block's input and recomputes the block's activations when it reaches it.
   * Memory for activations drops from all blocks to one, for one extra forward pass.
   */
  gradientCheckpointing?: boolean;
}

const LAYER_NORM_EPS = 1e-12;

function param(params: Params, name: string): tf.Variable {
  const value = params[name];
  if (!value) throw new Error(`model parameter "${name}" is missing`);
  return value;
}

/** nn.Linear with a torch-layout weight [out, in]: [N, in] -> [N, out] (encoder-ops.ts's linearRows). */
function linear(params: Params, name: string, x: tf.Tensor2D): tf.Tensor2D {
  return linearRows(
    x,
    param(params, `${name}.weight`) as tf.Tensor2D,
    param(params, `${name}.bias`) as tf.Tensor1D,
  );
}

/** nn.LayerNorm over the last axis, eps 1e-12: [..., D] -> [..., D] (encoder-ops.ts's layerNormRows). */
function layerNorm<R extends tf.Rank>(params: Params, name: string, x: tf.Tensor<R>): tf.Tensor<R> {
  const dim = x.shape[x.shape.length - 1]!;
  const rows = tf.reshape<tf.Rank.R2>(x, [-1, dim]); // [..., D] -> [N, D]
  const gamma = param(params, `${name}.weight`) as tf.Tensor1D;
  const beta = param(params, `${name}.bias`) as tf.Tensor1D;
  return tf.reshape(layerNormRows(rows, gamma, beta, LAYER_NORM_EPS), x.shape); // [N, D] -> [..., D]
}

/** The FFN's first Linear and its activation: [N, D] -> [N, F]; GELU takes the bias in its fused kernel. */
function ffnInner(params: Params, config: DistilBertConfig, name: string, x: tf.Tensor2D): tf.Tensor2D {
  if (config.activation !== 'gelu') return tf.relu(linear(params, name, x));
  const product = matMul<tf.Tensor2D>(x, param(params, `${name}.weight`), false, true); // [N, F]
  return biasGelu(product, param(params, `${name}.bias`) as tf.Tensor1D);
}

/** Inverted dropout, active only when training; each call site gets its own seeded stream. */
function dropout<T extends tf.Tensor>(x: T, rate: number, opts: ForwardOptions, site: string): T {
  if (!opts.training || rate === 0) return x;
  return tf.dropout(x, rate, undefined, opts.seed === undefined ? undefined : `${opts.seed}/${site}`) as T;
}

/** Embeddings: word + position embeddings, LayerNorm, dropout. [B, T] ids -> [B, T, D]. */
export function embed(
  params: Params,
  config: DistilBertConfig,
  inputIds: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [, seqLength] = inputIds.shape;
    if (seqLength > config.maxPositionEmbeddings) {
      throw new Error(
        `sequence length ${seqLength} exceeds the model's ${config.maxPositionEmbeddings} positions`,
      );
    }
    const ids = inputIds.dtype === 'int32' ? inputIds : tf.cast(inputIds, 'int32');
    const summed = wordAndPositionEmbeddings(
      param(params, 'distilbert.embeddings.word_embeddings.weight') as tf.Tensor2D,
      param(params, 'distilbert.embeddings.position_embeddings.weight') as tf.Tensor2D,
      ids,
    ); // [B, T, D]: word rows of the ids plus positions 0..T−1
    const embeddings = layerNorm(params, 'distilbert.embeddings.LayerNorm', summed);
    return dropout(embeddings, config.dropout, opts, 'embeddings') as tf.Tensor3D;
  });
}

/**
 * Multi-head self-attention over the flattened tokens, with padded keys masked out.
 * x: [N, D], attentionMask: [B, T] (0 where padded) -> [N, D]. The 1/√Dh scale that transformers
 * applies to q is applied to the scores inside attentionSoftmax, with the mask.
 */
function selfAttention(
  params: Params,
  config: DistilBertConfig,
  prefix: string,
  x: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  batch: number,
  seqLength: number,
  opts: ForwardOptions,
  site: string,
): tf.Tensor2D {
  const heads = config.nHeads;
  const headDim = config.dim / heads;
  const splitHeads = (t: tf.Tensor2D): tf.Tensor4D =>
    tf.transpose(tf.reshape(t, [batch, seqLength, heads, headDim]), [0, 2, 1, 3]); // [N, D] -> [B, T, H, Dh] -> [B, H, T, Dh]
  const q = splitHeads(linear(params, `${prefix}q_lin`, x));
  const k = splitHeads(linear(params, `${prefix}k_lin`, x));
  const v = splitHeads(linear(params, `${prefix}v_lin`, x));
  const scores = matMul<tf.Tensor4D>(q, k, false, true); // [B, H, T, T]
  const probabilities = attentionSoftmax(scores, attentionMask, 1 / Math.sqrt(headDim));
  const weights = dropout(probabilities, config.attentionDropout, opts, `${site}/attention`);
  const context = matMul(weights, v); // [B, H, T, Dh]
  const merged = tf.reshape<tf.Rank.R2>(tf.transpose(context, [0, 2, 1, 3]), [batch * seqLength, config.dim]); // [B, H, T, Dh] -> [B, T, H, Dh] -> [N, D]
  return linear(params, `${prefix}out_lin`, merged);
}

/** One TransformerBlock: attention, add & LayerNorm, FFN, add & LayerNorm. [B, T, D] -> [B, T, D]. */
export function transformerLayer(
  params: Params,
  config: DistilBertConfig,
  layer: number,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, seqLength, dim] = hidden.shape;
    const prefix = layerPrefix(layer);
    const site = `layer${layer}`;
    const x = tf.reshape<tf.Rank.R2>(hidden, [batch * seqLength, dim]); // [B, T, D] -> [N, D]
    const attention = selfAttention(
      params,
      config,
      `${prefix}attention.`,
      x,
      attentionMask,
      batch,
      seqLength,
      opts,
      site,
    );
    const attended = layerNorm(params, `${prefix}sa_layer_norm`, tf.add<tf.Tensor2D>(attention, x));
    const inner = ffnInner(params, config, `${prefix}ffn.lin1`, attended); // [N, F]
    const ffn = dropout(linear(params, `${prefix}ffn.lin2`, inner), config.dropout, opts, `${site}/ffn`); // [N, D]
    const out = layerNorm(params, `${prefix}output_layer_norm`, tf.add<tf.Tensor2D>(ffn, attended));
    return tf.reshape(out, [batch, seqLength, dim]); // [N, D] -> [B, T, D]
  });
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
 * transformerLayer whose backward pass recomputes the block from its saved input: the forward
 * runs untaped inside a custom gradient (tfjs records no tape within one), so none of the block's
 * intermediates outlive it; the gradient re-runs the block under tf.grads with the incoming dy.
 * Dropout masks are seeded per block and step, so the recomputation sees the same masks.
 */
export function checkpointedTransformerLayer(
  params: Params,
  config: DistilBertConfig,
  layer: number,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  const prefix = layerPrefix(layer);
  const weights = Object.keys(params)
    .filter((name) => name.startsWith(prefix))
    .map((name) => param(params, name));
  const block = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor3D;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    save([input, attentionMask]);
    return {
      value: transformerLayer(params, config, layer, input, attentionMask, opts),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedInput, savedMask] = saved as [tf.Tensor3D, tf.Tensor2D];
        // The block reads its weights from `params`; they are the same tensors as `weights`,
        // so tf.grads finds their gradients on the tape.
        const rerun = (x: tf.Tensor) =>
          transformerLayer(params, config, layer, x as tf.Tensor3D, savedMask, opts);
        return gradientsInsideBackward(() => tf.grads(rerun)([savedInput, ...weights], dy));
      },
    };
  });
  return block(hidden, ...weights) as tf.Tensor3D;
}

/**
 * The encoder (DistilBertModel): embeddings, then blocks [fromLayer, toLayer). Starting past 0
 * resumes from `hidden`, the cached output of block fromLayer - 1. Returns [B, T, D].
 */
export function encode(
  params: Params,
  config: DistilBertConfig,
  inputIds: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  opts: EncodeOptions,
): tf.Tensor3D {
  const fromLayer = opts.fromLayer ?? 0;
  const toLayer = opts.toLayer ?? config.nLayers;
  if (!(fromLayer >= 0 && fromLayer <= toLayer && toLayer <= config.nLayers)) {
    throw new Error(`invalid layer range [${fromLayer}, ${toLayer}) for a ${config.nLayers}-layer model`);
  }
  if (fromLayer > 0 && !opts.hidden)
    throw new Error(`encode from layer ${fromLayer} needs the hidden state of layer ${fromLayer - 1}`);
  return tf.tidy(() => {
    let hidden = fromLayer === 0 ? embed(params, config, inputIds, opts) : opts.hidden!;
    for (let layer = fromLayer; layer < toLayer; layer++) {
      hidden = opts.gradientCheckpointing
        ? checkpointedTransformerLayer(params, config, layer, hidden, attentionMask, opts)
        : transformerLayer(params, config, layer, hidden, attentionMask, opts);
    }
    // tidy would hand back the caller's own tensor when no block runs; return a copy it may dispose.
    return hidden === opts.hidden ? tf.clone(hidden) : hidden;
  });
}

/** The first ([CLS]) token of every sequence: [B, T, D] -> [B, D]. */
export function firstToken(hidden: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, , dim] = hidden.shape;
    return tf.reshape(tf.slice(hidden, [0, 0, 0], [batch, 1, dim]), [batch, dim]); // [B, 1, D] -> [B, D]
  });
}

/** pre_classifier -> ReLU -> dropout -> classifier: [B, D] -> [B, L]. */
export function classifierHead(
  params: Params,
  config: DistilBertConfig,
  firstTokenState: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor2D {
  return tf.tidy(() => {
    const pooled = tf.relu(linear(params, 'pre_classifier', firstTokenState));
    return linear(params, 'classifier', dropout(pooled, config.seqClassifDropout, opts, 'head'));
  });
}

/** DistilBertForSequenceClassification.forward without the loss. */
export function forward(
  params: Params,
  config: DistilBertConfig,
  inputIds: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions & Pick<EncodeOptions, 'gradientCheckpointing'>,
): { lastHiddenState: tf.Tensor3D; logits: tf.Tensor2D } {
  return tf.tidy(() => {
    const lastHiddenState = encode(params, config, inputIds, attentionMask, opts);
    const logits = classifierHead(params, config, firstToken(lastHiddenState), opts);
    return { lastHiddenState, logits };
  });
}

/**
 * The loss transformers computes for config.problemType: mean cross-entropy over int32 class ids
 * [B], or mean BCE-with-logits over float32 multi-hot targets [B, L].
 */
export function lossFn(config: DistilBertConfig, logits: tf.Tensor2D, labels: tf.Tensor): tf.Scalar {
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
