// The saved project's shape and its versions. A record from an older studio is migrated step by
// step to the current version; one from a newer studio is left untouched (not overwritten) and
// the user is told, so opening an old tab never destroys a newer save.
import type { BackendName, ColumnMapping, SplitSettings } from '../workers/protocol.ts';
import type { DataSourceKind, StepId } from './slices.ts';

export const SCHEMA_VERSION = 1;

export interface SavedData {
  name: string;
  kind: DataSourceKind;
  bytes: number;
  /** For samples: the bundled URL, so nothing needs storing. Else the file is the `dataset` blob. */
  sampleUrl: string | null;
  mapping: ColumnMapping | null;
  split: SplitSettings;
  confirmed: boolean;
  maxLength: number | null;
}

export interface SavedModel {
  repoId: string;
  sourceKind: 'hub' | 'files' | null;
  sourceLabel: string | null;
  loaded: boolean;
}

export interface ProjectRecord {
  schemaVersion: typeof SCHEMA_VERSION;
  savedAt: number;
  data: SavedData | null;
  model: SavedModel;
  step: StepId;
}

export interface SettingsRecord {
  schemaVersion: typeof SCHEMA_VERSION;
  forcedBackend: BackendName | null;
}

/** migrations[v] turns a version-v record into a version-(v+1) record. */
export type Migrations = Record<number, (record: Record<string, unknown>) => Record<string, unknown>>;

export const PROJECT_MIGRATIONS: Migrations = {};

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
