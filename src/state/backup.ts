// Backup and move: the whole project (dataset file, edits, settings, runs with their metrics and
// kept checkpoints) as one file, and such a file opened in place of the current project.
import { isProjectBlobKey, projectFileChunks, readProjectFile } from '../core/project/index.ts';
import { saveBlob } from './data.ts';
import {
  blobKeys,
  deleteBlob,
  isStorageWritable,
  readAllRuns,
  readBlob,
  readKeys,
  replaceProjectRecords,
  writeBlob,
} from './persist.ts';
import { flushProject, PROJECT_RECORD_KEYS, suspendSaving } from './project.ts';
import { isRunLive, type RunRecord } from './runs/index.ts';
import { migrateRecord, SCHEMA_VERSION, type ProjectRecord } from './schema.ts';
import { studio } from './store.ts';

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The blobs a project's records name: its dataset file and its runs' files. */
async function projectBlobKeys(project: ProjectRecord | undefined, runIds: Set<string>): Promise<string[]> {
  const dataset = project?.data && project.data.kind !== 'sample' ? (project.data.blob ?? 'dataset') : null;
  const runFiles = (await blobKeys('run/')).filter((key) => runIds.has(key.split('/')[1] ?? ''));
  return [...(dataset ? [dataset] : []), ...runFiles].filter(isProjectBlobKey);
}

/** Downloads the project as `<file name>.finetune-project.zip`; resolves with a reason if it cannot. */
export async function downloadProjectBackup(): Promise<string | null> {
  try {
    if (Object.values(studio().runs).some((run) => run && isRunLive(run.status))) {
      throw new Error('a run is training; back up once it has finished or is paused');
    }
    if (!(await flushProject())) throw new Error('the latest changes could not be saved first');
    const records = await readKeys(PROJECT_RECORD_KEYS);
    const runs = await readAllRuns<RunRecord>();
    const project = records.project as ProjectRecord | undefined;
    const blobs = new Map<string, Uint8Array>();
    for (const key of await projectBlobKeys(project, new Set(runs.map((run) => run.id)))) {
      const blob = await readBlob(key);
      if (blob) blobs.set(key, new Uint8Array(await blob.arrayBuffer()));
    }
    const name = project?.data?.name ?? 'project';
    const chunks = projectFileChunks(
      { records, runs, blobs },
      { name, schemaVersion: SCHEMA_VERSION, exportedAt: new Date() },
    );
    saveBlob(
      new Blob(chunks as Uint8Array<ArrayBuffer>[], { type: 'application/zip' }),
      `${name.replace(/\.[^.]+$/, '')}.finetune-project.zip`,
    );
    return null;
  } catch (error) {
    return `The backup could not be made: ${message(error)}.`;
  }
}

/**
 * Opens a project file in place of the current project and reloads, restoring it as on any
 * visit. Everything is checked before anything is written; the file's blobs are stored first and
 * the records switch in one transaction, so a page closed midway keeps the current project whole.
 * Resolves with a one-line reason when the file is refused (nothing changed then).
 */
export async function restoreProjectBackup(file: File): Promise<string | null> {
  if (!isStorageWritable()) {
    return 'This tab has the project open read-only: take it over first, then restore the backup.';
  }
  let snapshot;
  try {
    ({ snapshot } = readProjectFile(new Uint8Array(await file.arrayBuffer()), SCHEMA_VERSION));
    const project = migrateRecord<ProjectRecord>(snapshot.records.project);
    if (!project.ok) return `${file.name}: ${project.reason}`;
  } catch (error) {
    return `${file.name}: ${message(error)}`;
  }
  try {
    suspendSaving();
    for (const [key, bytes] of snapshot.blobs) {
      await writeBlob(key, new Blob([bytes as Uint8Array<ArrayBuffer>]));
    }
    await replaceProjectRecords(PROJECT_RECORD_KEYS, snapshot.records, snapshot.runs);
  } catch (error) {
    return `${file.name} could not be stored (${message(error)}); reload to go on with the current project.`;
  }
  const keep = new Set(snapshot.blobs.keys());
  for (const key of [...(await blobKeys('dataset')), ...(await blobKeys('run/'))]) {
    if (!keep.has(key)) await deleteBlob(key).catch(() => undefined);
  }
  location.reload();
  return null;
}
