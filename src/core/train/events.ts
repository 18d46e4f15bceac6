// What a training run reports and what it accepts while running. Plain data only (numbers,
// strings, typed arrays), so a worker can post every event as it is.
import type { ClassificationMetrics } from '../metrics/index.ts';
import type { LiveSettings, TrainConfig } from './config.ts';
import type { SplitName } from './data.ts';
import type { FeatureCache } from './feature-cache.ts';

export type RunState = 'idle' | 'preparing' | 'running' | 'paused' | 'stopping' | 'finished';

export type ControlCommand =
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'update'; settings: Partial<LiveSettings> };

/** One evaluation of a split. */
export interface EvalReport {
  split: SplitName;
  step: number;
  epoch: number;
  /** Plain mean cross-entropy (or BCE), without class weights or smoothing, so runs compare. */
  loss: number;
  /** `loss` and every scalar metric (accuracy, macro_f1, …) as fractions. */
  metrics: Record<string, number>;
  /** Per-class report, confusion matrix (single-label) or thresholds (multi-label). */
  details: ClassificationMetrics;
  /** Multi-label validation: thresholds tuned on this split, and the (optimistic) metrics they give. */
  tunedThresholds?: number[];
  tunedMetrics?: Record<string, number>;
}

/** Tensors the tfjs engine holds and their bytes (GPU buffers or WASM heap), as `tf.memory()` counts them. */
export interface EngineMemory {
  tensors: number;
  bytes: number;
}

export interface HistoryEntry {
  step: number;
  epoch: number;
  /** Mean training loss over the updates since the previous entry. */
  train_loss: number | null;
  eval?: Record<string, number>;
}

export interface BestCheckpoint {
  step: number;
  epoch: number;
  metric: string;
  value: number;
}

export type FinishReason = 'completed' | 'early_stopped' | 'stopped' | 'device_lost';

export type TrainEvent =
  | { type: 'state'; state: RunState; step: number }
  /** Work before or after the steps: caching frozen features, evaluating a split. */
  | { type: 'progress'; stage: 'cache' | 'evaluate'; split: SplitName; done: number; total: number }
  | {
      type: 'start';
      totalSteps: number;
      stepsPerEpoch: number;
      epochs: number;
      warmupSteps: number;
      effectiveBatchSize: number;
      trainExamples: number;
      validationExamples: number;
      testExamples: number;
      trainableParameters: number;
      frozenParameters: number;
      /** Bytes of cached frozen activations (head-only and top-k). */
      cacheBytes: number;
    }
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      /** Fractional epoch, as the Hugging Face Trainer logs it. */
      epoch: number;
      /** Mean training loss of the updates since the previous step event. */
      loss: number;
      lr: number;
      gradNorm: number;
      examplesPerSec: number;
      tokensPerSec: number;
      etaSec: number;
    }
  | {
      type: 'epoch';
      epoch: number;
      step: number;
      trainLoss: number;
      seconds: number;
      /** What the engine holds as the epoch ends: a long run whose figures grow is leaking. */
      engineMemory: EngineMemory;
    }
  | {
      type: 'eval';
      report: EvalReport;
      metrics: Record<string, number>;
      step: number;
      epoch: number;
      isBest: boolean;
    }
  | { type: 'command'; command: ControlCommand; step: number; applied: boolean; message?: string }
  | { type: 'notice'; level: 'info' | 'warning'; message: string; step: number }
  | {
      type: 'done';
      reason: FinishReason;
      message: string;
      best: BestCheckpoint | null;
      test: EvalReport | null;
      history: HistoryEntry[];
    }
  | { type: 'error'; message: string };

export interface TestPredictions {
  /** 1-based source rows of the test examples. */
  rows: Int32Array;
  /** True labels: class ids, or n × numLabels 0/1. */
  labels: Int32Array | Uint8Array;
  /** Softmax (single-label) or sigmoid (multi-label) outputs, n × numLabels. */
  probabilities: Float32Array;
  /** Multi-label decision thresholds used. */
  thresholds: number[] | null;
}

export interface TrainResult {
  reason: FinishReason;
  message: string;
  /** The settings as they ended (live changes and out-of-memory halving included). */
  config: TrainConfig;
  history: HistoryEntry[];
  best: BestCheckpoint | null;
  /** Validation evaluation of the kept checkpoint. */
  validation: EvalReport | null;
  test: EvalReport | null;
  testPredictions: TestPredictions | null;
  /** Multi-label thresholds tuned on validation for the kept checkpoint (else null). */
  thresholds: number[] | null;
  steps: number;
  trainSeconds: number;
  notices: string[];
  /**
   * The kept weights of the trainable parameters, on the CPU. The model's variables already hold
   * them unless the device was lost.
   */
  checkpoint: Record<string, Float32Array> | null;
  /** With keepCaches: the frozen-part caches, to pass as featureCaches to the next run. */
  caches: Partial<Record<SplitName, FeatureCache>>;
}
