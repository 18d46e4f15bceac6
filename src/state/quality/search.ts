// A label-issue search as the studio keeps it: which run's settings it used, on which data
// version, how far the folds are, and the flagged rows with their texts. Pure reducers from the
// train worker's events, tested without a worker.
import type { LabelIssuesOutcome, TrainEvent } from '../../workers/protocol.ts';

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
