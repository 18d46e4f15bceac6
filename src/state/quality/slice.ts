// The data-quality slice: the label-issue search of each finished run (by run id), for this
// project (finished ones are saved with it). Plain state and setters; quality/actions.ts drives
// the worker.
import type { StateCreator } from 'zustand';
import type { StudioState } from '../store.ts';
import type { LabelIssueSearch } from './search.ts';

export interface QualitySlice {
  labelIssues: Record<string, LabelIssueSearch>;
  putLabelIssues(search: LabelIssueSearch): void;
  /** All searches at once: a restored project's, or none for a new one. */
  replaceLabelIssues(searches: Record<string, LabelIssueSearch>): void;
}

export const createQualitySlice: StateCreator<StudioState, [], [], QualitySlice> = (set) => ({
  labelIssues: {},
  putLabelIssues: (search) =>
    set((state) => ({ labelIssues: { ...state.labelIssues, [search.runId]: search } })),
  replaceLabelIssues: (searches) => set({ labelIssues: searches }),
});
