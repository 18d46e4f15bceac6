// The one message protocol between the page and its two workers (data and train).
// Every message carries `type`; every event carries the `requestId` or `runId` of the command it
// answers, so a client can drop events of a request it has already abandoned. Typed arrays travel
// in transfer lists (see `transferablesOf`), never as copies.
import type { AdapterInfo, BackendFallback, BackendName, BackendTimings } from '../core/backend/index.ts';
import type { DataReading, EditList, RowEdit, SplitFile } from '../core/dataset/index.ts';
import type { MappedColumns, BaseModelOrigin, DataSummary, ExportMetrics } from '../core/export/index.ts';
import type { LabelQualityScore, RowLabelIssue } from '../core/quality/index.ts';
import type { MapStage } from '../core/map/index.ts';
import type { Suggestion, UncertaintyStrategy } from '../core/active/index.ts';
import type { SamplerName, SearchSpace, Direction, Trial } from '../core/search/index.ts';
import type {
  LiveSettings,
  TrainConfig,
  TrainEvent as LoopEvent,
  StoredFeatureCache,
} from '../core/train/index.ts';
import type { EncodedDataset, EncodedSplit } from '../core/tokenize/index.ts';

export type { AdapterInfo, BackendName } from '../core/backend/index.ts';
/** What the data worker hands the training worker: the core's encoded dataset, buffers transferred. */
export type { EncodedDataset, EncodedSplit } from '../core/tokenize/index.ts';

// ---------------------------------------------------------------------------------------------
// Shared shapes

/** Where a model's files come from; structured-cloneable, so both workers can open the same source. */
export type ModelSourceSpec =
  | { kind: 'hub'; baseUrl: string; repo: string; revision: string }
  | { kind: 'files'; label: string; files: File[] };

export interface WorkerError {
  message: string;
  /** What the user can do about it, in plain words. */
  hint?: string;
}

export interface BackendReport {
  name: BackendName;
  adapter?: AdapterInfo;
  /** `adapter` as one line, e.g. `google · swiftshader`. */
  adapterLabel: string;
  fallbacks: BackendFallback[];
  /** One sentence on why this is not the best backend, or '' when it is. */
  fallbackMessage: string;
  forced: boolean;
  /** True for SwiftShader-like adapters: correct but far slower than a real GPU. */
  softwareAdapter: boolean;
  limits?: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  /** WASM: the threads it computes on. */
  threads?: number;
  /** WASM on one thread although more were wanted: why (not cross-origin isolated, …). */
  threadsNote?: string;
  /** What Automatic timed (ms per test step), and whether the figures came from its cache. */
  timings?: { ms: BackendTimings; cached: boolean };
}

// ---------------------------------------------------------------------------------------------
// Data worker

export type DataInput =
  | { kind: 'file'; file: File }
  | { kind: 'text'; name: string; text: string }
  /** A same-origin URL (bundled samples); the worker streams the response body. */
  | { kind: 'url'; name: string; url: string };

export type DataStage = 'reading' | 'parsing' | 'checking' | 'splitting' | 'tokenizing' | 'encoding';

export interface ColumnMapping {
  textColumns: number[];
  labelColumn: number;
  splitColumn: number | null;
  idColumn: number | null;
  multiLabel: boolean;
  labelSeparator: string;
  caseFold: boolean;
}

export interface SplitSettings {
  train: number;
  validation: number;
  test: number;
  seed: number;
  dropDuplicates: boolean;
}

export interface ParseReport {
  fileName: string;
  bytes: number;
  encoding: string;
  /** Set when the file was not valid UTF-8 and was read as Windows-1252. */
  encodingNotice?: string;
  delimiter: string;
  hasHeader: boolean;
  columns: string[];
  /** Data rows read so far (all of them once `complete`). */
  rowCount: number;
  complete: boolean;
  /** What was detected and anything unusual, in sentences. */
  notices: string[];
}

export interface OpenedDataset {
  parse: ParseReport;
  guess: ColumnMapping;
  /** Label counts under the guessed mapping, so the chart appears before confirmation. */
  labelCounts: LabelCount[];
  /** Per column: average length and distinct values, for the mapping form. */
  columnStats: { name: string; averageLength: number; distinct: number; empty: number }[];
  /** Why each column was guessed as it was, in sentences. */
  guessReasons: string[];
  /** The first rows, sent along so the preview never starts empty. */
  head: string[][];
}

export interface LabelCount {
  label: string;
  count: number;
}

export interface CheckResult {
  id: string;
  title: string;
  severity: 'fatal' | 'dropped' | 'warning' | 'info';
  count: number;
  /** 1-based data row numbers (the first 50; `count` has the total, the CSV download has all). */
  rows: number[];
  /** How many row numbers the check has in all (the download holds them all). */
  rowTotal: number;
  detail: string;
}

export type SplitName = 'train' | 'validation' | 'test';

export interface SplitSummary {
  sizes: Record<SplitName, number>;
  /** Per label: how many examples of it each split holds. */
  perClass: { label: string; train: number; validation: number; test: number }[];
  notes: string[];
}

export interface DatasetAnalysis {
  mapping: ColumnMapping;
  labels: string[];
  labelCounts: LabelCount[];
  kept: number;
  /** Single-label rows with an empty label cell: neither trained on nor dropped (0 for multi-label). */
  unlabelled: number;
  dropped: number;
  checks: CheckResult[];
  /** Why the dataset cannot be trained on as it is (one class, id-like labels), or null. */
  fatal: string | null;
  /** Absent when `fatal` is set. */
  splits: SplitSummary | null;
  notices: string[];
  /** The data version analysed: the edit list's version the rows were edited to (0: none). */
  dataVersion: number;
  /** Rows the analyst's edits left out, relabelled, and marked as reviewed. */
  edited: { dropped: number; relabelled: number; kept: number };
}

export interface TokenStats {
  modelMaxLength: number;
  /** Token count (with special tokens) of every kept row, untruncated; transferred. */
  lengths: Int32Array;
  suggestedMaxLength: number;
  percentiles: { p50: number; p95: number; max: number };
}

export type DataCommand =
  | { type: 'open'; requestId: string; input: DataInput }
  | { type: 'rows'; requestId: string; start: number; count: number }
  /** `edits`: each edited row's latest edit (core/dataset/edits), applied before the checks. */
  | {
      type: 'analyze';
      requestId: string;
      mapping: ColumnMapping;
      split: SplitSettings;
      edits: RowEdit[];
      dataVersion: number;
    }
  /** `key`: a run's own tokenizer (its id), kept beside the loaded model's instead of replacing it. */
  | { type: 'loadTokenizer'; requestId: string; source: string; files: Record<string, string>; key?: string }
  | { type: 'tokenize'; requestId: string }
  /** `tokenizer`: encode with that run's own tokenizer (see `loadTokenizer`'s key), not the loaded one. */
  | { type: 'encode'; requestId: string; maxLength: number; tokenizer?: string }
  | { type: 'exportRows'; requestId: string; checkId: string }
  /** The upload with the edits applied, written as the upload was (columns, delimiter, encoding). */
  | { type: 'exportCorrected'; requestId: string; edits: EditList }
  /** Tokenizes texts typed by the user (the playground) with the loaded tokenizer. */
  | { type: 'encodeTexts'; requestId: string; texts: string[]; maxLength: number; tokenizer?: string }
  /** The analysed data's unlabelled rows, tokenized with the loaded tokenizer or a run's own (`tokenizer`). */
  | { type: 'encodeUnlabelled'; requestId: string; maxLength: number; tokenizer?: string }
  /** How the current file was read and split, for an export's train.py (training_args.json, split.json). */
  | { type: 'dataRecipe'; requestId: string }
  | { type: 'cancel'; requestId: string };

export type DataEvent =
  | {
      type: 'progress';
      requestId: string;
      stage: DataStage;
      done: number;
      total: number | null;
      unit: 'bytes' | 'rows';
      rows: number;
      ratePerSec: number;
    }
  /** The preview, guesses and label counts from the first rows, while the rest is still parsed. */
  | { type: 'sniffed'; requestId: string; dataset: OpenedDataset }
  | { type: 'opened'; requestId: string; dataset: OpenedDataset }
  | { type: 'rows'; requestId: string; start: number; rows: string[][] }
  | { type: 'analyzed'; requestId: string; analysis: DatasetAnalysis }
  | { type: 'tokenizerLoaded'; requestId: string; modelMaxLength: number; vocabSize: number }
  | { type: 'tokenized'; requestId: string; stats: TokenStats }
  | { type: 'encoded'; requestId: string; data: EncodedDataset }
  | { type: 'exported'; requestId: string; fileName: string; blob: Blob }
  | { type: 'encodedTexts'; requestId: string; ids: Int32Array; offsets: Int32Array }
  /** `rows`: 1-based data rows; row i's ids are ids[offsets[i] .. offsets[i + 1]). */
  | {
      type: 'encodedUnlabelled';
      requestId: string;
      rows: Int32Array;
      texts: string[];
      ids: Int32Array;
      offsets: Int32Array;
    }
  | ({ type: 'dataRecipe'; requestId: string } & DataRecipe)
  | { type: 'cancelled'; requestId: string }
  | ({ type: 'error'; requestId: string } & WorkerError);

// ---------------------------------------------------------------------------------------------
// Train worker

export interface FileProgress {
  file: string;
  loaded: number;
  /** null when the server sent no Content-Length. */
  total: number | null;
  fromCache: boolean;
}

export interface LoadReport {
  /** Checkpoint tensors the classifier does not use (e.g. an MLM head). */
  ignored: string[];
  /** Parameters the checkpoint lacked, freshly initialised. */
  missing: string[];
  /** Parameters replaced because the labels changed. */
  reinitialised: string[];
  /** What happened, in sentences. */
  message: string;
}

/** Seconds of one inference forward pass through every layer ≈ overheadSec + tokens × secPerToken. */
export type { ForwardTiming } from '../core/train/index.ts';
import type { ForwardTiming } from '../core/train/index.ts';

export interface ModelSummary {
  source: string;
  architecture: string;
  parameters: number;
  layers: number;
  dim: number;
  heads: number;
  hiddenDim: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  labels: string[];
  multiLabel: boolean;
  weightBytes: number;
  report: LoadReport;
  /** The classification head's parameters made at load rather than read (core/model's headMadeAtLoad). */
  headMadeAtLoad: string[];
  /** A forward pass timed on this backend, for the time estimates; null until measured (see `modelTiming`). */
  forwardTiming: ForwardTiming | null;
}

export type { TrainConfig } from '../core/train/index.ts';

/** A training run's events as the core loop emits them (step, eval, state, notices, done, …). */
export type RunLoopEvent = LoopEvent;

/**
 * A checkpoint to persist, as a safetensors file built in the worker (a Blob: posting it copies
 * nothing, and the page writes it to storage as it is).
 */
export interface RunCheckpoint {
  step: number;
  epoch: number;
  /**
   * `best`: the trainable weights of the kept checkpoint so far. `epoch`: what the run resumes
   * from after a reload, taken at an epoch's end: the trainable weights, the optimizer's moments
   * and the loop's bookkeeping (format 2 of src/workers/resume.ts).
   */
  kind: 'best' | 'epoch';
  file: Blob;
}

/** Continue an interrupted run from its last epoch checkpoint. */
export interface RunResume {
  step: number;
  /** Whole epochs already done. */
  epoch: number;
  /** The stored `epoch` checkpoint file. */
  checkpoint: Blob;
  /**
   * The stored best checkpoint, for a checkpoint from an older studio (format 1, weights only);
   * a format-2 checkpoint carries its own.
   */
  best?: { step: number; epoch: number; value: number; file: Blob };
}

/** What the run finished with, for the Evaluate and Export steps. */
export interface RunOutcome {
  reason: 'completed' | 'early_stopped' | 'stopped' | 'device_lost';
  message: string;
  best: { step: number; epoch: number; metric: string; value: number } | null;
  /** Scalar validation metrics of the kept checkpoint. */
  validation: Record<string, number> | null;
  /** Scalar test metrics of the kept checkpoint. */
  test: Record<string, number> | null;
  /** Test probabilities [n, labels], true labels and 1-based source rows. */
  testPredictions: { rows: Int32Array; labels: Int32Array | Uint8Array; probabilities: Float32Array } | null;
  thresholds: number[] | null;
  /**
   * The kept weights of the trainable parameters, as a safetensors file built in the worker: the
   * page stores the Blob without reading or copying its bytes (268 MB for distilbert-base).
   */
  weights: Blob | null;
  /** Settings as they ended (live changes, out-of-memory halving). */
  config: TrainConfig;
  notices: string[];
  /** The run's own model (not the loaded one): what the page stores to rebuild it after a reload. */
  model?: RunModelFiles;
}

/** Aggregates and settings the export needs beyond the weights (no user text). */
/**
 * How the data was read and split. `splitFile` is null where split.json cannot describe the run's
 * rows as the file holds them (edited rows, a separate test file); `note` then says why.
 */
export interface DataRecipe {
  reading: DataReading;
  splitFile: SplitFile | null;
  note: string | null;
}

export interface RunExportRequest {
  baseModel: string;
  baseModelOrigin?: BaseModelOrigin;
  /** The columns the run trained on, recorded in training_args.json. */
  columns?: MappedColumns;
  /** How the file was read and split, when the data is still the run's. */
  dataRecipe?: DataRecipe;
  maxLength: number;
  metrics: ExportMetrics;
  dataSummary: DataSummary;
  thresholds?: number[];
  /** `run`: the run folder (checkpoint and metadata) for the CLI instead of the model zip. */
  layout?: 'model' | 'run';
  /** A distilled run: its teacher and settings, kept as training_args.json's finetune_studio.distillation. */
  distillation?: Record<string, unknown>;
  /** A model trained elsewhere and only evaluated here: finetune_studio.evaluated_only. */
  evaluatedOnly?: boolean;
  /** The run's validation split, to check the int8 ONNX model on (it ships only if it keeps its margin). */
  validation?: { split: EncodedSplit; padTokenId: number; maxLength: number };
}

/**
 * A run trained as the student of a finished run (the teacher), on α · the labels' loss +
 * (1 − α) · T² · the teacher's softened outputs. The student is `layers` of the teacher's blocks
 * (see core/distill/student), or another model that `loadStudent` loaded for the run: the run's
 * `data` is then encoded with the student's tokenizer and `teacherData` holds the same rows
 * encoded with the teacher's.
 */
export interface RunDistillation {
  teacherRunId: string;
  student: { kind: 'layers'; layers: number } | { kind: 'model'; teacherData: EncodedDataset };
  alpha: number;
  temperature: number;
}

/**
 * A run's own model when it is not the loaded one (a student of another model): config.json as the
 * run trains it and the tokenizer files. The page stores it beside the run's weights.
 */
export interface RunModelFiles {
  config: Record<string, unknown>;
  tokenizerFiles: Record<string, string>;
}

/** What the Distil form shows of a student model once it loads. */
export interface StudentSummary {
  source: string;
  modelType: string;
  layers: number;
  parameters: number;
  /** The model's limit in tokens (config.json's max_position_embeddings). */
  maxPositionEmbeddings: number;
  /** The load report (head made for the labels, tensors ignored), in sentences. */
  message: string;
}

export type TrainCommand =
  | { type: 'init'; requestId: string; backend?: BackendName; threads?: number }
  | {
      type: 'loadModel';
      requestId: string;
      source: ModelSourceSpec;
      /** The dataset's labels, when known: a head that does not match is rebuilt for them. */
      labels?: string[];
      multiLabel?: boolean;
    }
  | {
      type: 'train';
      runId: string;
      config: TrainConfig;
      data: EncodedDataset;
      resume?: RunResume;
      /** Train a student of this finished run instead of a copy of the loaded model. */
      distill?: RunDistillation;
      /** Score the loaded model as it is (trained elsewhere) on validation and test, with no step. */
      evaluateOnly?: boolean;
    }
  | { type: 'control'; runId: string; action: 'pause' | 'resume' | 'stop' }
  /** A live change of any of the running run's settings, applied at its next step. */
  | { type: 'update'; runId: string; settings: Partial<LiveSettings> }
  /** Gives the worker a finished run's weights (after a reload), for predictions and export. */
  | {
      type: 'attachRun';
      requestId: string;
      runId: string;
      labels: string[];
      multiLabel: boolean;
      config: TrainConfig;
      weights: Uint8Array;
      /** A distilled run's block count; absent for a run with the loaded model's shape. */
      layers?: number;
      /** The run's own model (a student of another model); its weights hold every parameter. */
      model?: RunModelFiles;
    }
  /**
   * Loads another model as the student of the run `runId` about to be distilled (answered by
   * `studentLoaded` with its tokenizer files, for the data worker): its config and weights with the
   * data's labels and a fresh head, kept until that run's `train` command takes it.
   */
  | {
      type: 'loadStudent';
      requestId: string;
      runId: string;
      source: ModelSourceSpec;
      labels: string[];
      multiLabel: boolean;
      seed: number;
    }
  | { type: 'dropRun'; runId: string }
  /**
   * Rows per second of each run's classifier over the same rows (after one untimed batch each),
   * for comparing a student with its teacher on this device.
   */
  | { type: 'predictionSpeed'; requestId: string; runs: PredictionSpeedRun[] }
  /**
   * Probabilities of already tokenized texts under a run's weights. `tokenizer` is the data
   * worker's tokenizer that encoded them: absent for the loaded model's, the run's id for a run
   * with its own model (`RunModelFiles`); the worker refuses ids of another tokenizer than the run's.
   */
  | {
      type: 'predict';
      requestId: string;
      runId: string;
      ids: Int32Array;
      offsets: Int32Array;
      tokenizer?: string;
    }
  | { type: 'exportRun'; requestId: string; runId: string; request: RunExportRequest }
  /** The frozen-feature caches kept in OPFS: list them, delete one or all, set the budget. */
  | { type: 'featureStore'; requestId: string; action: FeatureStoreAction }
  /**
   * Label issues of the data under a run's settings: K fold models trained from the loaded model
   * (core/quality), each row's held-out probabilities, confident learning over them.
   */
  | {
      type: 'labelIssues';
      requestId: string;
      config: TrainConfig;
      data: EncodedDataset;
      folds: number;
      score: LabelQualityScore;
    }
  | { type: 'cancelLabelIssues'; requestId: string }
  /**
   * The data map under a finished run (workers/mapHost.ts): every row's pooled features from the
   * loaded model, a seeded PCA + UMAP layout of them, and the run's probabilities for every row.
   */
  | {
      type: 'map';
      requestId: string;
      runId: string;
      data: EncodedDataset;
      seed: number;
      /** A run with its own model: the same rows encoded with its tokenizer (named as for `predict`). */
      runData?: { data: EncodedDataset; tokenizer: string };
    }
  | { type: 'cancelMap'; requestId: string }
  /**
   * The rows to label next under a finished run (workers/suggestHost.ts): the run's probabilities
   * and pooled features of the candidate rows (token ids as the page encoded them), ranked by
   * uncertainty with diversity (core/active/suggest).
   */
  | {
      type: 'suggest';
      requestId: string;
      runId: string;
      ids: Int32Array;
      offsets: Int32Array;
      /** The data worker's tokenizer that encoded the rows, as for `predict`. */
      tokenizer?: string;
      maxLength: number;
      count: number;
      strategy: UncertaintyStrategy;
      /** Between centred unit feature directions; core/active's default when absent. */
      radius?: number;
    }
  | { type: 'cancelSuggest'; requestId: string }
  /**
   * A hyperparameter search (core/search): trials one after another from the loaded model, each
   * `baseConfig` with its parameters; the objective is the config's `metricForBestModel`.
   */
  | {
      type: 'search';
      requestId: string;
      baseConfig: TrainConfig;
      data: EncodedDataset;
      space: SearchSpace;
      sampler: SamplerName;
      seed: number;
      pruning: boolean;
      budget: { trials?: number; minutes?: number };
    }
  | { type: 'controlSearch'; requestId: string; action: 'pause' | 'resume' | 'stop' }
  /** The ended search's best trial becomes the finished run `runId`; answered by `attached`. */
  | { type: 'adoptSearchBest'; requestId: string; searchId: string; runId: string };

/** The flagged rows of a label-issue search, most suspect first. */
export interface LabelIssuesOutcome {
  labels: string[];
  multiLabel: boolean;
  score: LabelQualityScore;
  folds: number;
  /** Rows examined. */
  rows: number;
  issues: RowLabelIssue[];
  seconds: number;
}

/** What a data map is computing: the features, PCA, UMAP's neighbours and layout, the run's predictions. */
export type MapStageName = 'features' | MapStage | 'predictions';

/** A data map: one point per example, ordered by data row. */
export interface MapOutcome {
  /** 1-based data row of each point. */
  rows: Int32Array;
  /** Each point's split: an index into train, validation, test. */
  split: Uint8Array;
  /** Each point's index within its split of the encoded data it was computed on. */
  indexInSplit: Int32Array;
  /** Row-major [points × 2]. */
  positions: Float32Array;
  /** The run's probabilities, row-major [points × numLabels]. */
  probabilities: Float32Array;
  numLabels: number;
  seed: number;
  pcaComponents: number;
  neighbours: number;
  seconds: number;
}

/** One run to time, on its own tokenization of the rows (`tokenizer` as for `predict`). */
export interface PredictionSpeedRun {
  runId: string;
  split: EncodedSplit;
  padTokenId: number;
  maxLength: number;
  tokenizer?: string;
}

export type FeatureStoreAction =
  { kind: 'list' } | { kind: 'delete'; key: string } | { kind: 'clear' } | { kind: 'budget'; bytes: number };

/** What Settings shows of the kept feature caches (after the action). */
export interface FeatureStoreListing {
  /** Why nothing is kept across sessions here (no OPFS for workers), or null. */
  unavailable: string | null;
  budgetBytes: number;
  /** Most recently used first. */
  entries: StoredFeatureCache[];
}

export type TrainEvent =
  | { type: 'backend'; requestId: string; backend: BackendReport }
  | { type: 'download'; requestId: string; progress: FileProgress }
  | {
      type: 'modelLoaded';
      requestId: string;
      summary: ModelSummary;
      /** tokenizer.json and friends as text, for the data worker's tokenizer. */
      tokenizerFiles: Record<string, string>;
    }
  /** The training loop's own events, tagged with their run. */
  | { type: 'run'; runId: string; event: RunLoopEvent }
  | { type: 'checkpoint'; runId: string; checkpoint: RunCheckpoint }
  | { type: 'finished'; runId: string; outcome: RunOutcome }
  | { type: 'attached'; requestId: string; runId: string }
  | {
      type: 'studentLoaded';
      requestId: string;
      runId: string;
      summary: StudentSummary;
      /** config.json (with the data's labels) and the tokenizer files, for the data worker and storage. */
      files: RunModelFiles;
    }
  | { type: 'predictions'; requestId: string; probabilities: Float32Array; numLabels: number }
  /** Rows per second of each run asked for, in the order asked, and the rows timed. */
  | { type: 'predictionSpeed'; requestId: string; rowsPerSecond: number[]; rows: number }
  | { type: 'exported'; requestId: string; zip: Blob; notes: string[] }
  | { type: 'featureStore'; requestId: string; listing: FeatureStoreListing }
  /** A label-issue search's progress: the fold training now, and its step. */
  | {
      type: 'labelIssuesProgress';
      requestId: string;
      fold: number;
      folds: number;
      step: number;
      totalSteps: number;
    }
  | { type: 'labelIssues'; requestId: string; outcome: LabelIssuesOutcome }
  | { type: 'mapProgress'; requestId: string; stage: MapStageName; fraction: number }
  | { type: 'map'; requestId: string; outcome: MapOutcome }
  /** Candidate rows scored so far by the `suggest` request. */
  | { type: 'suggestProgress'; requestId: string; done: number; total: number }
  /** The rows to label next: indices into the request's candidate rows, most uncertain first. */
  | { type: 'suggestions'; requestId: string; suggestions: Suggestion[]; candidates: number; seconds: number }
  /** A trial started or ended (its state, parameters, reported values and objective). */
  | { type: 'searchTrial'; requestId: string; trial: Trial }
  | { type: 'searchProgress'; requestId: string; trial: number; step: number; totalSteps: number }
  /** The search ended (budget spent or stopped): every trial, and the best one's number and settings. */
  | {
      type: 'searchDone';
      requestId: string;
      direction: Direction;
      trials: Trial[];
      best: number | null;
      bestConfig: TrainConfig | null;
    }
  /**
   * Forward passes timed after a load (shader compilation makes this take seconds on software
   * GPUs, so the load answers first). `timing` is null when the backend could not run them.
   */
  | { type: 'modelTiming'; source: string; timing: ForwardTiming | null }
  | { type: 'deviceLost'; message: string }
  | ({ type: 'error'; requestId?: string; runId?: string } & WorkerError);

// ---------------------------------------------------------------------------------------------
// Helpers

/** The buffers of every typed array in a message, for postMessage's transfer list. */
export function transferablesOf(value: unknown, found: Set<Transferable> = new Set()): Transferable[] {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const item of value) transferablesOf(item, found);
  } else if (value && typeof value === 'object' && !(value instanceof Blob)) {
    for (const item of Object.values(value)) transferablesOf(item, found);
  }
  return [...found];
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'Unknown error';
}

export function unreachable(value: never): never {
  throw new Error(`Unhandled message: ${JSON.stringify(value)}`);
}
