// The data-quality slice: the label-issue search of each finished run (by run id), for this
// session. Plain state and one setter; quality/actions.ts drives the worker.
import type { StateCreator } from 'zustand';
import type { StudioState } from '../store.ts';
import type { LabelIssueSearch } from './search.ts';

export interface QualitySlice {
  labelIssues: Record<string, LabelIssueSearch>;
  putLabelIssues(search: LabelIssueSearch): void;
}

export const createQualitySlice: StateCreator<StudioState, [], [], QualitySlice> = (set) => ({
  labelIssues: {},
  putLabelIssues: (search) =>
    set((state) => ({ labelIssues: { ...state.labelIssues, [search.runId]: search } })),
});
