// The saved project's shape and its versions. A record from an older studio is migrated step by
// step to the current version; one from a newer studio is left untouched (not overwritten) and
// the user is told, so opening an old tab never destroys a newer save.
import { emptyEditList, type EditList } from '../core/dataset/index.ts';
import type { BackendName, ColumnMapping, LabelIssuesOutcome, SplitSettings } from '../workers/protocol.ts';
import { packSteps, type SavedStepPoint } from './savedSeries.ts';
import type { DataSourceKind, MeasuredSpeed, StepId } from './slices.ts';

/**
 * 1: the first format. 2: a run's epoch checkpoint also holds the optimizer's state and the
 * loop's bookkeeping, so an interrupted run resumes exactly; run records say whether theirs does
 * (`saved.epoch.optimizer`). 3: a run's training steps are saved as one Float64Array of columns
 * (savedSeries.ts) rather than an object per step. 4: a run's settings always say whether it trains
 * with gradient checkpointing (runs saved before the setting existed trained with it). 5: a run
 * keeps the settings it started with apart from those changed while it trained (`liveSettings`).
 * 6: the saved dataset carries the analyst's edit list (`data.edits`, empty before), and a run
 * names the data version it trained on (`dataVersion`, 0 = the file as uploaded). 7: the project
 * keeps each run's finished label-issue search (`labelIssues`, by run id; none before). The project
 * record was the same in 1 to 5.
 */
export const SCHEMA_VERSION = 7;

export interface SavedData {
  name: string;
  kind: DataSourceKind;
  bytes: number;
  /** For samples: the bundled URL, so nothing needs storing. Else the file is the `blob` blob. */
  sampleUrl: string | null;
  /**
   * The stored file's blob, named per import so a new file is written beside the old one and the
   * record switches to it in one write. Absent in projects saved before: their file is `dataset`.
   */
  blob?: string;
  mapping: ColumnMapping | null;
  split: SplitSettings;
  confirmed: boolean;
  maxLength: number | null;
  /** Keep / relabel / drop edits over the file, which itself is stored unchanged. */
  edits: EditList;
}

export interface SavedModel {
  repoId: string;
  sourceKind: 'hub' | 'files' | null;
  sourceLabel: string | null;
  loaded: boolean;
}

/** A finished label-issue search: the flagged rows and their texts, as the Evaluate step lists them. */
export interface SavedLabelIssues {
  runId: string;
  /** The edit list's version the folds trained on. */
  dataVersion: number;
  folds: number;
  outcome: LabelIssuesOutcome;
  /** Text of each flagged row, parallel to `outcome.issues`. */
  texts: string[];
}

export interface ProjectRecord {
  schemaVersion: typeof SCHEMA_VERSION;
  savedAt: number;
  data: SavedData | null;
  model: SavedModel;
  step: StepId;
  /** Each run's finished label-issue search, by run id. */
  labelIssues: Record<string, SavedLabelIssues>;
}

export interface SettingsRecord {
  schemaVersion: typeof SCHEMA_VERSION;
  forcedBackend: BackendName | null;
  /** Absent in records saved before the setting existed. */
  wasmThreads?: number | null;
  /** Speeds measured on this device, by Hub repository id; absent in older records. */
  measuredSpeeds?: Record<string, MeasuredSpeed>;
}

/** migrations[v] turns a version-v record into a version-(v+1) record. */
export type Migrations = Record<number, (record: Record<string, unknown>) => Record<string, unknown>>;

export const PROJECT_MIGRATIONS: Migrations = {
  1: (record) => record,
  2: (record) => record,
  3: (record) => record,
  4: (record) => record,
  5: (record) => {
    const data = record.data as Record<string, unknown> | null | undefined;
    return data ? { ...record, data: { ...data, edits: emptyEditList() } } : record;
  },
  6: (record) => ({ ...record, labelIssues: {} }),
};

/**
 * Run records carry no version of their own: they are as old as the project record saved with
 * them, and are migrated from its version.
 */
export const RUN_MIGRATIONS: Migrations = {
  // Epoch checkpoints of format 1 hold the weights only: such a run resumes with a fresh optimizer.
  1: (run) => {
    const saved = run.saved as { epoch?: Record<string, unknown> } | undefined;
    return saved?.epoch ? { ...run, saved: { ...saved, epoch: { ...saved.epoch, optimizer: false } } } : run;
  },
  2: (run) => (Array.isArray(run.steps) ? { ...run, steps: packSteps(run.steps as SavedStepPoint[]) } : run),
  // Settings saved before gradient checkpointing was a setting: those runs trained with it.
  3: (run) => {
    const settings = run.settings as Record<string, unknown> | undefined;
    return settings && settings.gradientCheckpointing === undefined
      ? { ...run, settings: { ...settings, gradientCheckpointing: true } }
      : run;
  },
  // Earlier runs wrote a live change into their settings: those stand as started, with no changes.
  4: (run) => (run.liveSettings === undefined ? { ...run, liveSettings: {} } : run),
  // Runs before the edit list trained on the file as uploaded.
  5: (run) => (run.dataVersion === undefined ? { ...run, dataVersion: 0 } : run),
  6: (run) => run,
};

/** A run record saved under project format `version`, in the current shape. */
export function migrateRun<T extends object>(run: T, version: number): MigrationResult<T> {
  const migrated = migrateRecord<T & { schemaVersion?: number }>(
    { ...run, schemaVersion: version },
    SCHEMA_VERSION,
    RUN_MIGRATIONS,
  );
  if (!migrated.ok) return migrated;
  const { schemaVersion: _version, ...record } = migrated.record;
  return { ok: true, record: record as T, migratedFrom: migrated.migratedFrom };
}

export type MigrationResult<T> =
  { ok: true; record: T; migratedFrom: number | null } | { ok: false; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function migrateRecord<T>(
  raw: unknown,
  current: number = SCHEMA_VERSION,
  migrations: Migrations = PROJECT_MIGRATIONS,
): MigrationResult<T> {
  if (!isRecord(raw)) return { ok: false, reason: 'The saved project is unreadable.' };
  const version = raw.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    return { ok: false, reason: 'The saved project has no schema version.' };
  }
  if (version > current) {
    return {
      ok: false,
      reason: `The saved project comes from a newer version of the studio (format ${version}); this page understands format ${current}. Reload to get the newer studio.`,
    };
  }
  let record: Record<string, unknown> = raw;
  for (let v = version; v < current; v += 1) {
    const step = migrations[v];
    if (!step) return { ok: false, reason: `No way to upgrade a saved project from format ${v}.` };
    record = { ...step(record), schemaVersion: v + 1 };
  }
  return { ok: true, record: record as T, migratedFrom: version === current ? null : version };
}
