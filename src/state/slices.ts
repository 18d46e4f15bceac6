// The data, model and ui slices: plain state plus one setter each. The work (worker requests,
// persistence) lives in the module-level actions of data.ts, model.ts, project.ts and ui.ts.
import type { StateCreator } from 'zustand';
import type {
  BackendName,
  BackendReport,
  ColumnMapping,
  DatasetAnalysis,
  DataStage,
  FileProgress,
  ModelSummary,
  OpenedDataset,
  SplitSettings,
  TokenStats,
} from '../workers/protocol.ts';
import { emptyEditList, type EditList } from '../core/dataset/index.ts';
import type { StudioState } from './store.ts';

export type StepId = 'data' | 'model' | 'train' | 'evaluate' | 'export';
export const STEPS: readonly StepId[] = ['data', 'model', 'train', 'evaluate', 'export'];

export interface UserMessage {
  message: string;
  hint?: string;
  /** Information (e.g. a cancelled import), not a failure. */
  info?: boolean;
}

export interface DataProgress {
  stage: DataStage;
  done: number;
  total: number | null;
  unit: 'bytes' | 'rows';
  rows: number;
  ratePerSec: number;
}

export type DataSourceKind = 'file' | 'text' | 'sample';

export interface DataState {
  status: 'empty' | 'opening' | 'opened' | 'error';
  source: { name: string; kind: DataSourceKind; bytes: number } | null;
  progress: DataProgress | null;
  opened: OpenedDataset | null;
  /** The mapping form; starts as the worker's guess. */
  mapping: ColumnMapping | null;
  split: SplitSettings;
  analyzing: boolean;
  analysis: DatasetAnalysis | null;
  /** Why the current mapping cannot be used (e.g. one class), shown beside the mapping. */
  analysisError: UserMessage | null;
  /** The user confirmed the mapping; the Model and Train steps build on it. */
  confirmed: boolean;
  tokenizing: boolean;
  tokenizeProgress: DataProgress | null;
  tokenizerSource: string | null;
  tokenStats: TokenStats | null;
  maxLength: number | null;
  /** The analyst's keep / relabel / drop edits over the file (core/dataset/edits), saved with it. */
  edits: EditList;
  error: UserMessage | null;
  /** Bumped when preview rows arrive from the worker, so the table redraws. */
  rowsVersion: number;
}

export interface BackendState {
  status: 'idle' | 'starting' | 'ready' | 'error';
  report: BackendReport | null;
  error: UserMessage | null;
}

export interface ModelState {
  repoId: string;
  status: 'idle' | 'loading' | 'loaded' | 'error';
  /** What is being loaded or was loaded, in words (repo id or folder name). */
  sourceLabel: string | null;
  sourceKind: 'hub' | 'files' | null;
  files: Record<string, FileProgress>;
  startedAt: number | null;
  summary: ModelSummary | null;
  /** The loaded model's forward passes are being timed (for the estimates). */
  timingPending: boolean;
  error: UserMessage | null;
  backend: BackendState;
}

/**
 * This tab's part in the project (state/tabs.ts): `writer` saves it; `reader` shows it while
 * another tab writes it; `released`: that other tab closed; `replaced`: another tab took over.
 */
export type TabRole = 'writer' | 'reader' | 'released' | 'replaced';

export interface StorageState {
  /** Whether the browser agreed to keep the project when space runs low. */
  persisted: boolean | null;
  /** Set when a save failed (full quota); what was saved before is intact. */
  problem: UserMessage | null;
  /** What a reload found lost (an import the page closed on); it stays until dismissed. */
  lost: UserMessage | null;
  lastSavedAt: number | null;
  restored: boolean;
  tab: TabRole;
  /** The project this page has open (`state/projects.ts`); null until it is chosen. */
  project: { id: string; name: string } | null;
}

/** How fast a model classified on this device: texts of 128 tokens per second, batch 16. */
export interface MeasuredSpeed {
  textsPerSec: number;
  backend: string;
  measuredAt: number;
}

export interface UiState {
  step: StepId;
  forcedBackend: BackendName | null;
  /** WASM threads chosen in Settings; null: min(cores, 4). Takes effect when the page loads. */
  wasmThreads: number | null;
  settingsOpen: boolean;
  storage: StorageState;
  /** Measured speed of each Hub model loaded on this device (by repository id), for the catalog. */
  measuredSpeeds: Record<string, MeasuredSpeed>;
}

export interface DataSlice {
  data: DataState;
  setData(patch: Partial<DataState>): void;
}
export interface ModelSlice {
  model: ModelState;
  setModel(patch: Partial<ModelState>): void;
  setBackend(patch: Partial<BackendState>): void;
}
export interface UiSlice {
  ui: UiState;
  setUi(patch: Partial<UiState>): void;
  setStorage(patch: Partial<StorageState>): void;
}

export const DEFAULT_REPO_ID = 'distilbert/distilbert-base-uncased';
export const DEFAULT_SPLIT: SplitSettings = {
  train: 0.8,
  validation: 0.1,
  test: 0.1,
  seed: 42,
  dropDuplicates: false,
};

export const initialData = (): DataState => ({
  status: 'empty',
  source: null,
  progress: null,
  opened: null,
  mapping: null,
  split: { ...DEFAULT_SPLIT },
  analyzing: false,
  analysis: null,
  analysisError: null,
  confirmed: false,
  tokenizing: false,
  tokenizeProgress: null,
  tokenizerSource: null,
  tokenStats: null,
  maxLength: null,
  edits: emptyEditList(),
  error: null,
  rowsVersion: 0,
});

export const initialModel = (): ModelState => ({
  repoId: DEFAULT_REPO_ID,
  status: 'idle',
  sourceLabel: null,
  sourceKind: null,
  files: {},
  startedAt: null,
  summary: null,
  timingPending: false,
  error: null,
  backend: { status: 'idle', report: null, error: null },
});

export const initialUi = (): UiState => ({
  step: 'data',
  forcedBackend: null,
  wasmThreads: null,
  settingsOpen: false,
  storage: {
    persisted: null,
    problem: null,
    lost: null,
    lastSavedAt: null,
    restored: false,
    tab: 'writer',
    project: null,
  },
  measuredSpeeds: {},
});

export const createDataSlice: StateCreator<StudioState, [], [], DataSlice> = (set) => ({
  data: initialData(),
  setData: (patch) => set((state) => ({ data: { ...state.data, ...patch } })),
});

export const createModelSlice: StateCreator<StudioState, [], [], ModelSlice> = (set) => ({
  model: initialModel(),
  setModel: (patch) => set((state) => ({ model: { ...state.model, ...patch } })),
  setBackend: (patch) =>
    set((state) => ({ model: { ...state.model, backend: { ...state.model.backend, ...patch } } })),
});

export const createUiSlice: StateCreator<StudioState, [], [], UiSlice> = (set) => ({
  ui: initialUi(),
  setUi: (patch) => set((state) => ({ ui: { ...state.ui, ...patch } })),
  setStorage: (patch) =>
    set((state) => ({ ui: { ...state.ui, storage: { ...state.ui.storage, ...patch } } })),
});
