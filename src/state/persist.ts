// Local persistence: small records in IndexedDB, big blobs (the dataset file, checkpoints) in the
// Origin Private File System when the browser has it, else in IndexedDB. Every write is atomic
// (an IDB transaction; an OPFS writable only replaces the file on close), so a failed write, such
// as a full quota, never damages what was saved before.

const DB_NAME = 'finetune-studio';
const DB_VERSION = 1;
const KV = 'kv';
const RUNS = 'runs';
const BLOBS = 'blobs';
const OPFS_DIR = 'finetune-studio';

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
  dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('This browser offers no IndexedDB, so the project cannot be saved.'));
      return;
    }
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV);
      if (!db.objectStoreNames.contains(RUNS)) db.createObjectStore(RUNS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(BLOBS)) db.createObjectStore(BLOBS);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not open.'));
    request.onblocked = () => reject(new Error('Another tab holds an older version of the studio open.'));
  }).catch((error: unknown) => {
    dbPromise = null;
    throw error;
  });
  return dbPromise;
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

async function opfsDir(): Promise<FileSystemDirectoryHandle | null> {
  try {
    if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
    const root = await navigator.storage.getDirectory();
    return await root.getDirectoryHandle(OPFS_DIR, { create: true });
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

/** Removes every saved record and blob of the project (the model download cache is kept). */
export async function clearAll(): Promise<void> {
  if (!writable) return;
  await transact([KV, RUNS, BLOBS], 'readwrite', (tx) => {
    tx.objectStore(KV).clear();
    tx.objectStore(RUNS).clear();
    tx.objectStore(BLOBS).clear();
  });
  try {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(OPFS_DIR, { recursive: true });
  } catch {
    // Nothing saved in OPFS.
  }
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
