// The project across reloads: restores the saved dataset, mapping, model and runs at start-up,
// saves changes as they happen, and clears everything for "New project". A failed save (full
// quota) is reported once and retried with the next change; what was saved before stays intact.
import type { DataInput } from '../workers/protocol.ts';
import { openDataset, setDatasetSaveHook } from './data.ts';
import { restoreModel, startBackend } from './model.ts';
import {
  blobKeys,
  deleteBlob,
  isQuotaError,
  readAllRuns,
  readBlob,
  readKey,
  readSettingsRecord,
  requestPersistence,
  selectProjectStorage,
  writeBlob,
  writeKey,
  writeSettingsRecord,
  writeRuns,
} from './persist.ts';
import { markImportPending, reportUnsavedImport } from './pendingImport.ts';
import { restoredSearches, savedSearches } from './quality/index.ts';
import { isRunLive, replaceAllRuns, setRecordsSaver, stopRun, type RunRecord } from './runs/index.ts';
import { packSteps, unpackSteps, type PackedSteps } from './savedSeries.ts';
import {
  migrateRecord,
  migrateRun,
  SCHEMA_VERSION,
  type ProjectRecord,
  type SavedData,
  type SettingsRecord,
} from './schema.ts';
import { STEPS, type MeasuredSpeed, type StepId } from './slices.ts';
import { studio, useStudio, type StudioState } from './store.ts';
import { chooseProject, createProject, projectUrl } from './projects.ts';
import { claimProject } from './tabs.ts';

const PROJECT_KEY = 'project';
const SETTINGS_KEY = 'settings';
const ACTIVE_RUN_KEY = 'activeRun';
/** The records that make a project (the settings are this browser's, not the project's). */
export const PROJECT_RECORD_KEYS = [PROJECT_KEY, ACTIVE_RUN_KEY] as const;
/** The dataset blob of projects saved before each import had its own (see SavedData.blob). */
const UNNAMED_DATASET_BLOB = 'dataset';
const DATASET_BLOB_PREFIX = 'dataset';
const SAVE_DELAY_MS = 600;

let saveTimer: ReturnType<typeof setTimeout> | null = null;
let savedRuns = new Map<string, RunRecord>();
let suspended = false;
let persistenceAsked = false;
let started = false;

function reportSaveFailure(error: unknown): void {
  const { setStorage } = studio();
  if (isQuotaError(error)) {
    setStorage({
      problem: {
        message:
          'The browser is out of storage space for this site, so the latest changes are not saved yet. Everything saved before is intact.',
        hint: 'Delete runs you no longer need, or free space in the browser settings; saving resumes with your next change.',
      },
    });
  } else {
    setStorage({
      problem: {
        message: `Saving the project failed: ${error instanceof Error ? error.message : String(error)}.`,
        hint: 'Your work is still on this page; saving is tried again with your next change.',
      },
    });
  }
}

/** The dataset part of the last save, kept while a file is being (re)opened. */
let savedData: SavedData | null = null;
/** Which source the saved dataset blob holds; the record only points at a dataset once it is stored. */
let storedSource: string | null = null;
/** The blob holding that source's bytes (null for samples, which are read from their URL). */
let storedBlob: string | null = null;
/** The dataset blob the project record in storage names: the one a reload reads. */
let recordedBlob: string | null = null;

const sourceKey = (source: { name: string; kind: string; bytes: number } | null): string | null =>
  source ? `${source.kind}:${source.name}:${source.bytes}` : null;

function projectRecord(state: StudioState): ProjectRecord {
  const { data, model, ui } = state;
  const sample = data.source?.kind === 'sample' ? sampleUrl : null;
  // A file whose bytes could not be stored (full quota) must not replace the saved dataset.
  const stored = data.source === null || sourceKey(data.source) === storedSource;
  if (data.status !== 'opening' && stored) {
    savedData =
      data.source && data.opened
        ? {
            name: data.source.name,
            kind: data.source.kind,
            bytes: data.source.bytes,
            sampleUrl: sample,
            mapping: data.mapping,
            split: data.split,
            confirmed: data.confirmed,
            maxLength: data.maxLength,
            edits: data.edits,
            ...(storedBlob && data.source.kind !== 'sample' ? { blob: storedBlob } : {}),
          }
        : null;
  }
  return {
    schemaVersion: SCHEMA_VERSION,
    savedAt: Date.now(),
    data: savedData,
    model: {
      repoId: model.repoId,
      sourceKind: model.sourceKind,
      sourceLabel: model.sourceLabel,
      loaded: model.status === 'loaded',
    },
    step: ui.step,
    labelIssues: savedSearches(state.labelIssues, state.runOrder),
  };
}

let sampleUrl: string | null = null;

/** Writes the project and the run records now; false when storage refused or saving is suspended. */
async function saveNow(): Promise<boolean> {
  if (suspended) return false;
  const state = studio();
  try {
    const record = projectRecord(state);
    await writeKey(PROJECT_KEY, record);
    await dropReplacedDataset(record.data?.blob ?? null);
    const settings: SettingsRecord = {
      schemaVersion: SCHEMA_VERSION,
      forcedBackend: state.ui.forcedBackend,
      wasmThreads: state.ui.wasmThreads,
      measuredSpeeds: state.ui.measuredSpeeds,
    };
    await writeSettingsRecord(SETTINGS_KEY, settings);
    await writeKey(ACTIVE_RUN_KEY, state.activeRunId);
    const changed: SavedRun[] = [];
    for (const id of state.runOrder) {
      const run = state.runs[id];
      if (run && savedRuns.get(id) !== run) changed.push({ ...run, steps: packSteps(run.steps) });
    }
    const removed = [...savedRuns.keys()].filter((id) => !state.runs[id]);
    await writeRuns(changed, removed);
    savedRuns = new Map(
      state.runOrder.flatMap((id) => (state.runs[id] ? [[id, state.runs[id]] as const] : [])),
    );
    // The warning stays while the dataset itself is still unsaved, even if smaller records fit.
    const datasetSaved = state.data.source === null || sourceKey(state.data.source) === storedSource;
    state.setStorage(datasetSaved ? { problem: null, lastSavedAt: Date.now() } : { lastSavedAt: Date.now() });
    return true;
  } catch (error) {
    reportSaveFailure(error);
    return false;
  }
}

/** Saves what is pending now; false when storage refused or saving is suspended. */
export function flushProject(): Promise<boolean> {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = null;
  return saveNow();
}

/** Stops saving for good on this page (another project is about to replace this one's records). */
export function suspendSaving(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = null;
  suspended = true;
}

/**
 * A new WASM thread count needs a fresh WASM module, which lives as long as the train worker: the
 * setting is saved at once and the page reloads, restoring the project as on any visit.
 */
export async function setWasmThreads(threads: number | null): Promise<void> {
  studio().setUi({ wasmThreads: threads });
  if (saveTimer) {
    clearTimeout(saveTimer);
    saveTimer = null;
  }
  await saveNow();
  location.reload();
}

function scheduleSave(): void {
  if (suspended) return;
  // A throttle rather than a debounce: a training run updates its record ten times a second, and
  // its progress must still reach storage while it trains, not only once it stops.
  if (saveTimer) return;
  saveTimer = setTimeout(() => {
    saveTimer = null;
    void saveNow();
  }, SAVE_DELAY_MS);
}

async function saveDataset(input: DataInput): Promise<void> {
  if (!persistenceAsked) {
    persistenceAsked = true;
    void requestPersistence().then((persisted) => studio().setStorage({ persisted }));
  }
  const key = sourceKey(studio().data.source);
  if (key === storedSource) return; // reopened from the save itself
  try {
    if (input.kind === 'url') {
      sampleUrl = input.url;
      storedBlob = null;
    } else {
      const blob = input.kind === 'file' ? input.file : new Blob([input.text], { type: 'text/plain' });
      // Beside the stored file, never over it: until the record names this one, a reload reads the old.
      const name = `${DATASET_BLOB_PREFIX}-${Date.now().toString(36)}`;
      await markImportPending(name, input.kind === 'file' ? input.file.name : input.name);
      await writeBlob(name, blob);
      storedBlob = name;
      sampleUrl = null;
    }
    storedSource = key;
    scheduleSave();
  } catch (error) {
    reportSaveFailure(error);
  }
}

/**
 * Once the record in storage names a new dataset blob, the one it named before goes, and so do
 * blobs of imports no record ever named (a page closed between the file and the record).
 */
async function dropReplacedDataset(named: string | null): Promise<void> {
  if (named === recordedBlob) return;
  recordedBlob = named;
  if (!named) return;
  const keys = await blobKeys(DATASET_BLOB_PREFIX).catch(() => [] as string[]);
  for (const key of keys) {
    if (key !== named && key !== storedBlob) await deleteBlob(key).catch(() => undefined);
  }
}

/** The saved speeds that are well formed; anything else is dropped (they are measured again). */
function validSpeeds(saved: unknown): Record<string, MeasuredSpeed> {
  if (!saved || typeof saved !== 'object') return {};
  return Object.fromEntries(
    Object.entries(saved as Record<string, Partial<MeasuredSpeed>>).filter(
      ([, speed]) =>
        typeof speed?.textsPerSec === 'number' &&
        Number.isFinite(speed.textsPerSec) &&
        typeof speed.backend === 'string' &&
        typeof speed.measuredAt === 'number',
    ),
  ) as Record<string, MeasuredSpeed>;
}

/** A run record as stored: the steps packed into columns. */
type SavedRun = Omit<RunRecord, 'steps'> & { steps: PackedSteps | RunRecord['steps'] };

async function restore(): Promise<void> {
  const { setUi, setModel, setStorage } = studio();
  const settings = migrateRecord<SettingsRecord>(
    await readSettingsRecord(SETTINGS_KEY).catch(() => undefined),
  );
  if (settings.ok) {
    const { forcedBackend, wasmThreads, measuredSpeeds } = settings.record;
    setUi({
      forcedBackend,
      wasmThreads: typeof wasmThreads === 'number' ? wasmThreads : null,
      measuredSpeeds: validSpeeds(measuredSpeeds),
    });
  }
  void startBackend();

  const raw = await readKey(PROJECT_KEY).catch(() => undefined);
  if (raw === undefined) {
    await reportUnsavedImport(null, storedBlob);
    return;
  }
  const migrated = migrateRecord<ProjectRecord>(raw);
  if (!migrated.ok) {
    suspended = true; // Never overwrite a save this page cannot read.
    setStorage({ problem: { message: migrated.reason } });
    return;
  }
  const project = migrated.record;
  savedData = project.data;
  if (project.data) {
    storedSource = sourceKey(project.data);
    storedBlob = project.data.kind === 'sample' ? null : (project.data.blob ?? UNNAMED_DATASET_BLOB);
    recordedBlob = storedBlob;
    if (project.data.kind === 'sample') sampleUrl = project.data.sampleUrl;
  }
  await reportUnsavedImport(project.data?.name ?? null, storedBlob);
  if (STEPS.includes(project.step)) setUi({ step: project.step as StepId });
  setModel({ repoId: project.model.repoId });

  const savedFormat = migrated.migratedFrom ?? SCHEMA_VERSION;
  const runs = (await readAllRuns<SavedRun>().catch(() => [])).map((run): RunRecord => {
    const upgraded = migrateRun(run, savedFormat);
    const record = upgraded.ok ? upgraded.record : run;
    return { ...record, steps: unpackSteps(record.steps) };
  });
  if (runs.length > 0) {
    // A run that was training when the page closed continues from its last checkpoint on request.
    const restored = runs
      .map((run) => (isRunLive(run.status) ? { ...run, status: 'interrupted' as const } : run))
      .sort((a, b) => a.createdAt - b.createdAt);
    const active = (await readKey<string | null>(ACTIVE_RUN_KEY).catch(() => null)) ?? null;
    replaceAllRuns(restored, active && restored.some((run) => run.id === active) ? active : null);
    studio().replaceLabelIssues(
      restoredSearches(
        project.labelIssues,
        restored.map((run) => run.id),
      ),
    );
    // Migrated records are written back in the current shape with the next save.
    if (migrated.migratedFrom === null) {
      savedRuns = new Map(
        studio().runOrder.flatMap((id) => (studio().runs[id] ? [[id, studio().runs[id]!] as const] : [])),
      );
    }
  }

  const saved = project.data;
  if (saved) {
    let input: DataInput | null = null;
    if (saved.kind === 'sample' && saved.sampleUrl) {
      input = { kind: 'url', name: saved.name, url: saved.sampleUrl };
    } else {
      const blob = storedBlob ? await readBlob(storedBlob).catch(() => undefined) : undefined;
      if (blob) input = { kind: 'file', file: new File([blob], saved.name, { type: blob.type }) };
    }
    if (input) {
      void openDataset(input, saved.kind, {
        mapping: saved.mapping,
        split: saved.split,
        confirmed: saved.confirmed,
        maxLength: saved.maxLength,
        edits: saved.edits,
      });
    } else {
      studio().setData({
        error: {
          message: `The saved file ${saved.name} could not be read back.`,
          hint: 'Drop it again; the rest of the project is kept.',
        },
      });
    }
  }

  if (project.model.loaded) {
    if (project.model.sourceKind === 'hub') {
      const ok = await restoreModel(project.model.repoId);
      if (!ok) {
        setModel({
          error: {
            message: `${project.model.repoId} is not in the browser cache any more.`,
            hint: 'Load it again from the Model step.',
          },
        });
      }
    } else if (project.model.sourceLabel) {
      setModel({
        error: {
          message: `The model folder ${project.model.sourceLabel} has to be picked again after a reload.`,
          hint: 'Use "Use a local folder" in the Model step; the browser cannot reopen folders by itself.',
        },
      });
    }
  }
}

/** Another tab took the project over: this one stops saving and stops its runs. */
function stopLiveRuns(): void {
  suspended = true;
  const { runs, runOrder } = studio();
  for (const id of runOrder) if (isRunLive(runs[id]?.status)) stopRun(id);
}

/** Restores the saved project, then saves every change. Called once at start-up. */
export async function initProject(): Promise<void> {
  if (started) return;
  started = true;
  setDatasetSaveHook((input) => void saveDataset(input));
  setRecordsSaver(saveNow);
  const project = await chooseProject();
  selectProjectStorage(project.id);
  studio().setStorage({ project: { id: project.id, name: project.name } });
  // Another tab writing the project leaves this one read-only: it restores, never saves.
  if (!(await claimProject(project.id, stopLiveRuns))) suspended = true;
  try {
    await restore();
  } catch (error) {
    studio().setStorage({
      problem: {
        message: `The saved project could not be read: ${error instanceof Error ? error.message : String(error)}.`,
        hint: 'You can keep working; the project is saved again as you go.',
      },
    });
  }
  studio().setStorage({ restored: true });
  useStudio.subscribe((state, previous) => {
    if (
      state.data !== previous.data ||
      state.model.repoId !== previous.model.repoId ||
      state.model.status !== previous.model.status ||
      state.ui.step !== previous.ui.step ||
      state.ui.forcedBackend !== previous.ui.forcedBackend ||
      state.ui.wasmThreads !== previous.ui.wasmThreads ||
      state.ui.measuredSpeeds !== previous.ui.measuredSpeeds ||
      state.runs !== previous.runs ||
      state.labelIssues !== previous.labelIssues ||
      state.activeRunId !== previous.activeRunId
    ) {
      scheduleSave();
    }
  });
}

/** Deletes the saved project and starts empty (the downloaded models stay in the cache). */
/**
 * Starts a new, empty project and opens it; the current one stays in the project list. Pending
 * changes are saved first.
 */
export async function newProject(): Promise<void> {
  await flushProject();
  const entry = await createProject('Untitled project');
  location.assign(projectUrl(entry.id));
}
