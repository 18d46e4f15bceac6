// DistilBERT configuration, read from a Hugging Face `config.json` (the fields of transformers'
// DistilBertConfig and PretrainedConfig that the model and its classification head depend on).

export type ProblemType = 'single_label_classification' | 'multi_label_classification';
export type Activation = 'gelu' | 'relu';

export interface DistilBertConfig {
  /** Hidden size of every token vector (`dim`; 768 in distilbert-base). */
  dim: number;
  /** Number of transformer blocks (`n_layers`). */
  nLayers: number;
  /** Attention heads per block (`n_heads`); `dim` must be divisible by it. */
  nHeads: number;
  /** Inner size of the feed-forward network (`hidden_dim`). */
  hiddenDim: number;
  /** Longest sequence the position embeddings cover (`max_position_embeddings`). */
  maxPositionEmbeddings: number;
  /** Rows of the word embedding matrix (`vocab_size`). */
  vocabSize: number;
  /** Feed-forward activation (`activation`): exact erf GELU or ReLU. */
  activation: Activation;
  /** Dropout on embeddings and feed-forward outputs (`dropout`). */
  dropout: number;
  /** Dropout on attention probabilities (`attention_dropout`). */
  attentionDropout: number;
  /** Dropout between pre_classifier and classifier (`seq_classif_dropout`). */
  seqClassifDropout: number;
  /** Fixed sinusoidal position embeddings instead of learned ones (`sinusoidal_pos_embds`). */
  sinusoidalPosEmbds: boolean;
  /** Standard deviation of the normal init of new Linear/Embedding weights (`initializer_range`). */
  initializerRange: number;
  /** Token id used for padding (`pad_token_id`). */
  padTokenId: number;
  /** Outputs of the classification head (`num_labels`, or the size of `id2label`). */
  numLabels: number;
  /** Label name of each output, by index (`id2label` as a dense array). */
  id2label: string[];
  /** Softmax + cross-entropy (one label per text) or sigmoid + BCE (any number of labels). */
  problemType: ProblemType;
  /** The original JSON, so an exported config.json keeps the base model's other fields. */
  raw: Record<string, unknown>;
}

const SUPPORTED_ARCHITECTURES = new Set([
  'DistilBertModel',
  'DistilBertForSequenceClassification',
  'DistilBertForMaskedLM',
  'DistilBertForTokenClassification',
  'DistilBertForQuestionAnswering',
  'DistilBertForMultipleChoice',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInt(json: Record<string, unknown>, key: string, fallback?: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`config.json: "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function probability(json: Record<string, unknown>, key: string, fallback: number): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new Error(`config.json: "${key}" must be a number in [0, 1), got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `id2label` as an array; transformers' default for a config without one is LABEL_0..LABEL_{n-1}. */
function parseLabels(json: Record<string, unknown>): string[] {
  const id2label = json.id2label;
  const declared = json.num_labels;
  if (id2label === undefined || id2label === null) {
    const count = declared === undefined ? 2 : positiveInt(json, 'num_labels');
    return Array.from({ length: count }, (_, i) => `LABEL_${i}`);
  }
  if (!isRecord(id2label)) throw new Error('config.json: "id2label" must be an object of index → name');
  const entries = Object.entries(id2label);
  const labels: string[] = new Array<string>(entries.length);
  for (const [key, name] of entries) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index >= entries.length) {
      throw new Error(
        `config.json: "id2label" keys must be 0..${entries.length - 1}, got ${JSON.stringify(key)}`,
      );
    }
    if (typeof name !== 'string') throw new Error(`config.json: id2label["${key}"] must be a string`);
    labels[index] = name;
  }
  if (declared !== undefined && declared !== entries.length) {
    throw new Error(
      `config.json: num_labels is ${String(declared)} but id2label has ${entries.length} entries`,
    );
  }
  if (new Set(labels).size !== labels.length) throw new Error('config.json: "id2label" has duplicate names');
  return labels;
}

function parseProblemType(json: Record<string, unknown>): ProblemType {
  const value = json.problem_type;
  if (value === undefined || value === null) return 'single_label_classification';
  if (value === 'single_label_classification' || value === 'multi_label_classification') return value;
  throw new Error(
    `config.json: problem_type "${String(value)}" is not supported (only single_label_classification and multi_label_classification)`,
  );
}

/** Parses a DistilBERT config.json (already JSON-decoded); throws a one-line reason on anything else. */
export function parseConfig(json: unknown): DistilBertConfig {
  if (!isRecord(json)) throw new Error('config.json is not a JSON object');
  const modelType = json.model_type;
  if (modelType !== 'distilbert') {
    throw new Error(
      modelType === undefined
        ? 'not a DistilBERT model: config.json has no model_type'
        : `not a DistilBERT model: model_type is ${String(modelType)}`,
    );
  }
  const architectures = json.architectures;
  if (Array.isArray(architectures) && architectures.length > 0) {
    const unsupported = architectures.filter((a) => typeof a !== 'string' || !SUPPORTED_ARCHITECTURES.has(a));
    if (unsupported.length === architectures.length) {
      throw new Error(`unsupported architecture ${String(unsupported[0])}: expected a DistilBert* model`);
    }
  }
  const activation = json.activation ?? 'gelu';
  if (activation !== 'gelu' && activation !== 'relu') {
    throw new Error(`config.json: activation "${String(activation)}" is not supported (gelu or relu)`);
  }
  const dim = positiveInt(json, 'dim', 768);
  const nHeads = positiveInt(json, 'n_heads', 12);
  if (dim % nHeads !== 0) throw new Error(`config.json: dim ${dim} is not divisible by n_heads ${nHeads}`);
  const id2label = parseLabels(json);
  const initializerRange = json.initializer_range ?? 0.02;
  if (typeof initializerRange !== 'number' || !(initializerRange > 0)) {
    throw new Error('config.json: "initializer_range" must be a positive number');
  }
  const padTokenId = json.pad_token_id ?? 0;
  if (typeof padTokenId !== 'number' || !Number.isInteger(padTokenId) || padTokenId < 0) {
    throw new Error('config.json: "pad_token_id" must be a non-negative integer');
  }
  const sinusoidal = json.sinusoidal_pos_embds ?? false;
  if (typeof sinusoidal !== 'boolean')
    throw new Error('config.json: "sinusoidal_pos_embds" must be a boolean');
  return {
    dim,
    nLayers: positiveInt(json, 'n_layers', 6),
    nHeads,
    hiddenDim: positiveInt(json, 'hidden_dim', 3072),
    maxPositionEmbeddings: positiveInt(json, 'max_position_embeddings', 512),
    vocabSize: positiveInt(json, 'vocab_size', 30522),
    activation,
    dropout: probability(json, 'dropout', 0.1),
    attentionDropout: probability(json, 'attention_dropout', 0.1),
    seqClassifDropout: probability(json, 'seq_classif_dropout', 0.2),
    sinusoidalPosEmbds: sinusoidal,
    initializerRange,
    padTokenId,
    numLabels: id2label.length,
    id2label,
    problemType: parseProblemType(json),
    raw: json,
  };
}

/** A copy of `config` with another label set; the classification head must be rebuilt to match. */
export function withLabels(
  config: DistilBertConfig,
  labels: string[],
  problemType?: ProblemType,
): DistilBertConfig {
  if (labels.length === 0) throw new Error('a classifier needs at least one label');
  if (new Set(labels).size !== labels.length) throw new Error('label names must be unique');
  return {
    ...config,
    id2label: [...labels],
    numLabels: labels.length,
    problemType: problemType ?? config.problemType,
  };
}

// Fields that record where a model was loaded from on someone's machine.
const LOCAL_FIELDS = ['_name_or_path', 'name_or_path', '_commit_hash'];
// Fields that belong to other heads and would mislead a loader.
const STALE_FIELDS = ['num_labels', 'finetuning_task'];

/**
 * config.json of a sequence classifier on top of `base` (the fields of a config.json): the
 * head's architecture, labels and problem type as transformers writes them, without the fields
 * that name paths on the machine the base was saved on or describe another head.
 */
export function classifierConfigJson(
  base: Readonly<Record<string, unknown>>,
  labels: readonly string[],
  problemType: ProblemType,
): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    if (!LOCAL_FIELDS.includes(key) && !STALE_FIELDS.includes(key)) json[key] = value;
  }
  json.model_type ??= 'distilbert';
  json.architectures = ['DistilBertForSequenceClassification'];
  json.id2label = Object.fromEntries(labels.map((label, id) => [String(id), label]));
  json.label2id = Object.fromEntries(labels.map((label, id) => [label, id]));
  json.problem_type = problemType;
  return json;
}

/** config.json for the fine-tuned model: the base model's fields with the parsed values and the classification head. */
export function configToJson(config: DistilBertConfig): Record<string, unknown> {
  return classifierConfigJson(
    {
      ...config.raw,
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
      seq_classif_dropout: config.seqClassifDropout,
      sinusoidal_pos_embds: config.sinusoidalPosEmbds,
      vocab_size: config.vocabSize,
    },
    config.id2label,
    config.problemType,
  );
}
