// DistilBERT for sequence classification in tfjs ops.
//
// Mirrors Hugging Face transformers, src/transformers/models/distilbert/modeling_distilbert.py:
// Embeddings, MultiHeadSelfAttention, FFN, TransformerBlock, Transformer and
// DistilBertForSequenceClassification, with the same math (LayerNorm eps 1e-12, erf GELU,
// post-LN blocks, padding masked with the float32 minimum, head on the first token), and its
// configuration (configuration_distilbert.py).
//
// Everything is a pure function of (params, config, inputs) over the shared layers (./layers.ts);
// parameters are named by their Hugging Face state_dict keys.
//
// Shapes: B batch, T sequence length, D = config.dim, F = config.hiddenDim, N = B * T.
import * as tf from '@tensorflow/tfjs-core';
import type { Architecture, ParameterDims } from './architectures.ts';
import type { ModelConfig } from './config.ts';
import {
  checkArchitectures,
  padTokenId,
  parseLabels,
  parseProblemType,
  positiveInt,
  positiveNumber,
  probability,
} from './config-fields.ts';
import { wordAndPositionEmbeddings } from './encoder-ops.ts';
import { tableParts } from './row-chunks.ts';
import {
  addLayerNorm,
  checkSequenceLength,
  DEFAULT_LAYER_NORM_EPS,
  dropout,
  dropoutAt,
  ffnInner,
  int32Ids,
  layerNorm,
  linear,
  param,
  selfAttention,
  type ClassificationHead,
  type ForwardOptions,
  type Params,
} from './layers.ts';

const LAYER_NORM_EPS = 1e-12;
const ENCODER_PREFIX = 'distilbert.';
const HEAD: ClassificationHead = {
  dense: 'pre_classifier',
  activation: 'relu',
  out: 'classifier',
  dropoutBeforeDense: false,
};
const HEAD_NAMES = ['pre_classifier.weight', 'pre_classifier.bias', 'classifier.weight', 'classifier.bias'];

const CLASSES = new Set([
  'DistilBertModel',
  'DistilBertForSequenceClassification',
  'DistilBertForMaskedLM',
  'DistilBertForTokenClassification',
  'DistilBertForQuestionAnswering',
  'DistilBertForMultipleChoice',
]);

function parseDistilBertConfig(json: Record<string, unknown>): ModelConfig {
  checkArchitectures(json, CLASSES, 'DistilBert*');
  const activation = json.activation ?? 'gelu';
  if (activation !== 'gelu' && activation !== 'relu') {
    throw new Error(`config.json: activation "${String(activation)}" is not supported (gelu or relu)`);
  }
  const dim = positiveInt(json, 'dim', 768);
  const nHeads = positiveInt(json, 'n_heads', 12);
  if (dim % nHeads !== 0) throw new Error(`config.json: dim ${dim} is not divisible by n_heads ${nHeads}`);
  const id2label = parseLabels(json);
  const sinusoidal = json.sinusoidal_pos_embds ?? false;
  if (typeof sinusoidal !== 'boolean')
    throw new Error('config.json: "sinusoidal_pos_embds" must be a boolean');
  return {
    modelType: 'distilbert',
    dim,
    nLayers: positiveInt(json, 'n_layers', 6),
    nHeads,
    hiddenDim: positiveInt(json, 'hidden_dim', 3072),
    maxPositionEmbeddings: positiveInt(json, 'max_position_embeddings', 512),
    vocabSize: positiveInt(json, 'vocab_size', 30522),
    typeVocabSize: 0,
    activation,
    dropout: probability(json, 'dropout', 0.1),
    attentionDropout: probability(json, 'attention_dropout', 0.1),
    classifierDropout: probability(json, 'seq_classif_dropout', 0.2),
    layerNormEps: LAYER_NORM_EPS,
    sinusoidalPosEmbds: sinusoidal,
    initializerRange: positiveNumber(json, 'initializer_range', 0.02),
    padTokenId: padTokenId(json, 0),
    numLabels: id2label.length,
    id2label,
    problemType: parseProblemType(json),
    raw: json,
  };
}

function configFields(config: ModelConfig): Record<string, unknown> {
  return {
    model_type: 'distilbert',
    activation: config.activation,
    attention_dropout: config.attentionDropout,
    dim: config.dim,
    dropout: config.dropout,
    hidden_dim: config.hiddenDim,
    initializer_range: config.initializerRange,
    max_position_embeddings: config.maxPositionEmbeddings,
    n_heads: config.nHeads,
    n_layers: config.nLayers,
    pad_token_id: config.padTokenId,
    seq_classif_dropout: config.classifierDropout,
    sinusoidal_pos_embds: config.sinusoidalPosEmbds,
    vocab_size: config.vocabSize,
  };
}

const LAYER_PARTS: ReadonlyArray<readonly [string, (c: ParameterDims) => number[]]> = [
  ['attention.q_lin.weight', (c) => [c.dim, c.dim]],
  ['attention.q_lin.bias', (c) => [c.dim]],
  ['attention.k_lin.weight', (c) => [c.dim, c.dim]],
  ['attention.k_lin.bias', (c) => [c.dim]],
  ['attention.v_lin.weight', (c) => [c.dim, c.dim]],
  ['attention.v_lin.bias', (c) => [c.dim]],
  ['attention.out_lin.weight', (c) => [c.dim, c.dim]],
  ['attention.out_lin.bias', (c) => [c.dim]],
  ['sa_layer_norm.weight', (c) => [c.dim]],
  ['sa_layer_norm.bias', (c) => [c.dim]],
  ['ffn.lin1.weight', (c) => [c.hiddenDim, c.dim]],
  ['ffn.lin1.bias', (c) => [c.hiddenDim]],
  ['ffn.lin2.weight', (c) => [c.dim, c.hiddenDim]],
  ['ffn.lin2.bias', (c) => [c.dim]],
  ['output_layer_norm.weight', (c) => [c.dim]],
  ['output_layer_norm.bias', (c) => [c.dim]],
];

const layerPrefix = (layer: number): string => `${ENCODER_PREFIX}transformer.layer.${layer}.`;

function parameterShapes(config: ParameterDims): Map<string, number[]> {
  const shapes = new Map<string, number[]>([
    [`${ENCODER_PREFIX}embeddings.word_embeddings.weight`, [config.vocabSize, config.dim]],
    [`${ENCODER_PREFIX}embeddings.position_embeddings.weight`, [config.maxPositionEmbeddings, config.dim]],
    [`${ENCODER_PREFIX}embeddings.LayerNorm.weight`, [config.dim]],
    [`${ENCODER_PREFIX}embeddings.LayerNorm.bias`, [config.dim]],
  ]);
  for (let layer = 0; layer < config.nLayers; layer++) {
    for (const [part, shape] of LAYER_PARTS) shapes.set(layerPrefix(layer) + part, shape(config));
  }
  shapes.set('pre_classifier.weight', [config.dim, config.dim]);
  shapes.set('pre_classifier.bias', [config.dim]);
  shapes.set('classifier.weight', [config.numLabels, config.dim]);
  shapes.set('classifier.bias', [config.numLabels]);
  return shapes;
}

/** Bare DistilBertModel checkpoints store encoder keys without the `distilbert.` prefix. */
function canonicalName(key: string, known: ReadonlySet<string>): string | null {
  if (known.has(key)) return key;
  const prefixed = ENCODER_PREFIX + key;
  if (!HEAD_NAMES.includes(key) && known.has(prefixed)) return prefixed;
  return null;
}

/** Embeddings: word + position embeddings, LayerNorm, dropout. [B, T] ids -> [B, T, D]. */
export function embed(
  params: Params,
  config: ModelConfig,
  inputIds: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [, seqLength] = inputIds.shape;
    checkSequenceLength(config, seqLength);
    const summed = wordAndPositionEmbeddings(
      tableParts(params, 'distilbert.embeddings.word_embeddings.weight') as tf.Tensor2D[],
      param(params, 'distilbert.embeddings.position_embeddings.weight') as tf.Tensor2D,
      int32Ids(inputIds),
    ); // [B, T, D]: word rows of the ids plus positions 0..T−1
    const embeddings = layerNorm(params, 'distilbert.embeddings.LayerNorm', summed);
    return dropout(embeddings, config.dropout, opts, 'embeddings') as tf.Tensor3D;
  });
}

/** One TransformerBlock: attention, add & LayerNorm, FFN, add & LayerNorm. [B, T, D] -> [B, T, D]. */
export function transformerLayer(
  params: Params,
  config: ModelConfig,
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
      {
        query: `${prefix}attention.q_lin`,
        key: `${prefix}attention.k_lin`,
        value: `${prefix}attention.v_lin`,
        output: `${prefix}attention.out_lin`,
      },
      x,
      attentionMask,
      opts,
      site,
    );
    const attended = addLayerNorm(params, `${prefix}sa_layer_norm`, attention, x);
    const inner = ffnInner(params, config.activation, `${prefix}ffn.lin1`, attended); // [N, F]
    const ffn = linear(params, `${prefix}ffn.lin2`, inner); // [N, D], dropped out inside the LayerNorm's input
    const out = addLayerNorm(
      params,
      `${prefix}output_layer_norm`,
      ffn,
      attended,
      DEFAULT_LAYER_NORM_EPS,
      dropoutAt(config.dropout, opts, `${site}/ffn`),
    );
    return tf.reshape(out, [batch, seqLength, dim]); // [N, D] -> [B, T, D]
  });
}

export const distilBert: Architecture = {
  modelType: 'distilbert',
  displayName: 'DistilBERT',
  classifierClass: 'DistilBertForSequenceClassification',
  parseConfig: parseDistilBertConfig,
  configFields,
  parameterShapes,
  layerPrefix,
  head: HEAD,
  headNames: HEAD_NAMES,
  labelHeadNames: ['classifier.weight', 'classifier.bias'],
  canonicalName,
  embed,
  block: transformerLayer,
};
