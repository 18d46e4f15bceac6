// The plain data an export is built from. Nothing here depends on tfjs or on how the model was
// trained, so the studio (from an in-memory model) and the CLI (from a run folder) share one path.
import type { SplitFile } from '../dataset/index.ts';
import type { ProblemType } from '../model/index.ts';
import type { QuantizationCheck } from './quantization.ts';

/** One float32 parameter under its Hugging Face name, in PyTorch layout (Linear weights are [out, in]). */
export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export type { ProblemType };

/** The base model's tokenizer files, as served by the Hub or dropped by the user. */
export interface TokenizerFiles {
  /** `tokenizer.json` text (required: transformers.js and fast tokenizers read it). */
  tokenizerJson: string;
  /** `vocab.txt` text; generated from tokenizer.json's WordPiece vocabulary when absent. */
  vocabTxt?: string;
  /** Parsed `tokenizer_config.json` of the base model, if it had one. */
  tokenizerConfig?: Record<string, unknown>;
  /** Parsed `special_tokens_map.json` of the base model, if it had one. */
  specialTokensMap?: Record<string, unknown>;
}

/** Precision, recall, F1 and support of one label on one split. */
export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Evaluation of one split. Every field is optional: the card shows what is there. */
export interface SplitMetrics {
  /** Headline numbers, e.g. { loss, accuracy, macro_f1 } (multi-label: micro_f1, subset_accuracy, ...). */
  scalars?: Record<string, number>;
  perClass?: ClassMetrics[];
  /** Single-label: rows = true label, columns = predicted label, in label id order. */
  confusionMatrix?: number[][];
}

export interface ExportMetrics {
  validation?: SplitMetrics;
  test?: SplitMetrics;
  /** Step or epoch whose weights were kept, when the run kept its best checkpoint. */
  bestStep?: number;
  bestEpoch?: number;
}

/** Aggregate facts about the training data. Counts only: no text from the data set belongs here. */
export interface DataSummary {
  rows: number;
  /** Single-label rows with an empty label cell: kept aside as unlabelled, not trained on. */
  unlabelledRows?: number;
  /** Rows per label over the whole data set, keyed by label name. */
  labelCounts?: Record<string, number>;
  splits?: { train?: number; validation?: number; test?: number };
  /** Data checks and how many rows each flagged (e.g. { name: 'duplicates removed', count: 12 }). */
  checks?: { name: string; count: number }[];
  /** Token length statistics of the texts, e.g. { p50: 18, p95: 61, max: 240, truncated: 3 }. */
  tokenLengths?: Record<string, number>;
}

/**
 * Where the base model was loaded from: a hub (its base URL, https://huggingface.co or another)
 * or a folder (on disk, or dropped in the studio). A run folder keeps it in
 * training_args.json's finetune_studio.base_model_origin: the hub's URL, or "folder".
 */
export type BaseModelOrigin = { kind: 'hub'; url: string } | { kind: 'folder' };

/**
 * Everything an export needs. `trainingArgs` uses Hugging Face `TrainingArguments` names
 * (learning_rate, num_train_epochs, per_device_train_batch_size, ...); `studio` extras that
 * TrainingArguments has no field for (max length, columns, training mode) go in `studioSettings`.
 */
export interface ExportInput {
  /** The base model's parsed config.json; labels and architecture are set by the export. */
  config: Record<string, unknown>;
  weights: readonly NamedTensor[];
  tokenizer: TokenizerFiles;
  /** Label names in id order. */
  labels: readonly string[];
  problemType: ProblemType;
  /** Maximum sequence length the run tokenized to; becomes tokenizer_config.json's model_max_length. */
  maxLength: number;
  /** Hub repository id of the base model (e.g. "distilbert/distilbert-base-uncased"), or a display name. */
  baseModel: string;
  /** Unknown for runs that did not record it: a Hub-id-like name is then taken to be on the Hub. */
  baseModelOrigin?: BaseModelOrigin;
  trainingArgs: Record<string, unknown>;
  studioSettings?: Record<string, unknown>;
  metrics?: ExportMetrics;
  dataSummary?: DataSummary;
  /** Multi-label decision thresholds per label, in id order (default 0.5). */
  thresholds?: readonly number[];
  /** The int8 model's check on the validation split; onnx/model_quantized.onnx ships only when accepted. */
  quantization?: QuantizationCheck;
  /**
   * onnx/model.onnx as already written for the run's inference (core/infer's ModelGraphs writes
   * the same bytes from the same weights and labels), so a run's graph is written once; written
   * here when absent.
   */
  onnxModel?: Uint8Array;
  /**
   * The run's split by 1-based data row (split.json), so that train.py trains on the same rows
   * when it is given the same file; the reading settings go in `studioSettings` (`dataReadingJson`).
   */
  splitFile?: SplitFile;
}

/** One file of the exported folder. */
export interface ExportFile {
  path: string;
  bytes: Uint8Array;
}
