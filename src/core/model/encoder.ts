// A sequence classifier of any registered family (architectures.ts): the encoder's embeddings and
// blocks, gradient checkpointing, the classification head and the loss, as the training loop, the
// feature caches and the inference engines call them.
//
// Shapes: B batch, T sequence length, D = config.dim, L = config.numLabels.
import * as tf from '@tensorflow/tfjs-core';
import { architectureOf } from './architectures.ts';
import type { ModelConfig } from './config.ts';
import { isBlockParameter } from './weights.ts';
import {
  checkpointed,
  firstToken,
  headForward,
  param,
  type EncodeOptions,
  type ForwardOptions,
  type Params,
} from './layers.ts';

export { firstToken, lossFn, type EncodeOptions, type ForwardOptions, type Params } from './layers.ts';

/** The family's embeddings: [B, T] ids -> [B, T, D]. */
export function embed(
  params: Params,
  config: ModelConfig,
  inputIds: tf.Tensor2D,
  opts: ForwardOptions & Pick<EncodeOptions, 'tokenTypeIds' | 'attentionMask'>,
): tf.Tensor3D {
  return architectureOf(config).embed(params, config, inputIds, opts);
}

/** Transformer block `layer` of the family: [B, T, D] -> [B, T, D]. */
export function transformerLayer(
  params: Params,
  config: ModelConfig,
  layer: number,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  return architectureOf(config).block(params, config, layer, hidden, attentionMask, opts);
}

/** transformerLayer whose backward pass recomputes the block from its saved input (layers.ts' `checkpointed`). */
export function checkpointedTransformerLayer(
  params: Params,
  config: ModelConfig,
  layer: number,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  const architecture = architectureOf(config);
  const shared = new Set(architecture.sharedByBlocks?.(config) ?? []);
  const weights = Object.keys(params)
    .filter((name) => isBlockParameter(config, name, layer) || shared.has(name))
    .map((name) => param(params, name));
  return checkpointed(
    (input, mask) => architecture.block(params, config, layer, input, mask, opts),
    weights,
    hidden,
    attentionMask,
  );
}

/**
 * The encoder (the family's *Model without a pooler): embeddings, then blocks [fromLayer,
 * toLayer). Starting past 0 resumes from `hidden`, the cached output of block fromLayer - 1.
 * Returns [B, T, D].
 */
export function encode(
  params: Params,
  config: ModelConfig,
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
    let hidden = fromLayer === 0 ? embed(params, config, inputIds, { ...opts, attentionMask }) : opts.hidden!;
    for (let layer = fromLayer; layer < toLayer; layer++) {
      hidden = opts.gradientCheckpointing
        ? checkpointedTransformerLayer(params, config, layer, hidden, attentionMask, opts)
        : transformerLayer(params, config, layer, hidden, attentionMask, opts);
    }
    // tidy would hand back the caller's own tensor when no block runs; return a copy it may dispose.
    return hidden === opts.hidden ? tf.clone(hidden) : hidden;
  });
}

/**
 * The state the family's head reads: the first token's, or the family's own pooling (ModernBERT's
 * mean over the real tokens). [B, T, D], mask [B, T] -> [B, D].
 */
export function pooledState(
  config: ModelConfig,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
): tf.Tensor2D {
  const pool = architectureOf(config).pool;
  return pool ? pool(config, hidden, attentionMask) : firstToken(hidden);
}

/** The family's classification head on the pooled state (`pooledState`): [B, D] -> [B, L]. */
export function classifierHead(
  params: Params,
  config: ModelConfig,
  pooled: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor2D {
  const head = architectureOf(config).head;
  return headForward(params, head, config.classifierDropout, pooled, opts, config.layerNormEps);
}

/** The family's *ForSequenceClassification.forward without the loss. */
export function forward(
  params: Params,
  config: ModelConfig,
  inputIds: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions & Pick<EncodeOptions, 'gradientCheckpointing' | 'tokenTypeIds'>,
): { lastHiddenState: tf.Tensor3D; logits: tf.Tensor2D } {
  return tf.tidy(() => {
    const lastHiddenState = encode(params, config, inputIds, attentionMask, opts);
    const logits = classifierHead(params, config, pooledState(config, lastHiddenState, attentionMask), opts);
    return { lastHiddenState, logits };
  });
}
