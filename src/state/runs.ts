// The runs slice: every training run the project has made, with its settings and full metric
// series, plus the module-level actions that drive the train worker. Components read the slice
// and call the actions; only this module talks to the train worker.
import { useStore, type StateCreator, type StoreApi } from 'zustand';
import type { TrainCommand, TrainEvent } from '../workers/protocol.ts';
import { WorkerClient } from './workerClient.ts';

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
  | 'preparing' // worker is loading the model, building caches
  | 'running'
  | 'paused'
  | 'stopping'
  | 'done'
  | 'stopped' // user stopped it; best checkpoint kept
  | 'interrupted' // page closed mid-run; resumable from the last checkpoint
  | 'error';

/** Settings a run was started with. Mirrors core/train's TrainConfig field for field. */
export type RunSettings = Record<string, unknown> & {
  mode: 'head' | 'top-k' | 'full';
  learningRate: number;
  epochs: number;
  batchSize: number;
};

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
  examplesPerSec: number;
  tokensPerSec: number;
  etaSec: number;
}

export interface RunRecord {
  id: string;
  name: string;
  createdAt: number;
  status: RunStatus;
  settings: RunSettings;
  /** Model the run fine-tuned (hub id or local folder name). */
  modelId: string;
  /** Validation metric used to pick the best checkpoint, e.g. `macro_f1`. */
  bestMetric: string;
  steps: StepPoint[];
  evals: EvalPoint[];
  progress: RunProgress;
  best?: { step: number; value: number };
  /** Test-split metrics of the best checkpoint, filled when the run ends. */
  test?: Record<string, unknown>;
  /** Plain-words notes from the worker, e.g. "Out of GPU memory: batch halved to 8". */
  notices: string[];
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

    setActiveRun: (id) => set({ activeRunId: id }),

    toggleOverlay: (id) =>
      set((state) => ({
        overlayRunIds: state.overlayRunIds.includes(id)
          ? state.overlayRunIds.filter((other) => other !== id)
          : [...state.overlayRunIds, id],
      })),

    setDraftSettings: (settings) => set({ draftSettings: settings }),

    replaceRuns: (runs, activeRunId) =>
      set({
        runs: Object.fromEntries(runs.map((run) => [run.id, run])),
        runOrder: runs.map((run) => run.id),
        activeRunId,
        overlayRunIds: [],
      }),
  };
};
