// The data-quality slice: the label-issue search of each finished run (by run id), for this
// project (finished ones are saved with it), and, for this session, the data map drawn under each
// run and the rows each run suggests labelling next. Plain state and setters; quality/actions.ts
// drives the worker.
import type { StateCreator } from 'zustand';
import type { StudioState } from '../store.ts';
import type { DataMap } from './map.ts';
import type { LabelIssueSearch } from './search.ts';
import type { RowSuggestions } from './suggest.ts';

export interface QualitySlice {
  labelIssues: Record<string, LabelIssueSearch>;
  putLabelIssues(search: LabelIssueSearch): void;
  /** The data map drawn under each run (by run id), for this session. */
  dataMaps: Record<string, DataMap>;
  putDataMap(map: DataMap): void;
  /** The rows to label next, ranked under each run (by run id), for this session. */
  rowSuggestions: Record<string, RowSuggestions>;
  putRowSuggestions(suggestions: RowSuggestions): void;
  /** All searches at once: a restored project's, or none for a new one. */
  replaceLabelIssues(searches: Record<string, LabelIssueSearch>): void;
}

export const createQualitySlice: StateCreator<StudioState, [], [], QualitySlice> = (set) => ({
  labelIssues: {},
  putLabelIssues: (search) =>
    set((state) => ({ labelIssues: { ...state.labelIssues, [search.runId]: search } })),
  replaceLabelIssues: (searches) => set({ labelIssues: searches }),
  dataMaps: {},
  putDataMap: (map) => set((state) => ({ dataMaps: { ...state.dataMaps, [map.runId]: map } })),
  rowSuggestions: {},
  putRowSuggestions: (suggestions) =>
    set((state) => ({ rowSuggestions: { ...state.rowSuggestions, [suggestions.runId]: suggestions } })),
});
