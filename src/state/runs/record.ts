// What the studio keeps of one training run: its settings, metric series, progress and results.
// Plain data, persisted with the project (state/schema.ts migrates older saved shapes).
import type { BaseModelOrigin, DataSummary, MappedColumns } from '../../core/export/index.ts';
import type { ClassificationMetrics } from '../../core/metrics/index.ts';
import type { LiveSettings, TrainConfig } from '../../core/train/index.ts';

export type RunStatus =
  | 'preparing' // worker is building the run's model and caches
  | 'running'
  | 'paused'
  | 'stopping'
  | 'done'
  | 'stopped' // user stopped it, or it stopped early / lost the GPU; best checkpoint kept
  | 'interrupted' // the page closed mid-run; resumable from its last epoch checkpoint
  | 'error';

/** A distilled run's teacher and settings, as the run record keeps them. */
export interface RunDistillationRecord {
  teacherRunId: string;
  /** The teacher's name when the student started, kept if the teacher is deleted. */
  teacherName: string;
  /** The teacher's block count and the student's. */
  teacherLayers: number;
  layers: number;
  alpha: number;
  temperature: number;
  /**
   * A student that is another model instead of the teacher's blocks: its name (the Hub id, or the
   * folder's name), and the Hub repository and revision to load it again from (none for a folder).
   */
  studentModel?: { id: string; hub?: { repo: string; revision: string } };
}

/** Settings a run was started with (core/train's TrainConfig). */
export type RunSettings = TrainConfig;

export interface StepPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

/** One validation evaluation; metric values are fractions (accuracy, macro_f1, …) plus `loss`. */
export interface EvalPoint {
  step: number;
  epoch: number;
  metrics: Record<string, number>;
}

export interface RunProgress {
  stage: string;
  step: number;
  totalSteps: number;
  epoch: number;
  totalEpochs: number;
  examplesPerSec: number;
  tokensPerSec: number;
  etaSec: number;
  /** Work before the steps (caching frozen features) or after them (evaluating), as done/total. */
  work?: { done: number; total: number };
  /** What the training engine held at the end of the latest epoch. */
  engineMemory?: { tensors: number; bytes: number; epoch: number };
}

/** The best checkpoint's predictions on the test split, for the Evaluate and Export steps. */
export interface RunTestResult {
  /** Row-major [n, labels] probabilities (softmax, or sigmoid for multi-label). */
  probabilities: Float32Array;
  /** Single-label: class index per example; multi-label: [n, labels] 0/1. */
  truth: Int32Array | Uint8Array;
  /** 1-based source-file row of each test example. */
  rows: Int32Array;
  /** The test texts, in the same order (they never leave the browser). */
  texts: string[];
  /** Multi-label decision thresholds tuned on validation, one per label. */
  thresholds?: number[];
  /** Scalar metrics of the test split (fractions), e.g. accuracy, macro_f1, loss. */
  metrics: Record<string, number>;
}

export interface RunRecord {
  id: string;
  name: string;
  createdAt: number;
  status: RunStatus;
  /** The settings the run started with, as the user chose them. */
  settings: RunSettings;
  /** Settings changed while it trained (e.g. the learning rate), over `settings`; `{}` without any. */
  liveSettings: Partial<LiveSettings>;
  /** Model the run fine-tuned (hub id or local folder name). */
  modelId: string;
  /** Where that model came from: a hub (which) or a folder; the model card links the Hub only for it. */
  modelOrigin?: BaseModelOrigin;
  /**
   * The run's model is its own, not the loaded one (a student of another model, or of such a run's
   * blocks): its config and tokenizer files are stored beside its weights (state/runs/own-model.ts),
   * and its rows are encoded with its own tokenizer.
   */
  ownModel?: boolean;
  /** Version of the data it trained on: 0 the file as uploaded, else the edit list's version then. */
  dataVersion: number;
  /** The file's columns the run trained on, as the analyst mapped them. */
  columns?: MappedColumns;
  /** Label names in id order and whether the task is multi-label. */
  labels: string[];
  multiLabel: boolean;
  /** Validation metric that picks the best checkpoint, e.g. `loss` or `macro_f1`. */
  bestMetric: string;
  steps: StepPoint[];
  evals: EvalPoint[];
  progress: RunProgress;
  best?: { step: number; epoch: number; value: number };
  /** Per-class details of the best validation evaluation, for the model card. */
  bestDetails?: ClassificationMetrics;
  /** Scalar validation metrics of the kept checkpoint. */
  validation?: Record<string, number>;
  /** Test-split metrics of the best checkpoint, filled when the run ends. */
  test?: Record<string, number>;
  testResult?: RunTestResult;
  /**
   * Checkpoints saved in the browser's storage (steps), for resume and after a reload. The epoch
   * checkpoint's file is named by its step (`epochCheckpointFile`), so the record and the file it
   * names always agree, whichever of the two a closing page wrote last.
   */
  saved?: {
    /** `optimizer`: the checkpoint holds the optimizer's state too (resumes exactly); false for older ones. */
    epoch?: { step: number; epoch: number; optimizer?: boolean };
    best?: { step: number; epoch: number };
    final?: boolean;
  };
  /** A student distilled from another run (its teacher): which, into how many layers, α and T. */
  distillation?: RunDistillationRecord;
  /** The loaded model scored as it is (trained elsewhere): no step was taken. */
  evaluatedOnly?: boolean;
  /** Aggregates of the data it trained on, for the model card (no text). */
  dataSummary?: DataSummary;
  /** Plain-words notes from the training, e.g. "Out of memory: batch size halved to 8". */
  notices: string[];
  /** How the run ended, in a sentence. */
  message?: string;
  error?: string;
}

/** The stored file of the epoch checkpoint taken at `step`. */
export function epochCheckpointFile(step: number): string {
  return `epoch-${step}.safetensors`;
}

/** The one epoch checkpoint file of runs saved before the files were named by their step. */
export const UNNAMED_EPOCH_CHECKPOINT = 'epoch.safetensors';

export const emptyProgress: RunProgress = {
  stage: '',
  step: 0,
  totalSteps: 0,
  epoch: 0,
  totalEpochs: 0,
  examplesPerSec: 0,
  tokensPerSec: 0,
  etaSec: 0,
};

/** The settings the run trains with now: those it started with, under its live changes. */
export function currentSettings(run: RunRecord): RunSettings {
  return { ...run.settings, ...run.liveSettings };
}

const LIVE_STATUSES: ReadonlySet<RunStatus> = new Set(['preparing', 'running', 'paused', 'stopping']);

/**
 * Whether the run is in the worker's hands: being prepared, training, paused or stopping. A live
 * run blocks a new one, cannot be deleted, and is interrupted if the page closes.
 */
export function isRunLive(status: RunStatus | undefined): boolean {
  return status !== undefined && LIVE_STATUSES.has(status);
}
