// The search slice: the project's latest hyperparameter search, for this session. Plain state and
// one setter; search/actions.ts drives the worker.
import type { StateCreator } from 'zustand';
import type { StudioState } from '../store.ts';
import type { SearchState } from './search.ts';

export interface SearchSlice {
  search: SearchState | null;
  setSearch(search: SearchState | null): void;
}

export const createSearchSlice: StateCreator<StudioState, [], [], SearchSlice> = (set) => ({
  search: null,
  setSearch: (search) => set({ search }),
});
