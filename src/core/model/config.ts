// A model's configuration, read from a Hugging Face `config.json` by its family's parser (the
// fields of transformers' *Config and PretrainedConfig that the encoder and its classification
// head depend on), under one set of names for every family.
import { architectureFor, architectureOf } from './architectures.ts';
import { isRecord } from './config-fields.ts';

export type ProblemType = 'single_label_classification' | 'multi_label_classification';
/** ACT2FN names: exact erf GELU, its tanh approximation ("gelu_new", "gelu_pytorch_tanh"), ReLU. */
export type Activation = 'gelu' | 'gelu_new' | 'relu';
/** config.json's `model_type` of every family the studio trains (architectures.ts). */
export type ModelType = 'distilbert' | 'bert' | 'roberta' | 'xlm-roberta' | 'modernbert' | 'deberta-v2';

export interface ModelConfig {
  /** The family (`model_type`), which the architecture registry maps to its model code. */
  modelType: ModelType;
  /** Hidden size of every token vector (`dim` / `hidden_size`; 768 in the base models). */
  dim: number;
  /** Number of transformer blocks (`n_layers` / `num_hidden_layers`). */
  nLayers: number;
  /** Attention heads per block (`n_heads` / `num_attention_heads`); `dim` must be divisible by it. */
  nHeads: number;
  /** Inner size of the feed-forward network (`hidden_dim` / `intermediate_size`). */
  hiddenDim: number;
  /** Rows of the position embedding table (`max_position_embeddings`). */
  maxPositionEmbeddings: number;
  /** Rows of the word embedding matrix (`vocab_size`). */
  vocabSize: number;
  /** Rows of the token type (segment) table (`type_vocab_size`); 0 for families without one. */
  typeVocabSize: number;
  /** Feed-forward activation (`activation` / `hidden_act`). */
  activation: Activation;
  /** Dropout on embeddings and block outputs (`dropout` / `hidden_dropout_prob`). */
  dropout: number;
  /** Dropout on attention probabilities (`attention_dropout` / `attention_probs_dropout_prob`). */
  attentionDropout: number;
  /** Dropout in the classification head (`seq_classif_dropout` / `classifier_dropout`). */
  classifierDropout: number;
  /** Epsilon of every LayerNorm (`layer_norm_eps`; DistilBERT's is fixed at 1e-12). */
  layerNormEps: number;
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

/** Parses a config.json (already JSON-decoded) of a supported family; throws a one-line reason on anything else. */
export function parseConfig(json: unknown): ModelConfig {
  if (!isRecord(json)) throw new Error('config.json is not a JSON object');
  return architectureFor(json.model_type).parseConfig(json);
}

/** A copy of `config` with another label set; the classification head must be rebuilt to match. */
export function withLabels(config: ModelConfig, labels: string[], problemType?: ProblemType): ModelConfig {
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
 * config.json of a sequence classifier on top of `base` (the fields of a config.json; a config
 * without `model_type` is DistilBERT's, as the studio's first exports wrote it): the head's
 * architecture, labels and problem type as transformers writes them, without the fields that
 * name paths on the machine the base was saved on or describe another head.
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
  json.architectures = [architectureFor(json.model_type).classifierClass];
  json.id2label = Object.fromEntries(labels.map((label, id) => [String(id), label]));
  json.label2id = Object.fromEntries(labels.map((label, id) => [label, id]));
  json.problem_type = problemType;
  return json;
}

/** config.json for the fine-tuned model: the base model's fields with the parsed values and the classification head. */
export function configToJson(config: ModelConfig): Record<string, unknown> {
  return classifierConfigJson(
    { ...config.raw, ...architectureOf(config).configFields(config) },
    config.id2label,
    config.problemType,
  );
}
