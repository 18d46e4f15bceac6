// ModernBERT for sequence classification in tfjs ops.
//
// Mirrors Hugging Face transformers, src/transformers/models/modernbert/modeling_modernbert.py
// with eager attention: ModernBertEmbeddings (token embeddings, LayerNorm, dropout; no position
// table), ModernBertEncoderLayer (pre-LN: attention with rotary position embeddings over the whole
// sequence or a sliding window by layer type, then the GeGLU ModernBertMLP), the final norm,
// ModernBertPredictionHead (dense, activation, LayerNorm) on the `cls` or `mean` pooled state,
// dropout and the classifier; configuration_modernbert.py for the config, including the Hub's
// older fields (global_attn_every_n_layers, global_rope_theta, local_rope_theta). Linear layers
// and LayerNorms have no bias unless the config asks for one (attention_bias, mlp_bias,
// norm_bias, classifier_bias).
//
// The final norm runs at the end of the last block and counts as one of its parameters
// (`finalNorm`), so a block's output is ModernBertModel's last_hidden_state there, and top-k and
// checkpointing keep it with that block.
//
// Shapes: B batch, T sequence length, D = config.dim, H heads, Dh = D / H, F = config.hiddenDim,
// N = B * T, L labels.
import * as tf from '@tensorflow/tfjs-core';
import type { Architecture, ParameterDims } from './architectures.ts';
import type { Activation, ModelConfig } from './config.ts';
import {
  checkArchitectures,
  isRecord,
  parseLabels,
  parseProblemType,
  padTokenId,
  positiveInt,
  positiveNumber,
  probability,
} from './config-fields.ts';
import { attentionContext, MASKED_SCORE } from './encoder-ops.ts';
import {
  activate,
  checkSequenceLength,
  dropout,
  int32Ids,
  layerNormRows,
  param,
  tableLookup,
  type ClassificationHead,
  type ForwardOptions,
  type Params,
} from './layers.ts';
import { matMul } from './matmul.ts';

const PREFIX = 'model.';
const FINAL_NORM = 'model.final_norm';

/** ACT2FN names the MLP runs (ModernBERT-base: "gelu", the exact one). */
const ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  relu: 'relu',
};

export type LayerType = 'full_attention' | 'sliding_attention';
export type Pooling = 'cls' | 'mean';

/** What ModernBERT's config says beyond the fields every family shares. */
export interface ModernBertSettings {
  /** Attention kind of each block. */
  layerTypes: LayerType[];
  /** RoPE base (rope_theta) of each attention kind. */
  ropeTheta: Record<LayerType, number>;
  /** A local block's token attends to keys at most this far away (config.sliding_window). */
  halfWindow: number;
  pooling: Pooling;
  embeddingDropout: number;
  attentionBias: boolean;
  mlpBias: boolean;
  normBias: boolean;
  classifierBias: boolean;
}

function flag(json: Record<string, unknown>, key: string): boolean {
  const value = json[key] ?? false;
  if (typeof value !== 'boolean') throw new Error(`config.json: "${key}" must be true or false`);
  return value;
}

function parseLayerTypes(json: Record<string, unknown>, nLayers: number): LayerType[] {
  const declared = json.layer_types;
  if (declared !== undefined && declared !== null) {
    if (
      !Array.isArray(declared) ||
      declared.length !== nLayers ||
      !declared.every((t) => t === 'full_attention' || t === 'sliding_attention')
    ) {
      throw new Error(
        `config.json: "layer_types" must list full_attention or sliding_attention for each of the ${nLayers} layers`,
      );
    }
    return declared as LayerType[];
  }
  // configuration_modernbert.py: every n-th block (from the first) is global, the others local.
  const every = positiveInt(json, 'global_attn_every_n_layers', 3);
  return Array.from({ length: nLayers }, (_, i) =>
    i % every === 0 ? 'full_attention' : 'sliding_attention',
  );
}

function parseRopeTheta(json: Record<string, unknown>): Record<LayerType, number> {
  const theta: Record<LayerType, number> = {
    full_attention: positiveNumber(json, 'global_rope_theta', 160000),
    sliding_attention: positiveNumber(json, 'local_rope_theta', 10000),
  };
  const rope = json.rope_parameters;
  if (rope === undefined || rope === null) return theta;
  if (!isRecord(rope)) throw new Error('config.json: "rope_parameters" must be an object');
  for (const kind of ['full_attention', 'sliding_attention'] as const) {
    const entry = rope[kind];
    if (entry === undefined || entry === null) continue;
    if (!isRecord(entry)) throw new Error(`config.json: rope_parameters.${kind} must be an object`);
    const type = entry.rope_type ?? 'default';
    if (type !== 'default') {
      throw new Error(`config.json: rope_type "${String(type)}" is not supported (default only)`);
    }
    if (entry.rope_theta !== undefined) theta[kind] = positiveNumber(entry, 'rope_theta', 0);
  }
  return theta;
}

function parseSettings(json: Record<string, unknown>, nLayers: number): ModernBertSettings {
  const pooling = json.classifier_pooling ?? 'cls';
  if (pooling !== 'cls' && pooling !== 'mean') {
    throw new Error(`config.json: classifier_pooling "${String(pooling)}" is not supported (cls, mean)`);
  }
  const classifierActivation = json.classifier_activation ?? 'gelu';
  if (classifierActivation !== 'gelu') {
    throw new Error(
      `config.json: classifier_activation "${String(classifierActivation)}" is not supported (gelu)`,
    );
  }
  return {
    layerTypes: parseLayerTypes(json, nLayers),
    ropeTheta: parseRopeTheta(json),
    halfWindow: Math.floor(positiveInt(json, 'local_attention', 128) / 2),
    pooling,
    embeddingDropout: probability(json, 'embedding_dropout', 0),
    attentionBias: flag(json, 'attention_bias'),
    mlpBias: flag(json, 'mlp_bias'),
    normBias: flag(json, 'norm_bias'),
    classifierBias: flag(json, 'classifier_bias'),
  };
}

// A config is parsed once; its settings are read on every forward pass.
const settingsCache = new WeakMap<Record<string, unknown>, ModernBertSettings>();

/** ModernBERT's own settings of a parsed config (from its config.json fields). */
export function modernBertSettings(config: Pick<ModelConfig, 'raw' | 'nLayers'>): ModernBertSettings {
  let settings = settingsCache.get(config.raw);
  if (!settings) {
    settings = parseSettings(config.raw, config.nLayers);
    settingsCache.set(config.raw, settings);
  }
  return settings;
}

const CLASSES = new Set([
  'ModernBertModel',
  'ModernBertForMaskedLM',
  'ModernBertForSequenceClassification',
  'ModernBertForTokenClassification',
  'ModernBertForQuestionAnswering',
  'ModernBertForMultipleChoice',
]);

function parseModernBertConfig(json: Record<string, unknown>): ModelConfig {
  checkArchitectures(json, CLASSES, 'ModernBert*');
  const hiddenAct = json.hidden_activation ?? 'gelu';
  const activation = typeof hiddenAct === 'string' ? ACTIVATIONS[hiddenAct] : undefined;
  if (!activation) {
    throw new Error(
      `config.json: hidden_activation "${String(hiddenAct)}" is not supported (${Object.keys(ACTIVATIONS).join(', ')})`,
    );
  }
  const dim = positiveInt(json, 'hidden_size', 768);
  const nHeads = positiveInt(json, 'num_attention_heads', 12);
  if (dim % nHeads !== 0) {
    throw new Error(`config.json: hidden_size ${dim} is not divisible by num_attention_heads ${nHeads}`);
  }
  if ((dim / nHeads) % 2 !== 0) {
    throw new Error(`config.json: the head size ${dim / nHeads} must be even for rotary position embeddings`);
  }
  const nLayers = positiveInt(json, 'num_hidden_layers', 22);
  const id2label = parseLabels(json);
  parseSettings(json, nLayers);
  return {
    modelType: 'modernbert',
    dim,
    nLayers,
    nHeads,
    hiddenDim: positiveInt(json, 'intermediate_size', 1152),
    maxPositionEmbeddings: positiveInt(json, 'max_position_embeddings', 8192),
    vocabSize: positiveInt(json, 'vocab_size', 50368),
    typeVocabSize: 0,
    activation,
    dropout: probability(json, 'mlp_dropout', 0),
    attentionDropout: probability(json, 'attention_dropout', 0),
    classifierDropout: probability(json, 'classifier_dropout', 0),
    layerNormEps: positiveNumber(json, 'norm_eps', 1e-5),
    sinusoidalPosEmbds: false,
    initializerRange: positiveNumber(json, 'initializer_range', 0.02),
    padTokenId: padTokenId(json, 50283),
    numLabels: id2label.length,
    id2label,
    problemType: parseProblemType(json),
    raw: json,
  };
}

function configFields(config: ModelConfig): Record<string, unknown> {
  const hiddenAct = config.raw.hidden_activation;
  return {
    model_type: 'modernbert',
    hidden_activation:
      config.activation === 'gelu_new' && hiddenAct === 'gelu_pytorch_tanh' ? hiddenAct : config.activation,
    attention_dropout: config.attentionDropout,
    mlp_dropout: config.dropout,
    classifier_dropout: config.classifierDropout,
    hidden_size: config.dim,
    initializer_range: config.initializerRange,
    intermediate_size: config.hiddenDim,
    norm_eps: config.layerNormEps,
    max_position_embeddings: config.maxPositionEmbeddings,
    num_attention_heads: config.nHeads,
    num_hidden_layers: config.nLayers,
    pad_token_id: config.padTokenId,
    vocab_size: config.vocabSize,
  };
}

/** Every parameter in ModernBertForSequenceClassification's state_dict order. */
function parameterShapes(config: ParameterDims): Map<string, number[]> {
  const { dim, hiddenDim } = config;
  const settings = modernBertSettings(config);
  const shapes = new Map<string, number[]>();
  const linearShape = (name: string, out: number, inputs: number, bias: boolean) => {
    shapes.set(`${name}.weight`, [out, inputs]);
    if (bias) shapes.set(`${name}.bias`, [out]);
  };
  const norm = (name: string) => {
    shapes.set(`${name}.weight`, [dim]);
    if (settings.normBias) shapes.set(`${name}.bias`, [dim]);
  };
  shapes.set(`${PREFIX}embeddings.tok_embeddings.weight`, [config.vocabSize, dim]);
  norm(`${PREFIX}embeddings.norm`);
  for (let layer = 0; layer < config.nLayers; layer++) {
    const at = layerPrefix(layer);
    if (layer > 0) norm(`${at}attn_norm`);
    linearShape(`${at}attn.Wqkv`, 3 * dim, dim, settings.attentionBias);
    linearShape(`${at}attn.Wo`, dim, dim, settings.attentionBias);
    norm(`${at}mlp_norm`);
    linearShape(`${at}mlp.Wi`, 2 * hiddenDim, dim, settings.mlpBias);
    linearShape(`${at}mlp.Wo`, dim, hiddenDim, settings.mlpBias);
  }
  norm(FINAL_NORM);
  linearShape('head.dense', dim, dim, settings.classifierBias);
  norm('head.norm');
  linearShape('classifier', config.numLabels, dim, true);
  return shapes;
}

const layerPrefix = (layer: number): string => `${PREFIX}layers.${layer}.`;

/** nn.Linear with or without its bias (whichever the model has): [N, in] -> [N, out]. */
function projection(params: Params, name: string, x: tf.Tensor2D): tf.Tensor2D {
  const product = matMul<tf.Tensor2D>(x, param(params, `${name}.weight`), false, true); // [N, out]
  const bias = params[`${name}.bias`];
  return bias ? tf.add(product, bias) : product;
}

/** nn.LayerNorm with or without its bias: [N, D] -> [N, D]. */
function norm(params: Params, name: string, x: tf.Tensor2D, eps: number): tf.Tensor2D {
  const gamma = param(params, `${name}.weight`) as tf.Tensor1D;
  const beta = (params[`${name}.bias`] ?? tf.zerosLike(gamma)) as tf.Tensor1D;
  return layerNormRows(x, gamma, beta, eps);
}

/**
 * ModernBertRotaryEmbedding's cos and sin for positions 0..T-1 ([T, Dh] each, the frequencies
 * repeated over both halves), in float32 as transformers computes them whatever the model's dtype.
 */
export function rotaryTables(
  seqLength: number,
  headDim: number,
  theta: number,
): [Float32Array, Float32Array] {
  const f32 = Math.fround;
  const half = headDim / 2;
  const inverseFrequency = Array.from({ length: half }, (_, j) =>
    f32(1 / f32(Math.pow(theta, f32(f32(2 * j) / headDim)))),
  );
  const cos = new Float32Array(seqLength * headDim);
  const sin = new Float32Array(seqLength * headDim);
  for (let t = 0; t < seqLength; t++) {
    for (let j = 0; j < half; j++) {
      const angle = f32(t * inverseFrequency[j]!);
      for (const column of [j, j + half]) {
        cos[t * headDim + column] = Math.cos(angle);
        sin[t * headDim + column] = Math.sin(angle);
      }
    }
  }
  return [cos, sin];
}

/**
 * apply_rotary_pos_emb on one projection: x·cos + rotate_half(x)·sin per head, rotate_half(x) =
 * [-x2, x1] over the halves of each head. x: [N, D] -> [N, D].
 */
function rotate(
  x: tf.Tensor2D,
  batch: number,
  seqLength: number,
  heads: number,
  cos: tf.Tensor,
  sin: tf.Tensor,
) {
  const [tokens, dim] = x.shape;
  const headDim = dim / heads;
  const half = headDim / 2;
  const perHead = tf.reshape(x, [batch, seqLength, heads, headDim]); // [N, D] -> [B, T, H, Dh]
  const first = tf.slice(perHead, [0, 0, 0, 0], [batch, seqLength, heads, half]); // [B, T, H, Dh/2]
  const second = tf.slice(perHead, [0, 0, 0, half], [batch, seqLength, heads, half]); // [B, T, H, Dh/2]
  const rotated = tf.concat([tf.neg(second), first], 3); // [B, T, H, Dh]
  const out = tf.add(tf.mul(perHead, cos), tf.mul(rotated, sin)); // cos, sin [1, T, 1, Dh] broadcast
  return tf.reshape(out, [tokens, dim]) as tf.Tensor2D; // [B, T, H, Dh] -> [N, D]
}

/**
 * 0 where query i may attend key j (j is not padding and |i - j| <= halfWindow), a very negative
 * score elsewhere, as create_bidirectional_sliding_window_mask gives eager attention (its float32
 * min is MASKED_SCORE here: a padded query far from every real token has its whole window masked).
 * [B, 1, T, T].
 */
function slidingWindowBias(attentionMask: tf.Tensor2D, halfWindow: number): tf.Tensor4D {
  const [batch, seqLength] = attentionMask.shape;
  const band = new Float32Array(seqLength * seqLength);
  for (let i = 0; i < seqLength; i++) {
    for (let j = 0; j < seqLength; j++) band[i * seqLength + j] = Math.abs(i - j) <= halfWindow ? 1 : 0;
  }
  const keys = tf.reshape(tf.cast(tf.cast(attentionMask, 'bool'), 'float32'), [batch, 1, 1, seqLength]); // [B, T] -> [B, 1, 1, T]
  const allowed = tf.mul(keys, tf.tensor4d(band, [1, 1, seqLength, seqLength])); // [B, 1, T, T]
  return tf.mul(tf.sub(1, allowed), MASKED_SCORE) as tf.Tensor4D;
}

/**
 * eager_attention_forward over a sliding window: softmax(scale·q·kᵀ + bias), dropout, times v.
 * q, k, v [N, D] -> the context [N, D], heads merged.
 */
function slidingWindowAttention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  heads: number,
  halfWindow: number,
  rate: number,
  opts: ForwardOptions,
  site: string,
): tf.Tensor2D {
  const [batch, seqLength] = attentionMask.shape;
  const [tokens, dim] = q.shape;
  const headDim = dim / heads;
  const split = (x: tf.Tensor2D) =>
    tf.transpose(tf.reshape(x, [batch, seqLength, heads, headDim]), [0, 2, 1, 3]); // [N, D] -> [B, H, T, Dh]
  const scores = tf.matMul(split(q), split(k), false, true); // [B, H, T, T]
  const biased = tf.add(tf.mul(scores, 1 / Math.sqrt(headDim)), slidingWindowBias(attentionMask, halfWindow));
  const weights = dropout(tf.softmax(biased, -1), rate, opts, `${site}/attention`); // [B, H, T, T]
  const context = tf.matMul(weights, split(v)); // [B, H, T, Dh]
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [tokens, dim]) as tf.Tensor2D; // [B, T, H, Dh] -> [N, D]
}

/** ModernBertEmbeddings: token embeddings, LayerNorm, dropout. [B, T] ids -> [B, T, D]. */
function embed(
  params: Params,
  config: ModelConfig,
  inputIds: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  checkSequenceLength(config, inputIds.shape[1]);
  const settings = modernBertSettings(config);
  return tf.tidy(() => {
    const [batch, seqLength] = inputIds.shape;
    const words = tableLookup(params, `${PREFIX}embeddings.tok_embeddings.weight`, int32Ids(inputIds)); // [B, T, D]
    const rows = tf.reshape<tf.Rank.R2>(words, [batch * seqLength, config.dim]); // [B, T, D] -> [N, D]
    const normed = norm(params, `${PREFIX}embeddings.norm`, rows, config.layerNormEps);
    const dropped = dropout(normed, settings.embeddingDropout, opts, 'embeddings');
    return tf.reshape(dropped, [batch, seqLength, config.dim]); // [N, D] -> [B, T, D]
  });
}

/**
 * ModernBertEncoderLayer `layer`: h + attention(attn_norm(h)), then h + mlp(mlp_norm(h)); the
 * last block ends with the final norm. [B, T, D] -> [B, T, D].
 */
function block(
  params: Params,
  config: ModelConfig,
  layer: number,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  const settings = modernBertSettings(config);
  return tf.tidy(() => {
    const [batch, seqLength, dim] = hidden.shape;
    const at = layerPrefix(layer);
    const site = `layer${layer}`;
    const heads = config.nHeads;
    const headDim = dim / heads;
    const eps = config.layerNormEps;
    const x = tf.reshape<tf.Rank.R2>(hidden, [batch * seqLength, dim]); // [B, T, D] -> [N, D]

    // Attention. The first block has no attn_norm (nn.Identity).
    const attentionInput = layer === 0 ? x : norm(params, `${at}attn_norm`, x, eps);
    const qkv = projection(params, `${at}attn.Wqkv`, attentionInput); // [N, 3D]: q, k, v side by side
    const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × [N, D]
    const layerType = settings.layerTypes[layer]!;
    const [cosValues, sinValues] = rotaryTables(seqLength, headDim, settings.ropeTheta[layerType]);
    const cos = tf.tensor4d(cosValues, [1, seqLength, 1, headDim]);
    const sin = tf.tensor4d(sinValues, [1, seqLength, 1, headDim]);
    const qRotated = rotate(q, batch, seqLength, heads, cos, sin);
    const kRotated = rotate(k, batch, seqLength, heads, cos, sin);
    const rate = opts.training ? config.attentionDropout : 0;
    const context =
      layerType === 'full_attention'
        ? attentionContext(qRotated, kRotated, v, attentionMask, heads, 1 / Math.sqrt(headDim), {
            rate,
            seed: opts.seed === undefined ? undefined : `${opts.seed}/${site}/attention`,
          })
        : slidingWindowAttention(
            qRotated,
            kRotated,
            v,
            attentionMask,
            heads,
            settings.halfWindow,
            rate,
            opts,
            site,
          ); // [N, D]
    const attended = projection(params, `${at}attn.Wo`, context);
    const afterAttention = tf.add<tf.Tensor2D>(
      x,
      dropout(attended, config.attentionDropout, opts, `${site}/attention-output`),
    );

    // GeGLU: Wi's output is the input and the gate side by side.
    const mlpInput = norm(params, `${at}mlp_norm`, afterAttention, eps);
    const [input, gate] = tf.split(projection(params, `${at}mlp.Wi`, mlpInput), 2, 1) as [
      tf.Tensor2D,
      tf.Tensor2D,
    ]; // 2 × [N, F]
    const gated = dropout(
      tf.mul<tf.Tensor2D>(activate(config.activation, input), gate),
      config.dropout,
      opts,
      `${site}/ffn`,
    );
    let out = tf.add<tf.Tensor2D>(afterAttention, projection(params, `${at}mlp.Wo`, gated)); // [N, D]

    if (layer === config.nLayers - 1) out = norm(params, FINAL_NORM, out, eps);
    return tf.reshape(out, [batch, seqLength, dim]); // [N, D] -> [B, T, D]
  });
}

/**
 * classifier_pooling: the first token's state ("cls") or the mean over the real tokens ("mean").
 * [B, T, D], mask [B, T] -> [B, D].
 */
function pool(config: ModelConfig, hidden: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  const settings = modernBertSettings(config);
  return tf.tidy(() => {
    const [batch, seqLength, dim] = hidden.shape;
    if (settings.pooling === 'cls') {
      return tf.reshape(tf.slice(hidden, [0, 0, 0], [batch, 1, dim]), [batch, dim]); // [B, 1, D] -> [B, D]
    }
    const mask = tf.cast(attentionMask, 'float32'); // [B, T]
    const summed = tf.sum(tf.mul(hidden, tf.reshape(mask, [batch, seqLength, 1])), 1); // [B, D]
    return tf.div(summed, tf.sum(mask, 1, true)) as tf.Tensor2D; // [B, D] / [B, 1]
  });
}

const HEAD: ClassificationHead = {
  dense: 'head.dense',
  activation: 'gelu',
  norm: 'head.norm',
  out: 'classifier',
  dropoutBeforeDense: false,
};
const LABEL_HEAD = ['classifier.weight', 'classifier.bias'];
const HEAD_NAMES = [
  'head.dense.weight',
  'head.dense.bias',
  'head.norm.weight',
  'head.norm.bias',
  ...LABEL_HEAD,
];

export const modernBert: Architecture = {
  modelType: 'modernbert',
  displayName: 'ModernBERT',
  classifierClass: 'ModernBertForSequenceClassification',
  parseConfig: parseModernBertConfig,
  configFields,
  parameterShapes,
  layerPrefix,
  finalNorm: FINAL_NORM,
  head: HEAD,
  headNames: HEAD_NAMES,
  labelHeadNames: LABEL_HEAD,
  canonicalName: (key, known) => {
    if (known.has(key)) return key;
    // A bare ModernBertModel checkpoint's keys have no `model.` prefix.
    return !key.startsWith('classifier.') && !key.startsWith('head.') && known.has(PREFIX + key)
      ? PREFIX + key
      : null;
  },
  embed: (params, config, inputIds, opts) => embed(params, config, inputIds, opts),
  block,
  pool,
};
