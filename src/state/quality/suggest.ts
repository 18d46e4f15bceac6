// The rows to label next as the studio keeps them: which run ranked them, on which data version,
// how far the scoring is, and each suggested row (its file row, text, score and the run's guess).
// Whether a row has been labelled since is read from the edit list, not kept here. Pure reducers
// and the labelling batch's keyboard, tested without a worker.
import type { Suggestion, UncertaintyStrategy } from '../../core/active/index.ts';
import type { TrainEvent } from '../../workers/protocol.ts';

export interface SuggestedRow {
  /** 1-based data row of the file. */
  row: number;
  text: string;
  /** Uncertainty under the strategy; higher is less certain. */
  score: number;
  /** Label ids the run predicts (one for single-label; every label at p ≥ 0.5 for multi-label). */
  predicted: number[];
}

export interface RowSuggestions {
  runId: string;
  requestId: string;
  status: 'running' | 'done' | 'error';
  strategy: UncertaintyStrategy;
  count: number;
  /** Data version the rows were ranked on. */
  dataVersion: number;
  labels: string[];
  multiLabel: boolean;
  /** Candidate rows scored so far, of `total`. */
  done: number;
  total: number;
  /** Unlabelled rows ranked. */
  candidates: number;
  rows: SuggestedRow[];
  seconds: number;
  error: string | null;
}

export function startedSuggestions(
  runId: string,
  requestId: string,
  choice: { strategy: UncertaintyStrategy; count: number },
  dataVersion: number,
  labels: readonly string[],
  multiLabel: boolean,
): RowSuggestions {
  return {
    runId,
    requestId,
    status: 'running',
    ...choice,
    dataVersion,
    labels: [...labels],
    multiLabel,
    done: 0,
    total: 0,
    candidates: 0,
    rows: [],
    seconds: 0,
    error: null,
  };
}

/** The suggestions after a worker event about them; other events leave them as they are. */
export function suggestionsAfter(
  state: RowSuggestions,
  event: TrainEvent,
  candidates: { rows: Int32Array; texts: readonly string[] },
): RowSuggestions {
  if (!('requestId' in event) || event.requestId !== state.requestId) return state;
  if (event.type === 'suggestProgress') return { ...state, done: event.done, total: event.total };
  if (event.type !== 'suggestions') return state;
  return {
    ...state,
    status: 'done',
    candidates: event.candidates,
    done: event.candidates,
    total: event.candidates,
    seconds: event.seconds,
    rows: event.suggestions.map((s: Suggestion) => ({
      row: candidates.rows[s.index]!,
      text: candidates.texts[s.index] ?? '',
      score: s.score,
      predicted: s.predicted,
    })),
  };
}

/** Share of the candidates scored, in [0, 1]. */
export function suggestionProgress(state: Pick<RowSuggestions, 'done' | 'total' | 'status'>): number {
  if (state.status === 'done') return 1;
  return state.total > 0 ? Math.min(1, state.done / state.total) : 0;
}

/**
 * What a key does in the labelling batch: a digit names the label at that place (1 = the first),
 * Enter takes the run's guess, the arrows and S move.
 */
export type LabellingKey =
  { kind: 'label'; label: number } | { kind: 'accept' } | { kind: 'next' } | { kind: 'previous' };

export function labellingKey(key: string, labelCount: number): LabellingKey | null {
  if (/^[1-9]$/.test(key)) {
    const label = Number(key) - 1;
    return label < labelCount ? { kind: 'label', label } : null;
  }
  if (key === 'Enter') return { kind: 'accept' };
  if (key === 'ArrowRight' || key === 'ArrowDown' || key === 's' || key === 'S') return { kind: 'next' };
  if (key === 'ArrowLeft' || key === 'ArrowUp') return { kind: 'previous' };
  return null;
}

/** The first row at or after `from` (wrapping) not yet labelled, or −1 when every row is. */
export function nextUnlabelled(
  rows: readonly SuggestedRow[],
  labelled: ReadonlySet<number>,
  from: number,
): number {
  for (let step = 0; step < rows.length; step++) {
    const k = (from + step) % rows.length;
    if (!labelled.has(rows[k]!.row)) return k;
  }
  return -1;
}
