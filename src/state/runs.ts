// The runs slice: every training run the project has made, with its settings and full metric
// series, plus the module-level actions that drive the train worker. Components read the slice
// and call the actions; only this module starts, steers and queries runs in the train worker.
import { useStore, type StateCreator, type StoreApi } from 'zustand';
import { fromClassificationMetrics } from '../core/export/run-folder.ts';
import { buildPredictionsCsv as predictionsCsvText } from '../core/export/predictions-csv.ts';
import type { MappedColumns } from '../core/export/training-args.ts';
import type { BaseModelOrigin, DataSummary, ExportMetrics } from '../core/export/types.ts';
import {
  greaterIsBetter,
  multiLabelMetrics,
  singleLabelMetrics,
  type ClassificationMetrics,
} from '../core/metrics/index.ts';
import { metricKey, type TrainConfig } from '../core/train/config.ts';
import type {
  EncodedDataset,
  RunCheckpoint,
  RunExportRequest,
  RunLoopEvent,
  RunOutcome,
  RunResume,
  TrainCommand,
  TrainEvent,
} from '../workers/protocol.ts';
import { coalesce } from './coalesce.ts';
import { HUB_URL } from './hub.ts';
import * as PersistModule from './persist.ts';
import { dataWorker } from './workers.ts';
import { WorkerClient, RequestError, newRequestId } from './workerClient.ts';

let trainClient: WorkerClient<TrainCommand, TrainEvent> | null = null;

/**
 * The one train worker of the page, created on first use. The model step loads models through it
 * (`init`, `loadModel`) and the runs actions below train, predict and export through it, so the
 * weights live in one place.
 */
export function trainWorkerClient(): WorkerClient<TrainCommand, TrainEvent> {
  trainClient ??= new WorkerClient<TrainCommand, TrainEvent>(
    () =>
      new Worker(new URL('../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'train' }),
    'training',
  );
  return trainClient;
}

export type RunStatus =
  | 'preparing' // worker is building the run's model and caches
  | 'running'
  | 'paused'
  | 'stopping'
  | 'done'
  | 'stopped' // user stopped it, or it stopped early / lost the GPU; best checkpoint kept
  | 'interrupted' // the page closed mid-run; resumable from its last epoch checkpoint
  | 'error';

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
  settings: RunSettings;
  /** Model the run fine-tuned (hub id or local folder name). */
  modelId: string;
  /** Where that model came from: a hub (which) or a folder; the model card links the Hub only for it. */
  modelOrigin?: BaseModelOrigin;
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
  /** Checkpoints saved in the browser's storage (steps), for resume and after a reload. */
  saved?: {
    /** `optimizer`: the checkpoint holds the optimizer's state too (resumes exactly); false for older ones. */
    epoch?: { step: number; epoch: number; optimizer?: boolean };
    best?: { step: number; epoch: number };
    final?: boolean;
  };
  /** Aggregates of the data it trained on, for the model card (no text). */
  dataSummary?: DataSummary;
  /** Plain-words notes from the training, e.g. "Out of memory: batch size halved to 8". */
  notices: string[];
  /** How the run ended, in a sentence. */
  message?: string;
  error?: string;
}

export interface RunsSlice {
  runs: Record<string, RunRecord>;
  /** Oldest first. */
  runOrder: string[];
  /** The run the Train/Evaluate/Export steps show. */
  activeRunId: string | null;
  /** Runs drawn on the charts next to the active one. */
  overlayRunIds: string[];
  /** Settings the Train step's form currently holds (the next run's settings). */
  draftSettings: RunSettings | null;

  addRun(run: RunRecord): void;
  updateRun(id: string, patch: Partial<RunRecord>): void;
  appendRunSeries(id: string, steps: StepPoint[], evals: EvalPoint[]): void;
  removeRun(id: string): void;
  setActiveRun(id: string | null): void;
  toggleOverlay(id: string): void;
  setDraftSettings(settings: RunSettings | null): void;
  /** Replaces all runs, e.g. when persistence restores a project or "New project" clears it. */
  replaceRuns(runs: RunRecord[], activeRunId: string | null): void;
}

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

let runsStore: StoreApi<RunsSlice> | null = null;

/** The store the slice was composed into; module-level actions act on it. */
export function getRunsStore(): StoreApi<RunsSlice> {
  if (!runsStore) throw new Error('The runs slice has not been added to a store yet.');
  return runsStore;
}

/** Reads the runs slice from React, e.g. `useRuns((s) => s.activeRunId)`. */
export function useRuns<T>(selector: (state: RunsSlice) => T): T {
  return useStore(getRunsStore(), selector);
}

export const createRunsSlice: StateCreator<RunsSlice, [], [], RunsSlice> = (set, _get, api) => {
  runsStore = api;
  return {
    runs: {},
    runOrder: [],
    activeRunId: null,
    overlayRunIds: [],
    draftSettings: null,

    addRun: (run) =>
      set((state) => ({
        runs: { ...state.runs, [run.id]: run },
        runOrder: [...state.runOrder.filter((id) => id !== run.id), run.id],
        activeRunId: run.id,
      })),

    updateRun: (id, patch) =>
      set((state) => {
        const run = state.runs[id];
        if (!run) return {};
        return { runs: { ...state.runs, [id]: { ...run, ...patch } } };
      }),

    appendRunSeries: (id, steps, evals) =>
      set((state) => {
        const run = state.runs[id];
        if (!run || (steps.length === 0 && evals.length === 0)) return {};
        // Series grow by concatenation into new arrays so React selectors see a change.
        return {
          runs: {
            ...state.runs,
            [id]: {
              ...run,
              steps: steps.length ? run.steps.concat(steps) : run.steps,
              evals: evals.length ? run.evals.concat(evals) : run.evals,
            },
          },
        };
      }),

    removeRun: (id) =>
      set((state) => {
        if (!state.runs[id]) return {};
        const runs = { ...state.runs };
        delete runs[id];
        const runOrder = state.runOrder.filter((other) => other !== id);
        return {
          runs,
          runOrder,
          overlayRunIds: state.overlayRunIds.filter((other) => other !== id),
          activeRunId: state.activeRunId === id ? (runOrder[runOrder.length - 1] ?? null) : state.activeRunId,
        };
      }),

    setActiveRun: (id) =>
      set((state) => ({
        activeRunId: id,
        overlayRunIds: state.overlayRunIds.filter((other) => other !== id),
      })),

    toggleOverlay: (id) =>
      set((state) => ({
        overlayRunIds: state.overlayRunIds.includes(id)
          ? state.overlayRunIds.filter((other) => other !== id)
          : [...state.overlayRunIds, id],
      })),

    setDraftSettings: (settings) => set({ draftSettings: settings }),

    replaceRuns: (runs, activeRunId) => {
      attached.clear();
      set({
        runs: Object.fromEntries(runs.map((run) => [run.id, run])),
        runOrder: runs.map((run) => run.id),
        activeRunId: activeRunId ?? runs[runs.length - 1]?.id ?? null,
        overlayRunIds: [],
      });
    },
  };
};

// ---------------------------------------------------------------------------------------------
// What the actions need from the rest of the studio. The data and model slices live beside this
// one in the composed store; these readers keep this module's view of them in one place.

interface StudioView {
  data: {
    confirmed: boolean;
    maxLength: number | null;
    analysis: {
      labels: string[];
      kept: number;
      labelCounts: { label: string; count: number }[];
      checks: { title: string; count: number; severity: string }[];
      splits: { sizes: Record<'train' | 'validation' | 'test', number> } | null;
      mapping: {
        textColumns: number[];
        textJoiner?: string;
        labelColumn: number;
        multiLabel: boolean;
        labelSeparator?: string | null;
      };
    } | null;
    tokenStats: { lengths: Int32Array; percentiles: { p50: number; p95: number; max: number } } | null;
    opened: { parse: { rowCount: number; columns: string[] } } | null;
  };
  model: {
    status: string;
    repoId: string;
    sourceKind: 'hub' | 'files' | null;
    sourceLabel: string | null;
    summary: { layers: number } | null;
  };
}

function view(): StudioView & RunsSlice {
  return getRunsStore().getState() as unknown as StudioView & RunsSlice;
}

// data.ts builds on the composed store, which composes this slice: imported when first used, so
// either module can be loaded first.
async function dataActions(): Promise<{
  prepareTrainingData(): Promise<EncodedDataset>;
  encodeTexts(texts: string[], maxLength?: number): Promise<{ ids: Int32Array; offsets: Int32Array }>;
}> {
  return import('./data.ts');
}

async function persistence(): Promise<typeof PersistModule> {
  return PersistModule;
}

async function dataRows(start: number, count: number): Promise<string[][]> {
  const answer = await dataWorker().request({ type: 'rows', requestId: newRequestId('rows'), start, count }, [
    'rows',
  ]);
  return answer.rows;
}

// ---------------------------------------------------------------------------------------------
// Events from the worker

const attached = new Set<string>();
let listening = false;

function patchRun(id: string, patch: (run: RunRecord) => Partial<RunRecord>): void {
  const run = view().runs[id];
  if (run) view().updateRun(id, patch(run));
}

function ensureListening(): void {
  if (listening) return;
  listening = true;
  trainWorkerClient().subscribe((event) => {
    if (event.type !== 'run') stepUpdates.flush();
    switch (event.type) {
      case 'run':
        onLoopEvent(event.runId, event.event);
        return;
      case 'checkpoint':
        void onCheckpoint(event.runId, event.checkpoint);
        return;
      case 'finished':
        void onFinished(event.runId, event.outcome);
        return;
      case 'deviceLost':
        for (const id of view().runOrder) {
          const status = view().runs[id]?.status;
          if (status === 'running' || status === 'paused' || status === 'preparing') {
            patchRun(id, (run) => ({ notices: [...run.notices, `The GPU was lost: ${event.message}`] }));
          }
        }
        return;
      case 'error': {
        // A run's failure, or the worker itself stopping (no run id: every live run failed).
        const ids = event.runId
          ? [event.runId]
          : view().runOrder.filter((id) => {
              const status = view().runs[id]?.status;
              return (
                status === 'running' || status === 'paused' || status === 'preparing' || status === 'stopping'
              );
            });
        for (const id of ids) {
          patchRun(id, () => ({
            status: 'error',
            error: event.hint ? `${event.message} ${event.hint}` : event.message,
          }));
        }
        return;
      }
      default:
        return;
    }
  });
}

interface SpeedSample {
  at: number;
  step: number;
  stepsPerSec: number | null;
}
const speedSamples = new Map<string, SpeedSample>();

/**
 * Steps per second measured between step events on the page's clock. A GPU runs ahead of the
 * loop, so the loop's own timing can count work queued rather than done; the pace at which step
 * events arrive is what the user waits on. Smoothed, and reset by a pause.
 */
function wallClockSpeed(
  runId: string,
  step: number,
  effectiveBatch: number,
): { stepsPerSec: number; examplesPerSec: number } | null {
  const now = performance.now();
  const last = speedSamples.get(runId);
  if (!last || step <= last.step || now - last.at > 30_000) {
    speedSamples.set(runId, {
      at: now,
      step,
      stepsPerSec: last && step > last.step ? last.stepsPerSec : null,
    });
    return null;
  }
  const instant = (step - last.step) / ((now - last.at) / 1000);
  const stepsPerSec = last.stepsPerSec === null ? instant : 0.7 * last.stepsPerSec + 0.3 * instant;
  speedSamples.set(runId, { at: now, step, stepsPerSec });
  return { stepsPerSec, examplesPerSec: stepsPerSec * effectiveBatch };
}

const STATE_TO_STATUS: Partial<Record<string, RunStatus>> = {
  preparing: 'preparing',
  running: 'running',
  paused: 'paused',
  stopping: 'stopping',
};

interface StepUpdate {
  point: StepPoint;
  progress: Partial<RunProgress>;
}

/** Applies the queued steps of every run in one store write. */
function applyStepUpdates(batches: Map<string, StepUpdate[]>): void {
  getRunsStore().setState((state) => {
    let runs = state.runs;
    for (const [runId, updates] of batches) {
      const current = runs[runId];
      if (!current || updates.length === 0) continue;
      if (runs === state.runs) runs = { ...state.runs };
      runs[runId] = {
        ...current,
        steps: current.steps.concat(updates.map((update) => update.point)),
        progress: { ...current.progress, ...updates[updates.length - 1]!.progress },
      };
    }
    return runs === state.runs ? {} : { runs };
  });
}

/**
 * Step events reach the store at most ten times a second: the charts and the progress bar redraw
 * once for a burst of steps. Every other event flushes them first, so a pause or an evaluation
 * never overtakes the steps before it.
 */
const stepUpdates = coalesce<string, StepUpdate>(applyStepUpdates, 100);

function onLoopEvent(runId: string, event: RunLoopEvent): void {
  if (event.type !== 'step') stepUpdates.flush();
  const run = view().runs[runId];
  if (!run) return; // deleted while the worker still reports on it
  switch (event.type) {
    case 'state': {
      if (event.state !== 'running') speedSamples.delete(runId);
      const status = STATE_TO_STATUS[event.state];
      if (status && run.status !== 'error') view().updateRun(runId, { status });
      return;
    }
    case 'progress':
      view().updateRun(runId, {
        progress: {
          ...run.progress,
          stage:
            event.stage === 'cache'
              ? `Caching frozen features (${event.split})`
              : `Evaluating ${event.split}`,
          work: { done: event.done, total: event.total },
        },
      });
      return;
    case 'start':
      view().updateRun(runId, {
        progress: {
          ...run.progress,
          stage: 'Training',
          totalSteps: event.totalSteps,
          totalEpochs: event.epochs,
        },
      });
      return;
    case 'step': {
      const point: StepPoint = { step: event.step, epoch: event.epoch, loss: event.loss, lr: event.lr };
      const speed = wallClockSpeed(runId, event.step, run.settings.batchSize * run.settings.gradAccumSteps);
      const examplesPerSec = speed?.examplesPerSec ?? event.examplesPerSec;
      const tokensPerSec = speed
        ? event.tokensPerSec * (speed.examplesPerSec / Math.max(event.examplesPerSec, 1e-9))
        : event.tokensPerSec;
      const etaSec = speed
        ? (event.totalSteps - event.step) / Math.max(speed.stepsPerSec, 1e-9)
        : event.etaSec;
      stepUpdates.push(runId, {
        point,
        progress: {
          stage: 'Training',
          step: event.step,
          totalSteps: event.totalSteps,
          epoch: event.epoch,
          examplesPerSec,
          tokensPerSec,
          etaSec,
        },
      });
      return;
    }
    case 'eval': {
      const point: EvalPoint = { step: event.step, epoch: event.epoch, metrics: event.metrics };
      const value = event.metrics[run.bestMetric];
      view().updateRun(runId, {
        evals: run.evals.concat(point),
        ...(event.isBest && value !== undefined
          ? { best: { step: event.step, epoch: event.epoch, value }, bestDetails: event.report.details }
          : {}),
        progress: { ...run.progress, stage: 'Training' },
      });
      return;
    }
    case 'epoch':
      return;
    case 'command': {
      const { command } = event;
      if (!event.applied && event.message) {
        view().updateRun(runId, { notices: [...run.notices, `Not applied: ${event.message}`] });
      } else if (command.type === 'setLr') {
        view().updateRun(runId, {
          settings: { ...run.settings, learningRate: command.lr },
          notices: [
            ...run.notices,
            `Learning rate set to ${command.lr.toExponential(2)} at step ${event.step}.`,
          ],
        });
      }
      return;
    }
    case 'notice':
      view().updateRun(runId, { notices: [...run.notices, event.message] });
      return;
    case 'done':
    case 'error':
      return;
  }
}

async function saveCheckpoint(runId: string, name: string, file: Blob | Uint8Array): Promise<boolean> {
  try {
    const { saveRunBlob } = await persistence();
    await saveRunBlob(runId, name, file instanceof Blob ? file : new Blob([file as Uint8Array<ArrayBuffer>]));
    return true;
  } catch (error) {
    const { isQuotaError } = await persistence();
    patchRun(runId, (run) => ({
      notices: [
        ...run.notices,
        isQuotaError(error)
          ? 'The browser is out of storage space: this checkpoint is not saved (the earlier ones are intact).'
          : `A checkpoint could not be saved: ${error instanceof Error ? error.message : String(error)}.`,
      ],
    }));
    return false;
  }
}

async function onCheckpoint(runId: string, checkpoint: RunCheckpoint): Promise<void> {
  const name = checkpoint.kind === 'best' ? 'best.safetensors' : 'epoch.safetensors';
  // The worker built the file; the page only hands it to storage.
  if (!(await saveCheckpoint(runId, name, checkpoint.file))) return;
  const { step, epoch } = checkpoint;
  patchRun(runId, (run) => ({
    saved: {
      ...run.saved,
      [checkpoint.kind]: checkpoint.kind === 'epoch' ? { step, epoch, optimizer: true } : { step, epoch },
    },
  }));
}

/** Texts of 1-based data rows, read from the data worker page by page. */
async function textsOfRows(rows: Int32Array): Promise<string[]> {
  const mapping = view().data.analysis?.mapping;
  if (!mapping || rows.length === 0) return [];
  const PAGE = 1000;
  const pages = new Map<number, string[][]>();
  for (const page of new Set(Array.from(rows, (r) => Math.floor((r - 1) / PAGE)))) {
    pages.set(page, await dataRows(page * PAGE, PAGE));
  }
  return Array.from(rows, (r) => {
    const row = pages.get(Math.floor((r - 1) / PAGE))?.[(r - 1) % PAGE];
    return row ? mapping.textColumns.map((c) => row[c] ?? '').join(' ') : '';
  });
}

async function onFinished(runId: string, outcome: RunOutcome): Promise<void> {
  const run = view().runs[runId];
  if (!run) return;
  attached.add(runId);
  const status: RunStatus = outcome.reason === 'completed' ? 'done' : 'stopped';
  let testResult: RunTestResult | undefined;
  if (outcome.testPredictions) {
    // Without the texts the Evaluate step still has every number; it only cannot quote examples.
    const texts = await textsOfRows(outcome.testPredictions.rows).catch(() => [] as string[]);
    testResult = {
      probabilities: outcome.testPredictions.probabilities,
      truth: outcome.testPredictions.labels,
      rows: outcome.testPredictions.rows,
      texts,
      ...(outcome.thresholds ? { thresholds: outcome.thresholds } : {}),
      metrics: outcome.test ?? {},
    };
  }
  const latest = view().runs[runId] ?? run;
  view().updateRun(runId, {
    status,
    message: outcome.message,
    ...(outcome.best
      ? { best: { step: outcome.best.step, epoch: outcome.best.epoch, value: outcome.best.value } }
      : {}),
    ...(outcome.validation ? { validation: outcome.validation } : {}),
    ...(outcome.test ? { test: outcome.test } : {}),
    ...(testResult ? { testResult } : {}),
    progress: { ...latest.progress, stage: outcome.message || 'Finished', work: undefined, etaSec: 0 },
  });
  if (outcome.weights && (await saveCheckpoint(runId, 'final.safetensors', outcome.weights))) {
    patchRun(runId, (current) => ({ saved: { ...current.saved, final: true } }));
  }
}

// ---------------------------------------------------------------------------------------------
// Actions

function nextRunName(): string {
  let highest = 0;
  for (const run of Object.values(view().runs)) {
    const match = /^Run (\d+)$/.exec(run.name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return `Run ${highest + 1}`;
}

function dataSummaryNow(maxLength: number): DataSummary | undefined {
  const { analysis, tokenStats } = view().data;
  if (!analysis) return undefined;
  const summary: DataSummary = {
    rows: analysis.kept,
    labelCounts: Object.fromEntries(analysis.labelCounts.map((c) => [c.label, c.count])),
    checks: analysis.checks.filter((c) => c.count > 0).map((c) => ({ name: c.title, count: c.count })),
  };
  if (analysis.splits) summary.splits = { ...analysis.splits.sizes };
  if (tokenStats) {
    let truncated = 0;
    for (const length of tokenStats.lengths) if (length > maxLength) truncated++;
    summary.tokenLengths = { ...tokenStats.percentiles, max_length: maxLength, truncated };
  }
  return summary;
}

/** Why a run cannot start now, in plain words, or null. */
export function startBlocker(): string | null {
  const { data, model } = view();
  if (!data.confirmed || !data.analysis) return 'Confirm the columns in the Data step first.';
  if (model.status !== 'loaded') return 'Load a model in the Model step first.';
  const busy = view().runOrder.find((id) => {
    const status = view().runs[id]?.status;
    return status === 'running' || status === 'paused' || status === 'preparing' || status === 'stopping';
  });
  if (busy) return `${view().runs[busy]?.name ?? 'A run'} is still training: stop it first.`;
  return null;
}

function modelOriginNow(): { modelOrigin?: BaseModelOrigin } {
  const { model } = view();
  if (model.sourceKind === 'hub') return { modelOrigin: { kind: 'hub', url: HUB_URL } };
  if (model.sourceKind === 'files') return { modelOrigin: { kind: 'folder' } };
  return {};
}

function mappedColumnsNow(): { columns?: MappedColumns } {
  const { data } = view();
  const mapping = data.analysis?.mapping;
  const names = data.opened?.parse.columns;
  if (!mapping || !names) return {};
  const name = (index: number) => names[index] ?? `column ${index + 1}`;
  return {
    columns: {
      textColumns: mapping.textColumns.map(name),
      textJoiner: mapping.textJoiner ?? '\n',
      labelColumn: name(mapping.labelColumn),
      labelSeparator: mapping.multiLabel ? (mapping.labelSeparator ?? '|') : null,
    },
  };
}

function modelName(): string {
  const { model } = view();
  return model.sourceLabel ?? model.repoId;
}

/** Starts a new run with these settings; resolves with its id once the worker has it. */
export async function startRun(settings: RunSettings): Promise<string> {
  const blocker = startBlocker();
  if (blocker) throw new Error(blocker);
  ensureListening();
  const { data } = view();
  const maxLength = data.maxLength ?? settings.maxLength;
  const config: TrainConfig = { ...settings, maxLength };
  const id = newRequestId('run');
  const analysis = data.analysis!;
  const summary = dataSummaryNow(maxLength);
  view().addRun({
    id,
    name: nextRunName(),
    createdAt: Date.now(),
    status: 'preparing',
    settings: config,
    modelId: modelName(),
    ...modelOriginNow(),
    ...mappedColumnsNow(),
    labels: [...analysis.labels],
    multiLabel: analysis.mapping.multiLabel,
    bestMetric: metricKey(config.metricForBestModel),
    steps: [],
    evals: [],
    progress: { ...emptyProgress, stage: 'Encoding the texts', totalEpochs: config.epochs },
    notices: [],
    ...(summary ? { dataSummary: summary } : {}),
  });
  try {
    const encoded = await (await dataActions()).prepareTrainingData();
    view().updateRun(id, { labels: [...encoded.labels], multiLabel: encoded.multiLabel });
    trainWorkerClient().post({ type: 'train', runId: id, config, data: encoded });
  } catch (error) {
    view().updateRun(id, { status: 'error', error: describe(error) });
    throw error;
  }
  return id;
}

function describe(error: unknown): string {
  if (error instanceof RequestError && error.hint) return `${error.message} ${error.hint}`;
  return error instanceof Error ? error.message : String(error);
}

export function pauseRun(id: string): void {
  trainWorkerClient().post({ type: 'control', runId: id, action: 'pause' });
}

export function resumeRun(id: string): void {
  trainWorkerClient().post({ type: 'control', runId: id, action: 'resume' });
}

export function stopRun(id: string): void {
  patchRun(id, () => ({ status: 'stopping' }));
  trainWorkerClient().post({ type: 'control', runId: id, action: 'stop' });
}

/** Changes the running run's peak learning rate; the schedule keeps shaping it from the next step. */
export function setRunLearningRate(id: string, lr: number): void {
  if (!(lr > 0) || !Number.isFinite(lr)) throw new Error('The learning rate must be a positive number.');
  trainWorkerClient().post({ type: 'setLr', runId: id, lr });
}

/**
 * Continues an interrupted run from its last epoch checkpoint (or from the start without one).
 * The stored files go to the worker as Blobs: the page reads none of their bytes.
 */
export async function continueRun(id: string): Promise<void> {
  const run = view().runs[id];
  if (!run) return;
  const blocker = startBlocker();
  if (blocker) throw new Error(blocker);
  ensureListening();
  const { loadRunBlob } = await persistence();
  const at = run.saved?.epoch;
  let resume: RunResume | undefined;
  if (at) {
    const checkpoint = await loadRunBlob(id, 'epoch.safetensors');
    if (checkpoint) {
      resume = { step: at.step, epoch: at.epoch, checkpoint };
      // A checkpoint with the optimizer's state carries its own best; an older one needs the stored best.
      const best =
        !at.optimizer && run.saved?.best && run.best ? await loadRunBlob(id, 'best.safetensors') : undefined;
      if (best && run.best) resume.best = { ...run.best, file: best };
    }
  }
  const keepTo = resume?.step ?? 0;
  view().updateRun(id, {
    status: 'preparing',
    error: undefined,
    steps: run.steps.filter((p) => p.step <= keepTo),
    evals: run.evals.filter((e) => e.step <= keepTo),
    ...(resume ? {} : { best: undefined, saved: undefined }),
    progress: { ...run.progress, stage: 'Encoding the texts', work: undefined },
    notices: [
      ...run.notices,
      resume
        ? `Continuing from the checkpoint at step ${resume.step} after the page was closed.`
        : 'No checkpoint was saved before the page closed: the run starts again from the beginning.',
    ],
  });
  view().setActiveRun(id);
  try {
    const encoded = await (await dataActions()).prepareTrainingData();
    trainWorkerClient().post({
      type: 'train',
      runId: id,
      config: run.settings,
      data: encoded,
      ...(resume ? { resume } : {}),
    });
  } catch (error) {
    view().updateRun(id, { status: 'interrupted', error: describe(error) });
    throw error;
  }
}

export function selectRun(id: string): void {
  view().setActiveRun(id);
}

export function toggleRunOverlay(id: string): void {
  view().toggleOverlay(id);
}

/** Puts a run's settings into the Train step's form, to change and start as a new run. */
export function cloneRun(id: string): void {
  const run = view().runs[id];
  if (run) view().setDraftSettings({ ...run.settings });
}

export async function deleteRun(id: string): Promise<void> {
  const run = view().runs[id];
  if (!run) return;
  if (
    run.status === 'running' ||
    run.status === 'paused' ||
    run.status === 'preparing' ||
    run.status === 'stopping'
  ) {
    throw new Error('Stop the run before deleting it.');
  }
  stepUpdates.drop(id);
  view().removeRun(id);
  attached.delete(id);
  trainWorkerClient().post({ type: 'dropRun', runId: id });
  try {
    const { deleteRunBlobs } = await persistence();
    await deleteRunBlobs(id);
  } catch {
    // The record is gone; an orphaned checkpoint file is cleared with "New project".
  }
}

/** Makes sure the worker holds the run's trained weights (after a reload they come from storage). */
async function ensureAttached(id: string): Promise<void> {
  if (attached.has(id)) return;
  const run = view().runs[id];
  if (!run) throw new Error('This run no longer exists.');
  if (run.status === 'running' || run.status === 'paused' || run.status === 'stopping') return;
  if (view().model.status !== 'loaded')
    throw new Error('Load the model in the Model step first: the run’s weights build on it.');
  const { loadRunBlob } = await persistence();
  const blob = (await loadRunBlob(id, 'final.safetensors')) ?? (await loadRunBlob(id, 'best.safetensors'));
  if (!blob) throw new Error(`No saved weights were found for ${run.name}.`);
  ensureListening();
  await trainWorkerClient().request(
    {
      type: 'attachRun',
      requestId: newRequestId('attach'),
      runId: id,
      labels: run.labels,
      multiLabel: run.multiLabel,
      config: run.settings,
      weights: new Uint8Array(await blob.arrayBuffer()),
    },
    ['attached'],
  );
  attached.add(id);
}

/** Probabilities per label for each text under the run's weights (tokenized in the data worker). */
export async function classifyTexts(id: string, texts: string[]): Promise<number[][]> {
  const run = view().runs[id];
  if (!run) throw new Error('This run no longer exists.');
  await ensureAttached(id);
  const { ids, offsets } = await (await dataActions()).encodeTexts(texts, run.settings.maxLength);
  try {
    const { probabilities, numLabels } = await trainWorkerClient().request(
      { type: 'predict', requestId: newRequestId('predict'), runId: id, ids, offsets },
      ['predictions'],
    );
    return texts.map((_, i) => Array.from(probabilities.subarray(i * numLabels, (i + 1) * numLabels)));
  } catch (error) {
    throw new Error(describe(error), { cause: error });
  }
}

function splitMetrics(run: RunRecord): ExportMetrics {
  const metrics: ExportMetrics = {};
  if (run.bestDetails) {
    metrics.validation = fromClassificationMetrics(run.bestDetails, run.validation?.['loss']);
    if (run.validation) metrics.validation.scalars = { ...run.validation };
  } else if (run.validation) {
    metrics.validation = { scalars: { ...run.validation } };
  }
  const result = run.testResult;
  if (result) {
    const details = run.multiLabel
      ? multiLabelMetrics(result.truth, result.probabilities, run.labels, result.thresholds ?? 0.5)
      : singleLabelMetrics(result.truth, argmax(result.probabilities, run.labels.length), run.labels);
    metrics.test = fromClassificationMetrics(details, result.metrics['loss']);
    metrics.test.scalars = { ...result.metrics };
  } else if (run.test) {
    metrics.test = { scalars: { ...run.test } };
  }
  if (run.best) {
    metrics.bestStep = run.best.step;
    metrics.bestEpoch = run.best.epoch;
  }
  return metrics;
}

function argmax(probabilities: Float32Array, k: number): Int32Array {
  const n = probabilities.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probabilities[i * k + j]! > probabilities[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * The run as a model zip (Hugging Face + transformers.js + ONNX folder), built in the worker; with
 * `layout: 'run'`, its run folder zip instead (to continue in the CLI).
 */
export async function exportRunZip(id: string, layout: 'model' | 'run' = 'model'): Promise<Blob> {
  const run = view().runs[id];
  if (!run) throw new Error('This run no longer exists.');
  await ensureAttached(id);
  const validation = await validationSplitOf(run);
  try {
    const { zip } = await trainWorkerClient().request(
      {
        type: 'exportRun',
        requestId: newRequestId('export'),
        runId: id,
        request: {
          baseModel: run.modelId,
          ...(run.modelOrigin ? { baseModelOrigin: run.modelOrigin } : {}),
          ...(run.columns ? { columns: run.columns } : {}),
          maxLength: run.settings.maxLength,
          metrics: splitMetrics(run),
          dataSummary: run.dataSummary ?? { rows: 0 },
          ...(run.testResult?.thresholds ? { thresholds: run.testResult.thresholds } : {}),
          layout,
          ...(validation ? { validation } : {}),
        },
      },
      ['exported'],
    );
    return zip;
  } catch (error) {
    throw new Error(describe(error), { cause: error });
  }
}

/**
 * The run's validation split, encoded again by the data worker, when the data set is still the
 * one the run trained on (same labels, max length, split sizes and test rows); else undefined.
 */
async function validationSplitOf(run: RunRecord): Promise<RunExportRequest['validation']> {
  let encoded: EncodedDataset;
  try {
    encoded = await (await dataActions()).prepareTrainingData();
  } catch {
    return undefined;
  }
  const split = encoded.validation;
  const testRows = run.testResult?.rows;
  const same =
    encoded.multiLabel === run.multiLabel &&
    encoded.labels.length === run.labels.length &&
    encoded.labels.every((label, i) => label === run.labels[i]) &&
    encoded.maxLength === run.settings.maxLength &&
    split.rows.length > 0 &&
    split.rows.length === run.dataSummary?.splits?.validation &&
    (!testRows ||
      (testRows.length === encoded.test.rows.length &&
        testRows.every((row, i) => row === encoded.test.rows[i])));
  return same ? { split, padTokenId: encoded.padTokenId, maxLength: encoded.maxLength } : undefined;
}

/** predictions.csv of the run's test split: text, true and predicted labels, one probability per label. */
export async function buildPredictionsCsv(id: string): Promise<Blob> {
  const run = view().runs[id];
  const result = run?.testResult;
  if (!run || !result) throw new Error('This run has no test predictions yet.');
  const k = run.labels.length;
  const rows = Array.from({ length: result.rows.length }, (_, i) => ({
    text: result.texts[i] ?? '',
    trueLabels: run.multiLabel
      ? run.labels.filter((_, j) => result.truth[i * k + j] === 1)
      : [run.labels[result.truth[i]!] ?? ''],
    probabilities: result.probabilities.subarray(i * k, (i + 1) * k),
  }));
  const csv = predictionsCsvText(rows, {
    labels: run.labels,
    multiLabel: run.multiLabel,
    ...(result.thresholds ? { thresholds: result.thresholds } : {}),
  });
  return new Blob([csv], { type: 'text/csv;charset=utf-8' });
}

/** Whether the named metric improves upward, for the runs table's best value. */
export function metricGreaterIsBetter(metric: string): boolean {
  return greaterIsBetter(metric);
}
