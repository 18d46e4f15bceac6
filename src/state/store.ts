// The studio's one store, composed of slices as zustand's slices pattern does: data, model and ui
// in slices.ts, runs in runs/slice.ts, label issues in quality/slice.ts, the search in
// search/slice.ts, each typed on the whole store. Components select from it; actions live at
// module level (data.ts, model.ts, project.ts, ui.ts, runs/, quality/ and search/actions.ts).
import { create, type StateCreator, type StoreApi } from 'zustand';
import { createQualitySlice, type QualitySlice } from './quality/slice.ts';
import { createRunsSlice, type RunsSlice } from './runs/slice.ts';
import { createSearchSlice, type SearchSlice } from './search/slice.ts';
import {
  createDataSlice,
  createModelSlice,
  createUiSlice,
  type DataSlice,
  type ModelSlice,
  type UiSlice,
} from './slices.ts';

export type StudioState = DataSlice & ModelSlice & UiSlice & RunsSlice & QualitySlice & SearchSlice;

/** Every slice in one state creator: the page's store below, or a fresh one in a test. */
export const createStudioState: StateCreator<StudioState> = (...args) => ({
  ...createDataSlice(...args),
  ...createModelSlice(...args),
  ...createUiSlice(...args),
  ...createRunsSlice(...args),
  ...createQualitySlice(...args),
  ...createSearchSlice(...args),
});

export const useStudio = create<StudioState>()(createStudioState);

export const studio = (): StudioState => useStudio.getState();
export const studioApi: StoreApi<StudioState> = useStudio;
