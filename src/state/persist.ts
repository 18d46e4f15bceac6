// Local persistence: small records in IndexedDB, big blobs (the dataset file, checkpoints) in the
// Origin Private File System when the browser has it, else in IndexedDB. Every write is atomic
// (an IDB transaction; an OPFS writable only replaces the file on close), so a failed write, such
// as a full quota, never damages what was saved before.

const DB_VERSION = 1;
const KV = 'kv';
const RUNS = 'runs';
const BLOBS = 'blobs';
/** The project that kept the studio's first storage names (every project saved before there were several). */
export const FIRST_PROJECT_ID = 'default';

/** Where a project's records (IndexedDB) and files (OPFS directory) live. */
export function projectStorageNames(projectId: string): { db: string; opfs: string } {
  return projectId === FIRST_PROJECT_ID
    ? { db: 'finetune-studio', opfs: 'finetune-studio' }
    : { db: `finetune-studio/${projectId}`, opfs: `finetune-studio-${projectId}` };
}

let names = projectStorageNames(FIRST_PROJECT_ID);

/** Chooses the project this page reads and writes; called once, before anything is read. */
export function selectProjectStorage(projectId: string): void {
  names = projectStorageNames(projectId);
  dbPromise = null;
}

export class StorageFullError extends Error {
  constructor(cause: unknown) {
    super('The browser has no more storage space for this site.', { cause });
    this.name = 'StorageFullError';
  }
}

export function isQuotaError(error: unknown): boolean {
  if (error instanceof StorageFullError) return true;
  const name = (error as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

let dbPromise: Promise<IDBDatabase> | null = null;

function openDb(): Promise<IDBDatabase> {
  dbPromise ??= openNamedDb(names.db).catch((error: unknown) => {
    dbPromise = null;
    throw error;
  });
  return dbPromise;
}

function openNamedDb(name: string): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('This browser offers no IndexedDB, so the project cannot be saved.'));
      return;
    }
    const request = indexedDB.open(name, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV);
      if (!db.objectStoreNames.contains(RUNS)) db.createObjectStore(RUNS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(BLOBS)) db.createObjectStore(BLOBS);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not open.'));
    request.onblocked = () => reject(new Error('Another tab holds an older version of the studio open.'));
  });
}

function settle<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact(
  stores: string[],
  mode: IDBTransactionMode,
  body: (tx: IDBTransaction) => void,
): Promise<void> {
  if (mode === 'readwrite' && !writable) return;
  const db = await openDb();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(stores, mode);
    tx.oncomplete = () => resolve();
    const fail = () => {
      const error = tx.error;
      reject(isQuotaError(error) ? new StorageFullError(error) : (error ?? new Error('Saving failed.')));
    };
    tx.onerror = fail;
    tx.onabort = fail;
    body(tx);
  });
}

/**
 * Whether this tab may write the project's storage. A tab that opened a project another tab is
 * writing (state/tabs.ts) reads it but never writes or deletes, so it can neither replace nor
 * mix into that tab's project.
 */
let writable = true;

export function setStorageWritable(on: boolean): void {
  writable = on;
}

export function isStorageWritable(): boolean {
  return writable;
}

export async function readKey<T>(key: string): Promise<T | undefined> {
  const db = await openDb();
  return (await settle(db.transaction(KV).objectStore(KV).get(key))) as T | undefined;
}

export async function writeKey(key: string, value: unknown): Promise<void> {
  await transact([KV], 'readwrite', (tx) => tx.objectStore(KV).put(value, key));
}

export async function readAllRuns<T>(): Promise<T[]> {
  const db = await openDb();
  return (await settle(db.transaction(RUNS).objectStore(RUNS).getAll())) as T[];
}

/** Writes changed runs and deletes removed ones in one transaction. */
export async function writeRuns(put: { id: string }[], remove: string[]): Promise<void> {
  if (put.length === 0 && remove.length === 0) return;
  await transact([RUNS], 'readwrite', (tx) => {
    const store = tx.objectStore(RUNS);
    for (const run of put) store.put(run);
    for (const id of remove) store.delete(id);
  });
}

// The browser's own settings (backend, threads, measured speeds) belong to no project: they stay in
// the first project's records, whichever project a page has open.
let settingsDbPromise: Promise<IDBDatabase> | null = null;
const settingsDb = () =>
  (settingsDbPromise ??= openNamedDb(projectStorageNames(FIRST_PROJECT_ID).db).catch((error: unknown) => {
    settingsDbPromise = null;
    throw error;
  }));

export async function readSettingsRecord<T>(key: string): Promise<T | undefined> {
  const db = await settingsDb();
  return (await settle(db.transaction(KV).objectStore(KV).get(key))) as T | undefined;
}

export async function writeSettingsRecord(key: string, value: unknown): Promise<void> {
  if (!writable) return;
  const db = await settingsDb();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(KV, 'readwrite');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(isQuotaError(tx.error) ? new StorageFullError(tx.error) : tx.error);
    tx.onabort = tx.onerror;
    tx.objectStore(KV).put(value, key);
  });
}

/** Every saved record under `keys` (absent ones left out). */
export async function readKeys(keys: readonly string[]): Promise<Record<string, unknown>> {
  const db = await openDb();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = await settle(db.transaction(KV).objectStore(KV).get(key));
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Switches storage to another project's records in one transaction: the given records replace
 * those under `keys`, and the run records replace all runs. Blobs are written before (under
 * fresh keys or the runs' own), so a page closed at any moment leaves one whole project.
 */
export async function replaceProjectRecords(
  keys: readonly string[],
  records: Record<string, unknown>,
  runs: readonly { id: string }[],
): Promise<void> {
  await transact([KV, RUNS], 'readwrite', (tx) => {
    const kv = tx.objectStore(KV);
    for (const key of keys) {
      if (key in records) kv.put(records[key], key);
      else kv.delete(key);
    }
    const store = tx.objectStore(RUNS);
    store.clear();
    for (const run of runs) store.put(run);
  });
}

// ---------------------------------------------------------------------------------------------
// Blobs

async function opfsDir(dirName = names.opfs): Promise<FileSystemDirectoryHandle | null> {
  try {
    if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle(dirName, { create: true });
  } catch {
    return null;
  }
}

function opfsName(key: string): string {
  return encodeURIComponent(key);
}

export async function writeBlob(key: string, blob: Blob): Promise<void> {
  if (!writable) return;
  const dir = await opfsDir();
  if (dir) {
    try {
      const handle = await dir.getFileHandle(opfsName(key), { create: true });
      const writable = await handle.createWritable();
      try {
        await writable.write(blob);
        await writable.close();
      } catch (error) {
        await writable.abort().catch(() => undefined);
        throw error;
      }
      return;
    } catch (error) {
      if (isQuotaError(error)) throw new StorageFullError(error);
      // OPFS refused for another reason (e.g. no createWritable): fall back to IndexedDB.
    }
  }
  await transact([BLOBS], 'readwrite', (tx) => tx.objectStore(BLOBS).put(blob, key));
}

export async function readBlob(key: string): Promise<Blob | undefined> {
  const dir = await opfsDir();
  if (dir) {
    try {
      const handle = await dir.getFileHandle(opfsName(key));
      return await handle.getFile();
    } catch {
      // Not in OPFS: maybe saved in IndexedDB by a browser without OPFS writes.
    }
  }
  const db = await openDb();
  return (await settle(db.transaction(BLOBS).objectStore(BLOBS).get(key))) as Blob | undefined;
}

export async function deleteBlob(key: string): Promise<void> {
  if (!writable) return;
  const dir = await opfsDir();
  if (dir) await dir.removeEntry(opfsName(key)).catch(() => undefined);
  await transact([BLOBS], 'readwrite', (tx) => tx.objectStore(BLOBS).delete(key));
}

/** The keys of the stored blobs whose key starts with `prefix`. */
export async function blobKeys(prefix: string): Promise<string[]> {
  const keys = new Set<string>();
  const dir = await opfsDir();
  if (dir) {
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      const key = decodeURIComponent(name);
      if (key.startsWith(prefix)) keys.add(key);
    }
  }
  const db = await openDb();
  const stored = await settle(
    db
      .transaction(BLOBS)
      .objectStore(BLOBS)
      .getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`)),
  );
  for (const key of stored) if (typeof key === 'string') keys.add(key);
  return [...keys];
}

export async function deleteBlobs(prefix: string): Promise<void> {
  if (!writable) return;
  const dir = await opfsDir();
  if (dir) {
    const encoded = opfsName(prefix);
    const names: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      if (name.startsWith(encoded)) names.push(name);
    }
    for (const name of names) await dir.removeEntry(name).catch(() => undefined);
  }
  await transact([BLOBS], 'readwrite', (tx) =>
    tx.objectStore(BLOBS).delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`)),
  );
}

/** Asks the browser not to evict the project under storage pressure. */
export async function requestPersistence(): Promise<boolean | null> {
  try {
    if (!navigator.storage?.persist) return null;
    if (await navigator.storage.persisted()) return true;
    return await navigator.storage.persist();
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Checkpoints and other per-run blobs, for the train steps.

export const runBlobKey = (runId: string, name: string): string => `run/${runId}/${name}`;

export function saveRunBlob(runId: string, name: string, blob: Blob): Promise<void> {
  return writeBlob(runBlobKey(runId, name), blob);
}

export function loadRunBlob(runId: string, name: string): Promise<Blob | undefined> {
  return readBlob(runBlobKey(runId, name));
}

export function deleteRunBlob(runId: string, name: string): Promise<void> {
  return deleteBlob(runBlobKey(runId, name));
}

export function deleteRunBlobs(runId: string): Promise<void> {
  return deleteBlobs(`run/${runId}/`);
}

// ---------------------------------------------------------------------------------------------
// Other projects' storage, for the project list (the page itself reads and writes only its own).

async function withNamedDb<T>(name: string, body: (db: IDBDatabase) => Promise<T>): Promise<T> {
  const db = await openNamedDb(name);
  try {
    return await body(db);
  } finally {
    db.close();
  }
}

async function opfsFiles(dirName: string): Promise<{ name: string; file: File }[]> {
  const dir = await opfsDir(dirName);
  if (!dir) return [];
  const files: { name: string; file: File }[] = [];
  const entries = dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> };
  for await (const [name, handle] of entries.entries()) {
    if (handle.kind === 'file') files.push({ name, file: await (handle as FileSystemFileHandle).getFile() });
  }
  return files;
}

export interface StoredProjectSummary {
  /** The dataset's file name, if the project has one. */
  dataset: string | null;
  runs: number;
  /** Bytes of its stored files (dataset, checkpoints); records add a little more. */
  bytes: number;
}

/** What another project holds, read without opening it. */
export async function storedProjectSummary(projectId: string): Promise<StoredProjectSummary> {
  const { db: dbName, opfs } = projectStorageNames(projectId);
  const fromDb = await withNamedDb(dbName, async (db) => {
    const project = (await settle(db.transaction(KV).objectStore(KV).get('project'))) as
      { data?: { name?: unknown } | null } | undefined;
    const runs = await settle(db.transaction(RUNS).objectStore(RUNS).count());
    const blobs = (await settle(db.transaction(BLOBS).objectStore(BLOBS).getAll())) as Blob[];
    const name = project?.data?.name;
    return {
      dataset: typeof name === 'string' ? name : null,
      runs,
      bytes: blobs.reduce((sum, blob) => sum + (blob instanceof Blob ? blob.size : 0), 0),
    };
  });
  const files = await opfsFiles(opfs);
  return { ...fromDb, bytes: fromDb.bytes + files.reduce((sum, f) => sum + f.file.size, 0) };
}

/** Copies one project's records and files into another project's (empty) storage. */
export async function copyProjectStorage(fromId: string, toId: string): Promise<void> {
  const from = projectStorageNames(fromId);
  const to = projectStorageNames(toId);
  const source = await withNamedDb(from.db, async (db) => {
    const tx = db.transaction([KV, RUNS, BLOBS]);
    const [kvKeys, kvValues, runs, blobKeysList, blobValues] = await Promise.all([
      settle(tx.objectStore(KV).getAllKeys()),
      settle(tx.objectStore(KV).getAll()),
      settle(tx.objectStore(RUNS).getAll()),
      settle(tx.objectStore(BLOBS).getAllKeys()),
      settle(tx.objectStore(BLOBS).getAll()),
    ]);
    return { kvKeys, kvValues, runs, blobKeysList, blobValues };
  });
  // Files first, then the records in one transaction: an interrupted copy leaves no project record.
  const target = await opfsDir(to.opfs);
  for (const { name, file } of await opfsFiles(from.opfs)) {
    if (!target) break;
    const handle = await target.getFileHandle(name, { create: true });
    const out = await handle.createWritable();
    await out.write(file);
    await out.close();
  }
  await withNamedDb(
    to.db,
    (db) =>
      new Promise<void>((resolve, reject) => {
        const tx = db.transaction([KV, RUNS, BLOBS], 'readwrite');
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(isQuotaError(tx.error) ? new StorageFullError(tx.error) : tx.error);
        tx.onabort = tx.onerror;
        source.blobKeysList.forEach((key, i) => tx.objectStore(BLOBS).put(source.blobValues[i], key));
        for (const run of source.runs) tx.objectStore(RUNS).put(run);
        // The settings record is the browser's, not the project's: it stays with the first project.
        source.kvKeys.forEach((key, i) => {
          if (key !== 'settings') tx.objectStore(KV).put(source.kvValues[i], key);
        });
      }),
  );
}

/** Deletes a project's records and files. The caller makes sure no tab has it open. */
export async function deleteProjectStorage(projectId: string): Promise<void> {
  const { db, opfs } = projectStorageNames(projectId);
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(db);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error('The project could not be deleted.'));
    request.onblocked = () => reject(new Error('The project is open in another tab; close it there first.'));
  });
  try {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(opfs, { recursive: true });
  } catch {
    // Nothing saved in OPFS.
  }
}
