// The runs slice: every training run the project has made, in creation order, with the one the
// Train/Evaluate/Export steps show. Plain state and setters; runs/actions.ts drives the worker.
import type { StateCreator } from 'zustand';
import type { StudioState } from '../store.ts';
import type { EvalPoint, RunRecord, RunSettings, StepPoint } from './record.ts';

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
  /** Replaces runs with new records in one store write (records of unknown ids are ignored). */
  putRuns(records: RunRecord[]): void;
  appendRunSeries(id: string, steps: StepPoint[], evals: EvalPoint[]): void;
  removeRun(id: string): void;
  setActiveRun(id: string | null): void;
  toggleOverlay(id: string): void;
  setDraftSettings(settings: RunSettings | null): void;
  /** Replaces all runs, e.g. when persistence restores a project or "New project" clears it. */
  replaceRuns(runs: RunRecord[], activeRunId: string | null): void;
}

export const createRunsSlice: StateCreator<StudioState, [], [], RunsSlice> = (set) => ({
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

  putRuns: (records) =>
    set((state) => {
      const known = records.filter((record) => state.runs[record.id] && state.runs[record.id] !== record);
      if (known.length === 0) return {};
      return { runs: { ...state.runs, ...Object.fromEntries(known.map((record) => [record.id, record])) } };
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

  replaceRuns: (runs, activeRunId) =>
    set({
      runs: Object.fromEntries(runs.map((run) => [run.id, run])),
      runOrder: runs.map((run) => run.id),
      activeRunId: activeRunId ?? runs[runs.length - 1]?.id ?? null,
      overlayRunIds: [],
    }),
});
