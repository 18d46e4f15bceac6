// DeBERTa-v2 / DeBERTa-v3 for sequence classification in tfjs ops.
//
// Mirrors Hugging Face transformers, src/transformers/models/deberta_v2/modeling_deberta_v2.py:
// DebertaV2Embeddings (word embeddings, absolute positions only when position_biased_input,
// token types when type_vocab_size > 0, LayerNorm, padded tokens zeroed, dropout),
// DisentangledSelfAttention (content-to-content plus content-to-position "c2p" and
// position-to-content "p2c" scores over log-bucketed relative positions, keys shared with the
// content projections when share_att_key), DebertaV2SelfOutput / Intermediate / Output (post-LN
// blocks), the encoder's relative embeddings with their LayerNorm (norm_rel_ebd "layer_norm"),
// ContextPooler (dense + activation on the first token) and DebertaV2ForSequenceClassification
// (dropout, classifier); configuration_deberta_v2.py for the config. The enhanced mask decoder is
// part of pre-training only and absent from the classifier.
//
// The relative embeddings and their LayerNorm serve every block; they train in full fine-tuning
// and stay fixed otherwise (a cached bottom of the encoder reads them too). The pooler's own
// dropout (pooler_dropout, 0 in every published DeBERTa-v3 config) is not applied; the dropout
// before the classifier is cls_dropout, else hidden_dropout_prob, as transformers.
//
// Shapes: B batch, T sequence length, D = config.dim, H heads, Dh = D / H, F = config.hiddenDim,
// N = B * T, S = the attention span (position_buckets, else max_relative_positions), L labels.
import * as tf from '@tensorflow/tfjs-core';
import type { Architecture, ParameterDims } from './architectures.ts';
import { BERT_ACTIVATIONS, bertLikeConfigFields, bertLikeLayer, type BlockAttention } from './bert.ts';
import type { Activation, ModelConfig } from './config.ts';
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
import { MASKED_SCORE } from './encoder-ops.ts';
import {
  checkSequenceLength,
  dropout,
  embeddingLookup,
  int32Ids,
  layerNorm,
  linear,
  param,
  tableLookup,
  type ClassificationHead,
  type EncodeOptions,
  type ForwardOptions,
  type Params,
} from './layers.ts';

const PREFIX = 'deberta.';

/** What DeBERTa-v2's config says beyond the fields every family shares. */
export interface DebertaSettings {
  relativeAttention: boolean;
  /** Log-bucketed relative positions when > 0 (DeBERTa-v3: 256). */
  positionBuckets: number;
  /** The largest relative distance the buckets reach (max_relative_positions, else max_position_embeddings). */
  maxRelativePositions: number;
  /** Rows of relative embeddings each side of distance 0: S, the table holding 2S. */
  span: number;
  shareAttentionKey: boolean;
  contentToPosition: boolean;
  positionToContent: boolean;
  normRelativeEmbeddings: boolean;
  positionBiasedInput: boolean;
}

function flag(json: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = json[key] ?? fallback;
  if (typeof value !== 'boolean') throw new Error(`config.json: "${key}" must be true or false`);
  return value;
}

function parseSettings(json: Record<string, unknown>): DebertaSettings {
  const relativeAttention = flag(json, 'relative_attention', false);
  const rawTypes = json.pos_att_type ?? [];
  const types =
    typeof rawTypes === 'string'
      ? rawTypes
          .toLowerCase()
          .split('|')
          .map((t) => t.trim())
      : rawTypes;
  if (!Array.isArray(types) || !types.every((t) => t === 'c2p' || t === 'p2c')) {
    throw new Error('config.json: "pos_att_type" must list "c2p" and/or "p2c"');
  }
  const buckets = typeof json.position_buckets === 'number' ? json.position_buckets : -1;
  const declaredMax = typeof json.max_relative_positions === 'number' ? json.max_relative_positions : -1;
  const maxRelativePositions =
    declaredMax < 1 ? positiveInt(json, 'max_position_embeddings', 512) : Math.floor(declaredMax);
  const norms = String(json.norm_rel_ebd ?? 'none')
    .toLowerCase()
    .split('|')
    .map((n) => n.trim());
  if (nonNegativeInt(json, 'conv_kernel_size', 0) > 0) {
    throw new Error(
      'config.json: the convolution layer (conv_kernel_size) of DeBERTa-v2 xlarge is not supported',
    );
  }
  const dim = positiveInt(json, 'hidden_size', 1536);
  if (json.embedding_size !== undefined && json.embedding_size !== null && json.embedding_size !== dim) {
    throw new Error(
      `config.json: embedding_size ${String(json.embedding_size)} differs from hidden_size ${dim}, which is not supported`,
    );
  }
  if (json.pooler_hidden_size !== undefined && json.pooler_hidden_size !== dim) {
    throw new Error(
      `config.json: pooler_hidden_size ${String(json.pooler_hidden_size)} differs from hidden_size ${dim}, which is not supported`,
    );
  }
  return {
    relativeAttention,
    positionBuckets: buckets > 0 ? Math.floor(buckets) : -1,
    maxRelativePositions,
    span: buckets > 0 ? Math.floor(buckets) : maxRelativePositions,
    shareAttentionKey: flag(json, 'share_att_key', false),
    contentToPosition: relativeAttention && types.includes('c2p'),
    positionToContent: relativeAttention && types.includes('p2c'),
    normRelativeEmbeddings: norms.includes('layer_norm'),
    positionBiasedInput: flag(json, 'position_biased_input', true),
  };
}

// A config is parsed once; its settings are read on every forward pass.
const settingsCache = new WeakMap<Record<string, unknown>, DebertaSettings>();

export function debertaSettings(config: Pick<ModelConfig, 'raw'>): DebertaSettings {
  let settings = settingsCache.get(config.raw);
  if (!settings) {
    settings = parseSettings(config.raw);
    settingsCache.set(config.raw, settings);
  }
  return settings;
}

const CLASSES = new Set([
  'DebertaV2Model',
  'DebertaV2ForMaskedLM',
  'DebertaV2ForSequenceClassification',
  'DebertaV2ForTokenClassification',
  'DebertaV2ForQuestionAnswering',
  'DebertaV2ForMultipleChoice',
  'DebertaV2ForPreTraining',
]);

function activationOf(json: Record<string, unknown>, key: string): Activation {
  const name = json[key] ?? 'gelu';
  const activation = typeof name === 'string' ? BERT_ACTIVATIONS[name] : undefined;
  if (!activation) {
    throw new Error(
      `config.json: ${key} "${String(name)}" is not supported (${Object.keys(BERT_ACTIVATIONS).join(', ')})`,
    );
  }
  return activation;
}

function parseDebertaConfig(json: Record<string, unknown>): ModelConfig {
  checkArchitectures(json, CLASSES, 'DebertaV2*');
  const activation = activationOf(json, 'hidden_act');
  if (activationOf(json, 'pooler_hidden_act') !== 'gelu') {
    throw new Error(
      `config.json: pooler_hidden_act "${String(json.pooler_hidden_act)}" is not supported (gelu)`,
    );
  }
  const dim = positiveInt(json, 'hidden_size', 1536);
  const nHeads = positiveInt(json, 'num_attention_heads', 24);
  if (dim % nHeads !== 0) {
    throw new Error(`config.json: hidden_size ${dim} is not divisible by num_attention_heads ${nHeads}`);
  }
  if (json.attention_head_size !== undefined && json.attention_head_size !== dim / nHeads) {
    throw new Error(
      'config.json: an attention_head_size other than hidden_size / num_attention_heads is not supported',
    );
  }
  parseSettings(json);
  const id2label = parseLabels(json);
  const dropoutRate = probability(json, 'hidden_dropout_prob', 0.1);
  return {
    modelType: 'deberta-v2',
    dim,
    nLayers: positiveInt(json, 'num_hidden_layers', 24),
    nHeads,
    hiddenDim: positiveInt(json, 'intermediate_size', 6144),
    maxPositionEmbeddings: positiveInt(json, 'max_position_embeddings', 512),
    vocabSize: positiveInt(json, 'vocab_size', 128100),
    typeVocabSize: nonNegativeInt(json, 'type_vocab_size', 0),
    activation,
    dropout: dropoutRate,
    attentionDropout: probability(json, 'attention_probs_dropout_prob', 0.1),
    classifierDropout: probability(json, 'cls_dropout', dropoutRate),
    layerNormEps: positiveNumber(json, 'layer_norm_eps', 1e-7),
    sinusoidalPosEmbds: false,
    initializerRange: positiveNumber(json, 'initializer_range', 0.02),
    padTokenId: padTokenId(json, 0),
    numLabels: id2label.length,
    id2label,
    problemType: parseProblemType(json),
    raw: json,
  };
}

/** BERT's config.json fields under the same names, and the pooler's width. */
function configFields(config: ModelConfig): Record<string, unknown> {
  return { ...bertLikeConfigFields(config), pooler_hidden_size: config.dim };
}

const layerPrefix = (layer: number): string => `${PREFIX}encoder.layer.${layer}.`;
const REL_EMBEDDINGS = `${PREFIX}encoder.rel_embeddings.weight`;
const REL_NORM = `${PREFIX}encoder.LayerNorm`;

/** Every parameter in DebertaV2ForSequenceClassification's state_dict order. */
function parameterShapes(config: ParameterDims): Map<string, number[]> {
  const { dim, hiddenDim } = config;
  const settings = debertaSettings(config);
  const shapes = new Map<string, number[]>([
    [`${PREFIX}embeddings.word_embeddings.weight`, [config.vocabSize, dim]],
  ]);
  if (settings.positionBiasedInput) {
    shapes.set(`${PREFIX}embeddings.position_embeddings.weight`, [config.maxPositionEmbeddings, dim]);
  }
  if (config.typeVocabSize > 0) {
    shapes.set(`${PREFIX}embeddings.token_type_embeddings.weight`, [config.typeVocabSize, dim]);
  }
  shapes.set(`${PREFIX}embeddings.LayerNorm.weight`, [dim]);
  shapes.set(`${PREFIX}embeddings.LayerNorm.bias`, [dim]);
  const linearShape = (name: string, out: number, inputs: number) => {
    shapes.set(`${name}.weight`, [out, inputs]);
    shapes.set(`${name}.bias`, [out]);
  };
  for (let layer = 0; layer < config.nLayers; layer++) {
    const at = layerPrefix(layer);
    linearShape(`${at}attention.self.query_proj`, dim, dim);
    linearShape(`${at}attention.self.key_proj`, dim, dim);
    linearShape(`${at}attention.self.value_proj`, dim, dim);
    if (settings.relativeAttention && !settings.shareAttentionKey) {
      if (settings.contentToPosition) linearShape(`${at}attention.self.pos_key_proj`, dim, dim);
      if (settings.positionToContent) linearShape(`${at}attention.self.pos_query_proj`, dim, dim);
    }
    linearShape(`${at}attention.output.dense`, dim, dim);
    shapes.set(`${at}attention.output.LayerNorm.weight`, [dim]);
    shapes.set(`${at}attention.output.LayerNorm.bias`, [dim]);
    linearShape(`${at}intermediate.dense`, hiddenDim, dim);
    linearShape(`${at}output.dense`, dim, hiddenDim);
    shapes.set(`${at}output.LayerNorm.weight`, [dim]);
    shapes.set(`${at}output.LayerNorm.bias`, [dim]);
  }
  if (settings.relativeAttention) {
    shapes.set(REL_EMBEDDINGS, [2 * settings.span, dim]);
    if (settings.normRelativeEmbeddings) {
      shapes.set(`${REL_NORM}.weight`, [dim]);
      shapes.set(`${REL_NORM}.bias`, [dim]);
    }
  }
  linearShape('pooler.dense', dim, dim);
  linearShape('classifier', config.numLabels, dim);
  return shapes;
}

const HEAD: ClassificationHead = {
  dense: 'pooler.dense',
  activation: 'gelu',
  out: 'classifier',
  dropoutBeforeDense: false,
};
const LABEL_HEAD = ['classifier.weight', 'classifier.bias'];

/**
 * make_log_bucket_position for one relative distance: distances within ±bucketSize/2 stay as they
 * are, longer ones map logarithmically onto the rest of the buckets, in float32 as torch computes
 * them.
 */
export function logBucketPosition(distance: number, bucketSize: number, maxPosition: number): number {
  const f32 = Math.fround;
  const mid = Math.floor(bucketSize / 2);
  const absolute = distance < mid && distance > -mid ? mid - 1 : Math.abs(distance);
  if (absolute <= mid) return distance;
  const ratio = f32(f32(Math.log(f32(absolute / mid))) / f32(Math.log(f32((maxPosition - 1) / mid))));
  const logPosition = Math.ceil(f32(ratio * (mid - 1))) + mid;
  return Math.sign(distance) * logPosition;
}

/** build_relative_position's bucket of query i to key j for a distance d = i − j. */
function relativeBucket(distance: number, settings: DebertaSettings): number {
  return settings.positionBuckets > 0
    ? logBucketPosition(distance, settings.positionBuckets, settings.maxRelativePositions)
    : distance;
}

/**
 * For each distance d = T−1−c (c = 0 … 2T−2), the relative-embedding row a score reads:
 * clamp(sign·bucket(d) + S, 0, 2S−1), sign +1 for c2p and −1 for p2c (its index is −bucket).
 */
function distanceRows(seqLength: number, settings: DebertaSettings, sign: 1 | -1): Int32Array {
  const rows = new Int32Array(2 * seqLength - 1);
  for (let c = 0; c < rows.length; c++) {
    const bucket = sign * relativeBucket(seqLength - 1 - c, settings);
    rows[c] = Math.min(2 * settings.span - 1, Math.max(0, bucket + settings.span));
  }
  return rows;
}

/**
 * The relative-embedding row of every distance d = i − j a sequence within the position limit
 * has, at index d + limit − 1 (what an ONNX graph looks its [T, T] index up in).
 */
export function relativeRowsByDistance(limit: number, settings: DebertaSettings, sign: 1 | -1): Int32Array {
  return distanceRows(limit, settings, sign).reverse();
}

/**
 * Scores of each query against the relative embedding of every distance, cut to its own keys:
 * torch.gather(x · (table W + b)ᵀ, -1, index) where index[i, j] is `rows` of the distance i − j.
 * Only the 2T−1 rows the distances read are gathered (through the embedding lookup, whose
 * gradient is a scatter-add on every backend) and projected, instead of all 2S: the products
 * shrink from [T, 2S] to [T, 2T−1] per head, and no score column is gathered. Then each query's
 * window of T distances is cut out by the relative shift (a flat view offset by T−1 with rows of
 * 2T−2). x: [B, H, T, Dh] (queries for c2p, keys for p2c), table [2S, D] -> [B·H, T, T].
 */
function scoresByDistance(
  params: Params,
  x: tf.Tensor4D,
  table: tf.Tensor2D,
  projection: string,
  rows: Int32Array,
): tf.Tensor3D {
  const [batch, heads, seqLength] = x.shape;
  const m = batch * heads;
  const distances = rows.length; // 2T−1
  const picked = tf.reshape<tf.Rank.R2>(embeddingLookup(table, tf.tensor2d(rows, [1, distances], 'int32')), [
    distances,
    table.shape[1],
  ]); // [1, 2T−1, D] -> [2T−1, D]
  const keys = splitHeads(linear(params, projection, picked), 1, distances, heads); // [1, H, 2T−1, Dh]
  const raw = tf.matMul(x, tf.tile(keys, [batch, 1, 1, 1]), false, true); // [B, H, T, 2T−1]
  const byDistance = tf.reshape<tf.Rank.R3>(raw, [m, seqLength, distances]); // [B·H, T, 2T−1]
  if (seqLength === 1) return byDistance;
  // Row i needs columns T−1−i … 2T−2−i: in the flat row-major view they start at (T−1) + i·(2T−2).
  const flat = tf.reshape(byDistance, [m, seqLength * distances]); // [M, T·(2T−1)]
  const shifted = tf.slice(flat, [0, seqLength - 1], [m, seqLength * (2 * seqLength - 2)]); // [M, T·(2T−2)]
  const windows = tf.reshape<tf.Rank.R3>(shifted, [m, seqLength, 2 * seqLength - 2]); // [M, T, 2T−2]
  return tf.slice(windows, [0, 0, 0], [m, seqLength, seqLength]); // [M, T, T]
}

/** Heads split from rows: [B·T or R, D] -> [B, H, T, Dh] (`batch` 1 for relative embeddings). */
function splitHeads(x: tf.Tensor2D, batch: number, seqLength: number, heads: number): tf.Tensor4D {
  const headDim = x.shape[1] / heads;
  return tf.transpose(tf.reshape(x, [batch, seqLength, heads, headDim]), [0, 2, 1, 3]); // [.., D] -> [B, T, H, Dh] -> [B, H, T, Dh]
}

/** The encoder's relative embeddings, normalised when the config says so: [2S, D]. */
function relativeEmbeddings(params: Params, config: ModelConfig, settings: DebertaSettings): tf.Tensor2D {
  const table = param(params, REL_EMBEDDINGS) as tf.Tensor2D;
  return settings.normRelativeEmbeddings ? layerNorm(params, REL_NORM, table, config.layerNormEps) : table;
}

/**
 * masked_fill of the scores wherever query i or key j is padding (get_attention_mask's pairwise
 * mask): a padded query's row is all masked, so its softmax is uniform as in transformers. Filled
 * rather than added, so no sum leaves the float range. scores [B, H, T, T], mask [B, T] ->
 * [B, H, T, T].
 */
function pairwiseMasked(scores: tf.Tensor4D, attentionMask: tf.Tensor2D): tf.Tensor4D {
  const [batch, seqLength] = attentionMask.shape;
  const real = tf.cast(attentionMask, 'bool');
  const pairs = tf.logicalAnd(
    tf.reshape(real, [batch, 1, seqLength, 1]),
    tf.reshape(real, [batch, 1, 1, seqLength]),
  ); // [B, 1, T, T]
  const allowed = tf.broadcastTo(pairs, scores.shape); // [B, H, T, T]
  return tf.where(allowed, scores, tf.fill(scores.shape, MASKED_SCORE)) as tf.Tensor4D;
}

/**
 * DisentangledSelfAttention and its output projection: q·kᵀ plus the c2p and p2c scores, all
 * divided by √(Dh·(1 + number of position terms)), the pairwise mask, softmax, dropout, times v.
 * x: [N, D] -> [N, D].
 */
const disentangledAttention: BlockAttention = (params, config, at, x, attentionMask, opts, site) => {
  const settings = debertaSettings(config);
  const [batch, seqLength] = attentionMask.shape;
  const heads = config.nHeads;
  const headDim = config.dim / heads;
  const self = `${at}attention.self.`;
  const q = splitHeads(linear(params, `${self}query_proj`, x), batch, seqLength, heads); // [B, H, T, Dh]
  const k = splitHeads(linear(params, `${self}key_proj`, x), batch, seqLength, heads); // [B, H, T, Dh]
  const v = splitHeads(linear(params, `${self}value_proj`, x), batch, seqLength, heads); // [B, H, T, Dh]
  const scaleFactor = 1 + (settings.contentToPosition ? 1 : 0) + (settings.positionToContent ? 1 : 0);
  const scale = 1 / Math.sqrt(headDim * scaleFactor);
  let scores = tf.matMul(q, k, false, true) as tf.Tensor4D; // [B, H, T, T]
  if (settings.contentToPosition || settings.positionToContent) {
    const relative = dropout(
      relativeEmbeddings(params, config, settings),
      config.dropout,
      opts,
      `${site}/relative-embeddings`,
    ); // [2S, D]
    if (settings.contentToPosition) {
      const keyName = settings.shareAttentionKey ? `${self}key_proj` : `${self}pos_key_proj`;
      const c2p = scoresByDistance(params, q, relative, keyName, distanceRows(seqLength, settings, 1)); // [M, T, T]
      scores = tf.add(scores, tf.reshape(c2p, [batch, heads, seqLength, seqLength]));
    }
    if (settings.positionToContent) {
      const queryName = settings.shareAttentionKey ? `${self}query_proj` : `${self}pos_query_proj`;
      const byKey = scoresByDistance(params, k, relative, queryName, distanceRows(seqLength, settings, -1)); // [M, T(keys), T(queries)]
      const p2c = tf.transpose(byKey, [0, 2, 1]); // [M, T(queries), T(keys)]
      scores = tf.add(scores, tf.reshape(p2c, [batch, heads, seqLength, seqLength]));
    }
  }
  const biased = pairwiseMasked(tf.mul(scores, scale), attentionMask);
  const weights = dropout(tf.softmax(biased, -1), config.attentionDropout, opts, `${site}/attention`); // [B, H, T, T]
  const context = tf.matMul(weights, v); // [B, H, T, Dh]
  const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [
    batch * seqLength,
    config.dim,
  ]) as tf.Tensor2D; // [B, T, H, Dh] -> [N, D]
  return linear(params, `${at}attention.output.dense`, merged);
};

/**
 * DebertaV2Embeddings: words (+ positions 0..T−1 when position_biased_input, + token types),
 * LayerNorm, padded tokens zeroed, dropout. [B, T] ids -> [B, T, D].
 */
function embed(params: Params, config: ModelConfig, inputIds: tf.Tensor2D, opts: EncodeOptions): tf.Tensor3D {
  checkSequenceLength(config, inputIds.shape[1]);
  const settings = debertaSettings(config);
  return tf.tidy(() => {
    const [batch, seqLength] = inputIds.shape;
    const ids = int32Ids(inputIds);
    let summed: tf.Tensor3D = tableLookup(params, `${PREFIX}embeddings.word_embeddings.weight`, ids); // [B, T, D]
    if (settings.positionBiasedInput) {
      const table = param(params, `${PREFIX}embeddings.position_embeddings.weight`);
      summed = tf.add(summed, tf.slice(table, [0, 0], [seqLength, config.dim])) as tf.Tensor3D; // [T, D], broadcast over B
    }
    if (config.typeVocabSize > 0) {
      const typeTable = param(params, `${PREFIX}embeddings.token_type_embeddings.weight`);
      const types = opts.tokenTypeIds
        ? embeddingLookup(typeTable, int32Ids(opts.tokenTypeIds)) // [B, T, D]
        : tf.slice(typeTable, [0, 0], [1, config.dim]); // [1, D]: transformers' default type 0
      summed = tf.add(summed, types) as tf.Tensor3D;
    }
    let embeddings = layerNorm(
      params,
      `${PREFIX}embeddings.LayerNorm`,
      summed,
      config.layerNormEps,
    ) as tf.Tensor3D;
    if (opts.attentionMask) {
      const real = tf.reshape(tf.cast(tf.cast(opts.attentionMask, 'bool'), 'float32'), [batch, seqLength, 1]); // [B, T] -> [B, T, 1]
      embeddings = tf.mul(embeddings, real) as tf.Tensor3D;
    }
    return dropout(embeddings, config.dropout, opts, 'embeddings');
  });
}

/**
 * DebertaV2Layer: BERT's block (SelfOutput, Intermediate, Output under the same names) around the
 * disentangled attention. [B, T, D] -> [B, T, D].
 */
function block(
  params: Params,
  config: ModelConfig,
  layer: number,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor3D {
  return bertLikeLayer(PREFIX, params, config, layer, hidden, attentionMask, opts, disentangledAttention);
}

/** Bare DebertaV2Model checkpoints store encoder keys without the `deberta.` prefix. */
function canonicalName(key: string, known: ReadonlySet<string>): string | null {
  if (known.has(key)) return key;
  if (!key.startsWith('classifier.') && !key.startsWith('pooler.') && known.has(PREFIX + key))
    return PREFIX + key;
  return null;
}

export const debertaV2: Architecture = {
  modelType: 'deberta-v2',
  displayName: 'DeBERTa-v2',
  classifierClass: 'DebertaV2ForSequenceClassification',
  parseConfig: parseDebertaConfig,
  configFields,
  parameterShapes,
  layerPrefix,
  head: HEAD,
  headNames: ['pooler.dense.weight', 'pooler.dense.bias', ...LABEL_HEAD],
  labelHeadNames: LABEL_HEAD,
  canonicalName,
  sharedByBlocks: (config) => {
    const settings = debertaSettings(config);
    if (!settings.contentToPosition && !settings.positionToContent) return [];
    return [
      REL_EMBEDDINGS,
      ...(settings.normRelativeEmbeddings ? [`${REL_NORM}.weight`, `${REL_NORM}.bias`] : []),
    ];
  },
  embed,
  block,
};
