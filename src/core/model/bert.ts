// BERT for sequence classification in tfjs ops, and the encoder RoBERTa shares (./roberta.ts).
//
// Mirrors Hugging Face transformers, src/transformers/models/bert/modeling_bert.py:
// BertEmbeddings (word + learned absolute position + token type embeddings, LayerNorm, dropout),
// BertSelfAttention / BertSelfOutput, BertIntermediate / BertOutput (post-LN blocks), BertPooler
// (dense + tanh on the first token) and BertForSequenceClassification (dropout, classifier), and
// its configuration (configuration_bert.py). Covers bert-base, multilingual BERT and MiniLM-style
// checkpoints, which are BertModels of other sizes.
//
// Everything is a pure function of (params, config, inputs) over the shared layers (./layers.ts);
// parameters are named by their Hugging Face state_dict keys.
//
// Shapes: B batch, T sequence length, D = config.dim, F = config.hiddenDim, N = B * T.
import * as tf from '@tensorflow/tfjs-core';
import type { Architecture, ParameterDims } from './architectures.ts';
import type { Activation, ModelConfig, ModelType } from './config.ts';
import {
  checkArchitectures,
  nonNegativeInt,
  padTokenId,
  parseLabels,
  parseProblemType,
  positiveInt,
  positiveNumber,
  probability,
} from './config-fields.ts';
import {
  addLayerNorm,
  checkSequenceLength,
  dropout,
  dropoutAt,
  embeddingLookup,
  ffnInner,
  int32Ids,
  layerNorm,
  linear,
  param,
  tableLookup,
  selfAttention,
  type ClassificationHead,
  type EncodeOptions,
  type ForwardOptions,
  type Params,
} from './layers.ts';

/** ACT2FN names the blocks run; "gelu_pytorch_tanh" is the same function as "gelu_new". */
export const BERT_ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_new',
  gelu_pytorch_tanh: 'gelu_new',
  relu: 'relu',
};

/**
 * The fields BertConfig and RobertaConfig / XLMRobertaConfig share (the same names and meaning;
 * only the defaults differ).
 */
export function parseBertLikeConfig(
  json: Record<string, unknown>,
  modelType: ModelType,
  defaults: {
    maxPositionEmbeddings: number;
    typeVocabSize: number;
    vocabSize: number;
    layerNormEps: number;
    padTokenId: number;
  },
): ModelConfig {
  const hiddenAct = json.hidden_act ?? 'gelu';
  const activation = typeof hiddenAct === 'string' ? BERT_ACTIVATIONS[hiddenAct] : undefined;
  if (!activation) {
    throw new Error(
      `config.json: hidden_act "${String(hiddenAct)}" is not supported (${Object.keys(BERT_ACTIVATIONS).join(', ')})`,
    );
  }
  const positionType = json.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    throw new Error(
      `config.json: position_embedding_type "${String(positionType)}" is not supported (absolute only)`,
    );
  }
  const dim = positiveInt(json, 'hidden_size', 768);
  const nHeads = positiveInt(json, 'num_attention_heads', 12);
  if (dim % nHeads !== 0) {
    throw new Error(`config.json: hidden_size ${dim} is not divisible by num_attention_heads ${nHeads}`);
  }
  const id2label = parseLabels(json);
  const dropoutRate = probability(json, 'hidden_dropout_prob', 0.1);
  return {
    modelType,
    dim,
    nLayers: positiveInt(json, 'num_hidden_layers', 12),
    nHeads,
    hiddenDim: positiveInt(json, 'intermediate_size', 3072),
    maxPositionEmbeddings: positiveInt(json, 'max_position_embeddings', defaults.maxPositionEmbeddings),
    vocabSize: positiveInt(json, 'vocab_size', defaults.vocabSize),
    typeVocabSize: nonNegativeInt(json, 'type_vocab_size', defaults.typeVocabSize),
    activation,
    dropout: dropoutRate,
    attentionDropout: probability(json, 'attention_probs_dropout_prob', 0.1),
    // transformers: classifier_dropout if set, else hidden_dropout_prob.
    classifierDropout: probability(json, 'classifier_dropout', dropoutRate),
    layerNormEps: positiveNumber(json, 'layer_norm_eps', defaults.layerNormEps),
    sinusoidalPosEmbds: false,
    initializerRange: positiveNumber(json, 'initializer_range', 0.02),
    padTokenId: padTokenId(json, defaults.padTokenId),
    numLabels: id2label.length,
    id2label,
    problemType: parseProblemType(json),
    raw: json,
  };
}

/** The config.json fields a BERT-like config stands for. */
export function bertLikeConfigFields(config: ModelConfig): Record<string, unknown> {
  const hiddenAct = config.raw.hidden_act;
  return {
    model_type: config.modelType,
    // Keep "gelu_pytorch_tanh" as written: it computes the same as "gelu_new".
    hidden_act:
      config.activation === 'gelu_new' && hiddenAct === 'gelu_pytorch_tanh' ? hiddenAct : config.activation,
    attention_probs_dropout_prob: config.attentionDropout,
    hidden_dropout_prob: config.dropout,
    hidden_size: config.dim,
    initializer_range: config.initializerRange,
    intermediate_size: config.hiddenDim,
    layer_norm_eps: config.layerNormEps,
    max_position_embeddings: config.maxPositionEmbeddings,
    num_attention_heads: config.nHeads,
    num_hidden_layers: config.nLayers,
    pad_token_id: config.padTokenId,
    type_vocab_size: config.typeVocabSize,
    vocab_size: config.vocabSize,
  };
}

/** The parameters of embeddings and blocks of a BERT-like encoder under `prefix` ("bert.", "roberta."). */
export function bertLikeEncoderShapes(prefix: string, config: ParameterDims): Map<string, number[]> {
  const { dim, hiddenDim } = config;
  const shapes = new Map<string, number[]>([
    [`${prefix}embeddings.word_embeddings.weight`, [config.vocabSize, dim]],
    [`${prefix}embeddings.position_embeddings.weight`, [config.maxPositionEmbeddings, dim]],
  ]);
  if (config.typeVocabSize > 0) {
    shapes.set(`${prefix}embeddings.token_type_embeddings.weight`, [config.typeVocabSize, dim]);
  }
  shapes.set(`${prefix}embeddings.LayerNorm.weight`, [dim]);
  shapes.set(`${prefix}embeddings.LayerNorm.bias`, [dim]);
  for (let layer = 0; layer < config.nLayers; layer++) {
    const at = `${prefix}encoder.layer.${layer}.`;
    for (const part of [
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
    ]) {
      shapes.set(`${at}${part}.weight`, [dim, dim]);
      shapes.set(`${at}${part}.bias`, [dim]);
    }
    shapes.set(`${at}attention.output.LayerNorm.weight`, [dim]);
    shapes.set(`${at}attention.output.LayerNorm.bias`, [dim]);
    shapes.set(`${at}intermediate.dense.weight`, [hiddenDim, dim]);
    shapes.set(`${at}intermediate.dense.bias`, [hiddenDim]);
    shapes.set(`${at}output.dense.weight`, [dim, hiddenDim]);
    shapes.set(`${at}output.dense.bias`, [dim]);
    shapes.set(`${at}output.LayerNorm.weight`, [dim]);
    shapes.set(`${at}output.LayerNorm.bias`, [dim]);
  }
  return shapes;
}

/**
 * A checkpoint key's canonical name in a BERT-like model under `prefix`: TF-era LayerNorm names
 * (`LayerNorm.gamma` / `.beta`, as bert-base-uncased stores them) become `.weight` / `.bias`, and
 * bare *Model checkpoints' keys (no prefix) get it; keys of other heads (`cls.*`, `lm_head.*`)
 * have none.
 */
export function bertLikeCanonicalName(
  prefix: string,
  labelHeadPrefix: string,
  key: string,
  known: ReadonlySet<string>,
): string | null {
  const renamed = key
    .replace(/LayerNorm\.gamma$/, 'LayerNorm.weight')
    .replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  if (known.has(renamed)) return renamed;
  if (!renamed.startsWith(labelHeadPrefix) && known.has(prefix + renamed)) return prefix + renamed;
  return null;
}

/**
 * Embeddings: word + position + token type embeddings, LayerNorm, dropout. [B, T] ids -> [B, T, D].
 * `positionIds` [B, T] where positions depend on the ids (RoBERTa); else positions 0..T-1.
 */
export function bertLikeEmbed(
  prefix: string,
  params: Params,
  config: ModelConfig,
  inputIds: tf.Tensor2D,
  opts: ForwardOptions & Pick<EncodeOptions, 'tokenTypeIds'>,
  positionIds?: tf.Tensor2D,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [, seqLength] = inputIds.shape;
    const ids = int32Ids(inputIds);
    const words = tableLookup(params, `${prefix}embeddings.word_embeddings.weight`, ids); // [B, T, D]
    const positionTable = param(params, `${prefix}embeddings.position_embeddings.weight`);
    const positions = positionIds
      ? embeddingLookup(positionTable, positionIds) // [B, T, D]
      : tf.slice(positionTable, [0, 0], [seqLength, config.dim]); // [T, D], broadcast over B
    let summed = tf.add(words, positions);
    if (config.typeVocabSize > 0) {
      const typeTable = param(params, `${prefix}embeddings.token_type_embeddings.weight`);
      // transformers' default token_type_ids are zeros: row 0 for every token.
      const types = opts.tokenTypeIds
        ? embeddingLookup(typeTable, int32Ids(opts.tokenTypeIds)) // [B, T, D]
        : tf.slice(typeTable, [0, 0], [1, config.dim]); // [1, D], broadcast over B and T
      summed = tf.add(summed, types);
    }
    const embeddings = layerNorm(params, `${prefix}embeddings.LayerNorm`, summed, config.layerNormEps);
    return dropout(embeddings, config.dropout, opts, 'embeddings') as tf.Tensor3D;
  });
}

/**
 * A block's self-attention with its output projection, before the residual: x [N, D] -> [N, D].
 * `at` is the block's name prefix, `site` its dropout site.
 */
export type BlockAttention = (
  params: Params,
  config: ModelConfig,
  at: string,
  x: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
  site: string,
) => tf.Tensor2D;

/** BertSelfAttention and BertSelfOutput's dense, with padded keys masked out. */
const bertAttention: BlockAttention = (params, config, at, x, attentionMask, opts, site) =>
  selfAttention(
    params,
    config,
    {
      query: `${at}attention.self.query`,
      key: `${at}attention.self.key`,
      value: `${at}attention.self.value`,
      output: `${at}attention.output.dense`,
    },
    x,
    attentionMask,
    opts,
    site,
  );

/**
 * One BertLayer: self-attention (BERT's, or a family's own under the same names, as DeBERTa's
 * disentangled attention), BertSelfOutput (dropout, add & LayerNorm), intermediate dense +
 * activation, BertOutput (dense, dropout, add & LayerNorm). [B, T, D] -> [B, T, D].
 */
export function bertLikeLayer(
  prefix: string,
  params: Params,
  config: ModelConfig,
  layer: number,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
  attend: BlockAttention = bertAttention,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [batch, seqLength, dim] = hidden.shape;
    const at = `${prefix}encoder.layer.${layer}.`;
    const site = `layer${layer}`;
    const x = tf.reshape<tf.Rank.R2>(hidden, [batch * seqLength, dim]); // [B, T, D] -> [N, D]
    const attention = attend(params, config, at, x, attentionMask, opts, site);
    const attended = addLayerNorm(
      params,
      `${at}attention.output.LayerNorm`,
      attention,
      x,
      config.layerNormEps,
      dropoutAt(config.dropout, opts, `${site}/attention-output`),
    );
    const inner = ffnInner(params, config.activation, `${at}intermediate.dense`, attended); // [N, F]
    const ffn = linear(params, `${at}output.dense`, inner); // [N, D], dropped out inside the LayerNorm's input
    const out = addLayerNorm(
      params,
      `${at}output.LayerNorm`,
      ffn,
      attended,
      config.layerNormEps,
      dropoutAt(config.dropout, opts, `${site}/ffn`),
    );
    return tf.reshape(out, [batch, seqLength, dim]); // [N, D] -> [B, T, D]
  });
}

const PREFIX = 'bert.';
const HEAD: ClassificationHead = {
  dense: 'bert.pooler.dense',
  activation: 'tanh',
  out: 'classifier',
  dropoutBeforeDense: false,
};
const LABEL_HEAD = ['classifier.weight', 'classifier.bias'];

const CLASSES = new Set([
  'BertModel',
  'BertForSequenceClassification',
  'BertForMaskedLM',
  'BertForPreTraining',
  'BertForNextSentencePrediction',
  'BertForTokenClassification',
  'BertForQuestionAnswering',
  'BertForMultipleChoice',
  'BertLMHeadModel',
]);

function parseBertConfig(json: Record<string, unknown>): ModelConfig {
  checkArchitectures(json, CLASSES, 'Bert*');
  return parseBertLikeConfig(json, 'bert', {
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    vocabSize: 30522,
    layerNormEps: 1e-12,
    padTokenId: 0,
  });
}

function parameterShapes(config: ParameterDims): Map<string, number[]> {
  const shapes = bertLikeEncoderShapes(PREFIX, config);
  shapes.set('bert.pooler.dense.weight', [config.dim, config.dim]);
  shapes.set('bert.pooler.dense.bias', [config.dim]);
  shapes.set('classifier.weight', [config.numLabels, config.dim]);
  shapes.set('classifier.bias', [config.numLabels]);
  return shapes;
}

export const bert: Architecture = {
  modelType: 'bert',
  displayName: 'BERT',
  classifierClass: 'BertForSequenceClassification',
  parseConfig: parseBertConfig,
  configFields: bertLikeConfigFields,
  parameterShapes,
  layerPrefix: (layer) => `${PREFIX}encoder.layer.${layer}.`,
  head: HEAD,
  headNames: ['bert.pooler.dense.weight', 'bert.pooler.dense.bias', ...LABEL_HEAD],
  labelHeadNames: LABEL_HEAD,
  canonicalName: (key, known) => bertLikeCanonicalName(PREFIX, 'classifier.', key, known),
  embed: (params, config, inputIds, opts) => {
    checkSequenceLength(config, inputIds.shape[1]);
    return bertLikeEmbed(PREFIX, params, config, inputIds, opts);
  },
  block: (params, config, layer, hidden, attentionMask, opts) =>
    bertLikeLayer(PREFIX, params, config, layer, hidden, attentionMask, opts),
};
