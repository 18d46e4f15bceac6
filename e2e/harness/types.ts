// What the harness page returns to its Node drivers (the parity spec and the browser benchmark).
// Plain JSON: everything crosses page.evaluate.
import type { ModelBenchMode, ModelDims } from '../../src/bench/model-step.ts';
import type { CountedStep } from '../../src/bench/gpu-count-step.ts';

export type HarnessBackend = 'webgpu' | 'wasm' | 'cpu' | 'webgl';

export interface BackendInfo {
  /** The backend tfjs runs on: the requested one, or the test fails on it. */
  name: string;
  adapter: string;
  softwareAdapter: boolean;
  /** Why a better backend was not used, in the studio's words. */
  fallbackMessage: string;
  /** WASM: the threads it computes on, and why one when more were asked for. */
  threads?: number;
  threadsNote?: string;
}

export interface RowError {
  row: number;
  tokens: number;
  hiddenMaxAbs: number;
  logitsMaxAbs: number;
  /** The row alone and unpadded: its logits against the batch reference. */
  aloneLogitsMaxAbs: number;
}

export interface GradError {
  name: string;
  /** L2 norm of the reference gradient. */
  referenceNorm: number;
  /** L2 norm of (ours − reference). */
  errorNorm: number;
  /** Non-finite values in our gradient. */
  nonFinite: number;
}

export interface FixtureParity {
  fixture: string;
  rows: RowError[];
  seqLength: number;
  loss: number;
  /** Parameters without a gradient from tfjs. */
  missingGrads: string[];
  grads: GradError[];
  /** The same gradients with gradient checkpointing (each block recomputed in the backward pass). */
  checkpointed: { loss: number; grads: GradError[]; missingGrads: string[] };
  /** Names of the reference's grad.* tensors. */
  referenceGradNames: string[];
  leaks: {
    /** numTensors after a forward pass with its two outputs disposed, minus before. */
    forward: number;
    /** numTensors while the two outputs are alive, minus before (expected 2). */
    forwardLive: number;
    /** numTensors after a training step (gradient checkpointing, gradients applied and disposed), minus before. */
    trainingStep: number;
    /** Whether the training step changed the classifier weights (it ran). */
    stepChangedWeights: boolean;
  };
  loadMessage: string;
}

export interface ParityReport {
  backend: BackendInfo;
  fixtures: FixtureParity[];
  /** Kernels the backend ran during the gradient computation, by name. */
  kernels: string[];
  seconds: number;
}

/** The model benchmark's dimensions, as the Node benchmark names them. */
export type ModelDimsSpec = ModelDims;

export interface ModelBenchRequest {
  backend: HarnessBackend;
  dims: ModelDimsSpec;
  cases: { batch: number; seqLength: number }[];
  modes: ModelBenchMode[];
  iterations: number;
  /** Profile the warm-up step: kernel dispatches and peak tensor memory. */
  countDispatches: boolean;
  /** WASM threads (default min(cores, 4)); one WASM module per page: a page measures one count. */
  threads?: number;
}

export interface BrowserModelMeasurement {
  mode: ModelBenchMode;
  batch: number;
  seqLength: number;
  iterations: number;
  msPerStep: number;
  /** The first (warm-up) step: kernel compilation, buffer pools; profiled when dispatches are counted. */
  warmupMs: number;
  /** Peak tf.memory().numBytes during the profiled step (weights included); absent without a profile. */
  peakTensorBytes?: number;
  /** performance.memory.usedJSHeapSize peak (Chromium); 0 where the browser hides it. */
  peakJsHeapBytes: number;
  dispatches?: { total: number; byOp: Record<string, number> };
}

export interface ModelBenchReport {
  backend: BackendInfo;
  measurements: BrowserModelMeasurement[];
}

export interface DataBenchRequest {
  hubUrl: string;
  /** A model repo on the hub whose tokenizer files are used. */
  repo: string;
  /** Same-origin URL of the CSV (Banking77 train). */
  csvUrl: string;
  csvName: string;
  maxLength: number;
  /** Rows of the large synthetic import (built in the page from the CSV's rows, each unique); 0 skips it. */
  largeRows: number;
  /** Tokenization runs in the worker and directly (the best counts; the first includes JIT warm-up). */
  repeats: number;
}

export interface ImportTiming {
  rows: number;
  bytes: number;
  /** Reading and parsing the file in the worker, until the table is ready. */
  parseMs: number;
  /** Checks and the stratified split. */
  checkMs: number;
  /** Tokenizing every kept row and laying out the splits, as the page sees it (round trip included): the best run. */
  tokenizeMs: number;
  /** Every tokenization run, in order. */
  tokenizeRunsMs: number[];
  /** Tokens in the encoded splits. */
  tokens: number;
}

/** Something seen on the main thread: when (ms into the import), how long, during which stage. */
export interface MainThreadEvent {
  atMs: number;
  ms: number;
  stage: string;
}

export interface DataBenchReport {
  banking77: ImportTiming;
  /** The same texts through the same tokenizer, called directly on the page's main thread: the best run. */
  directTokenizeMs: number;
  directTokenizeRunsMs: number[];
  directRows: number;
  large?: ImportTiming & {
    /** Longest 'longtask' entry (a main-thread task of 50 ms or more) during the import; 0: none. */
    longestLongTaskMs: number;
    longTasks: MainThreadEvent[];
    /** Longest gap between two main-thread timer ticks (blocking and CPU contention together). */
    longestTickGapMs: number;
    /** Ticks 50 ms or more late. */
    lateTicks: MainThreadEvent[];
  };
}

/** The full fine-tuning step through the training loop, as src/bench/train.ts measures it in Node. */
export interface TrainStepRequest {
  backend: HarnessBackend;
  threads?: number;
  dims: ModelDimsSpec;
  batch: number;
  seqLength: number;
  /** Timed optimizer steps after one warm-up step. */
  steps: number;
}

export interface TrainStepReport {
  backend: BackendInfo;
  batch: number;
  seqLength: number;
  steps: number;
  msPerStep: number;
  examplesPerSec: number;
}

export interface HeadEpochRequest {
  backend: HarnessBackend;
  examples: number;
  dim: number;
  numLabels: number;
  epochs: number;
  batchSize: number;
}

export interface HeadEpochReport {
  backend: BackendInfo;
  examples: number;
  dim: number;
  numLabels: number;
  batchSize: number;
  stepsPerEpoch: number;
  /** Seconds per epoch, in order (the first includes kernel compilation). */
  epochSeconds: number[];
  /** From the call until the first step (the cache's upload to the device). */
  prepareSeconds: number;
  finalLoss: number;
  leakedTensors: number;
}

export interface HeadOnlyRunRequest {
  hubUrl: string;
  /** The checkpoint's repo on the hub. */
  repo: string;
  /** Banking77's train.csv, same-origin. */
  csvUrl: string;
  /** Rows evenly spaced over the file. */
  rows: number;
  maxLength: number;
  backend: HarnessBackend;
  /** WASM threads of tfjs and onnxruntime-web. */
  threads?: number;
}

export interface HeadOnlyRunReport {
  backend: BackendInfo;
  rows: number;
  labels: number;
  /** From the file's bytes to the end of the third epoch. */
  seconds: number;
  /** From the first to the last cached batch. */
  featuresSeconds: number;
  /** What computed the features, as the run notes name it. */
  engine: string;
  leakedTensors: number;
}

export interface OpfsCacheRequest {
  lengths: number[];
  dim: number;
  /** Memory budget for the cache: below its size, it must go to OPFS. */
  budgetBytes: number;
}

export interface OpfsCacheReport {
  spilled: boolean;
  byteLength: number;
  notices: string[];
  /** Values compared with the memory cache's, and the largest difference. */
  compared: number;
  maxDiff: number;
  /** Files in the cache folder while the cache is open, and after it is disposed. */
  whileOpen: string[];
  afterDispose: string[];
}

/** One graph kind of one fixture, on one ONNX Runtime engine, against the tfjs forward pass. */
export interface OrtParityCase {
  fixture: string;
  /** "features", "logits" or "hidden:<layers>". */
  output: string;
  /** Largest |ORT - tfjs| over every batch. */
  maxAbs: number;
  values: number;
}

export interface OrtParityReport {
  engine: string;
  description: string;
  cases: OrtParityCase[];
  /** Sessions still open after every engine was disposed. */
  openSessions: number;
  /** tfjs tensors left over. */
  tensorLeak: number;
  seconds: number;
}

export interface ConfusionMatrixRequest {
  labels: number;
  /** Characters in each label name. */
  nameLength: number;
}

export interface ConfusionMatrixReport {
  window: { width: number; height: number };
  /** The scroll box, in window pixels. */
  box: { left: number; right: number; top: number; bottom: number };
  /** Pixels the table is wider / taller than the box shows (≤ 0: it fits). */
  overflowX: number;
  overflowY: number;
  overflowStyle: string[];
  /** Pixels the scrollbars take (0 when there is none, or when it only overlays). */
  scrollbar: { x: number; y: number };
  cells: number;
  lastTitle: string;
  lastNameTruncated: boolean;
  /** Scrolled to the end, the last row's last cell is inside the box. */
  lastColumnReachable: boolean;
}

export interface GpuCountsRequest {
  dims: ModelDimsSpec;
  batch: number;
  seqLength: number;
}

export interface GpuCountsReport {
  backend: BackendInfo;
  counted: CountedStep;
}

export interface MapFramesRequest {
  points: number;
  frames: number;
}

/** Milliseconds per frame while panning the data map: drawing alone, and between frames. */
export interface MapFramesReport {
  points: number;
  frames: number;
  drawMs: { p50: number; p95: number; max: number };
  frameMs: { p50: number; p95: number; max: number };
}

export interface HarnessApi {
  confusionMatrix(request: ConfusionMatrixRequest): Promise<ConfusionMatrixReport>;
  parity(options: { hubUrl: string; backend: HarnessBackend; fixtures: string[] }): Promise<ParityReport>;
  benchModel(request: ModelBenchRequest): Promise<ModelBenchReport>;
  benchData(request: DataBenchRequest): Promise<DataBenchReport>;
  benchHeadEpoch(request: HeadEpochRequest): Promise<HeadEpochReport>;
  benchHeadOnly(request: HeadOnlyRunRequest): Promise<HeadOnlyRunReport>;
  benchTrainStep(request: TrainStepRequest): Promise<TrainStepReport>;
  gpuCounts(request: GpuCountsRequest): Promise<GpuCountsReport>;
  benchMapFrames(request: MapFramesRequest): Promise<MapFramesReport>;
  opfsCache(request: OpfsCacheRequest): Promise<OpfsCacheReport>;
  ortParity(options: {
    hubUrl: string;
    engine: 'onnxruntime-web-wasm' | 'onnxruntime-web-webgpu';
    fixtures: string[];
  }): Promise<OrtParityReport>;
}
