// A hyperparameter search as the studio keeps it: its settings, every trial as the worker reports
// it, the running trial's progress, and the run its best trial became. Pure reducers from the
// train worker's events, tested without a worker.
import { bestSoFar, type Direction, type Trial } from '../../core/search/index.ts';
import type { TrainConfig, TrainEvent } from '../../workers/protocol.ts';

export interface SearchState {
  requestId: string;
  status: 'running' | 'paused' | 'done' | 'error';
  baseConfig: TrainConfig;
  /** The objective: the validation metric, minimised for a loss, else maximised. */
  metric: string;
  direction: Direction;
  trials: Trial[];
  /** The running trial's step. */
  progress: { trial: number; step: number; totalSteps: number } | null;
  best: number | null;
  /** The run the best trial became. */
  bestRunId: string | null;
  error: string | null;
}

export function startedSearch(requestId: string, baseConfig: TrainConfig, direction: Direction): SearchState {
  return {
    requestId,
    status: 'running',
    baseConfig,
    metric: baseConfig.metricForBestModel,
    direction,
    trials: [],
    progress: null,
    best: null,
    bestRunId: null,
    error: null,
  };
}

/** The search after one of its worker events; events of another request leave it unchanged. */
export function searchAfter(search: SearchState, event: TrainEvent): SearchState {
  if (!('requestId' in event) || event.requestId !== search.requestId) return search;
  switch (event.type) {
    case 'searchTrial': {
      const trials = search.trials.slice();
      trials[event.trial.number] = event.trial;
      return { ...search, trials };
    }
    case 'searchProgress':
      return { ...search, progress: { trial: event.trial, step: event.step, totalSteps: event.totalSteps } };
    case 'searchDone':
      return {
        ...search,
        status: 'done',
        trials: event.trials,
        best: event.best,
        direction: event.direction,
        progress: null,
      };
    case 'error':
      return { ...search, status: 'error', progress: null, error: event.message };
    default:
      return search;
  }
}

/** Each trial's objective and the best value up to it, for the chart (null: none yet). */
export function objectiveSeries(search: SearchState): { value: number | null; best: number | null }[] {
  const best = bestSoFar(search.trials, search.direction);
  return search.trials.map((trial, i) => ({ value: trial.value, best: best[i] ?? null }));
}
