// The studio's one store, composed of slices: data, model and ui here, runs in runs.ts.
// Components select from it; actions live at module level (data.ts, model.ts, project.ts, ui.ts).
import { create, type StoreApi } from 'zustand';
import { createRunsSlice, type RunsSlice } from './runs.ts';
import {
  createDataSlice,
  createModelSlice,
  createUiSlice,
  type DataSlice,
  type ModelSlice,
  type UiSlice,
} from './slices.ts';

export type StudioState = DataSlice & ModelSlice & UiSlice & RunsSlice;

type RunsArgs = Parameters<typeof createRunsSlice>;

export const useStudio = create<StudioState>()((set, get, api) => ({
  ...createDataSlice(set, get, api),
  ...createModelSlice(set, get, api),
  ...createUiSlice(set, get, api),
  // The runs slice is typed against its own state only; the composed store is a superset of it.
  ...createRunsSlice(...([set, get, api] as unknown as RunsArgs)),
}));

export const studio = (): StudioState => useStudio.getState();
export const studioApi: StoreApi<StudioState> = useStudio;
