// A label-issue search as the studio keeps it: which run's settings it used, on which data
// version, how far the folds are, and the flagged rows with their texts. Pure reducers from the
// train worker's events, tested without a worker.
import type { LabelIssuesOutcome, TrainEvent } from '../../workers/protocol.ts';
import type { SavedLabelIssues } from '../schema.ts';

export interface LabelIssueSearch {
  runId: string;
  requestId: string;
  status: 'running' | 'done' | 'error';
  /** Data version the folds trained on (the edit list's version then). */
  dataVersion: number;
  folds: number;
  /** The fold training now (0-based) and its step. */
  fold: number;
  step: number;
  totalSteps: number;
  outcome: LabelIssuesOutcome | null;
  /** Text of each flagged row, parallel to `outcome.issues` (empty while they load). */
  texts: string[];
  error: string | null;
}

export function startedSearch(
  runId: string,
  requestId: string,
  folds: number,
  dataVersion: number,
): LabelIssueSearch {
  return {
    runId,
    requestId,
    status: 'running',
    dataVersion,
    folds,
    fold: 0,
    step: 0,
    totalSteps: 0,
    outcome: null,
    texts: [],
    error: null,
  };
}

/** The search after one of its worker events; events of another request leave it unchanged. */
export function searchAfter(search: LabelIssueSearch, event: TrainEvent): LabelIssueSearch {
  if (!('requestId' in event) || event.requestId !== search.requestId || search.status !== 'running') {
    return search;
  }
  switch (event.type) {
    case 'labelIssuesProgress':
      return { ...search, fold: event.fold, step: event.step, totalSteps: event.totalSteps };
    case 'labelIssues':
      return { ...search, status: 'done', fold: search.folds, outcome: event.outcome };
    case 'error':
      return {
        ...search,
        status: 'error',
        error: event.hint ? `${event.message} ${event.hint}` : event.message,
      };
    default:
      return search;
  }
}

/** Share of the search done: folds finished plus the running fold's steps. */
export function searchProgress(search: LabelIssueSearch): number {
  if (search.status === 'done') return 1;
  const within = search.totalSteps > 0 ? search.step / search.totalSteps : 0;
  return Math.min(1, (search.fold + within) / search.folds);
}

/** The searches kept with the project: finished ones of runs that still exist. */
export function savedSearches(
  searches: Record<string, LabelIssueSearch>,
  runIds: readonly string[],
): Record<string, SavedLabelIssues> {
  const saved: Record<string, SavedLabelIssues> = {};
  for (const runId of runIds) {
    const search = searches[runId];
    if (search?.status !== 'done' || !search.outcome) continue;
    const { dataVersion, folds, outcome, texts } = search;
    saved[runId] = { runId, dataVersion, folds, outcome, texts };
  }
  return saved;
}

/** Saved searches as the studio shows them again, for the runs restored beside them. */
export function restoredSearches(
  saved: Record<string, SavedLabelIssues> | undefined,
  runIds: readonly string[],
): Record<string, LabelIssueSearch> {
  const searches: Record<string, LabelIssueSearch> = {};
  for (const runId of runIds) {
    const search = saved?.[runId];
    if (!search?.outcome || !Array.isArray(search.outcome.issues)) continue;
    searches[runId] = {
      ...startedSearch(runId, '', search.folds, search.dataVersion),
      status: 'done',
      fold: search.folds,
      outcome: search.outcome,
      texts: Array.isArray(search.texts) ? search.texts : [],
    };
  }
  return searches;
}
