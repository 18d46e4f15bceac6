// Several projects: a small directory (its own IndexedDB) of every project this browser keeps, with
// its name and when it was last opened. Each project's records and files live in storage of its own
// (persist.ts names them), and a page opens exactly one, named in its address (`?project=<id>`);
// switching projects is a navigation, so opening one is an ordinary visit.
import {
  copyProjectStorage,
  deleteProjectStorage,
  FIRST_PROJECT_ID,
  storedProjectSummary,
  type StoredProjectSummary,
} from './persist.ts';
import { isProjectOpen } from './tabs.ts';

const DIRECTORY_DB = 'finetune-studio-projects';
const PROJECTS = 'projects';

export interface ProjectEntry {
  id: string;
  name: string;
  createdAt: number;
  lastOpenedAt: number;
}

export interface ProjectListing extends ProjectEntry, StoredProjectSummary {
  /** Open as its writer in some tab (this one included). */
  open: boolean;
}

function openDirectory(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('This browser offers no IndexedDB, so projects cannot be kept.'));
      return;
    }
    const request = indexedDB.open(DIRECTORY_DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(PROJECTS, { keyPath: 'id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('The project list could not be opened.'));
  });
}

async function inDirectory<T>(
  mode: IDBTransactionMode,
  body: (store: IDBObjectStore) => IDBRequest<T> | void,
): Promise<T | undefined> {
  const db = await openDirectory();
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const tx = db.transaction(PROJECTS, mode);
      const request = body(tx.objectStore(PROJECTS));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('The project list could not be saved.'));
    });
  } finally {
    db.close();
  }
}

const allEntries = async (): Promise<ProjectEntry[]> =>
  (await inDirectory<ProjectEntry[]>('readonly', (store) => store.getAll() as IDBRequest<ProjectEntry[]>)) ??
  [];

const putEntry = (entry: ProjectEntry) => inDirectory('readwrite', (store) => void store.put(entry));

function newProjectId(): string {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `p${Date.now().toString(36)}${random[0]!.toString(36)}${random[1]!.toString(36)}`.slice(0, 20);
}

const isProjectId = (id: string) => /^[a-z0-9]{1,40}$/.test(id);

/** The address of a project: this page's address with `project` set (other parameters kept). */
export function projectUrl(id: string): string {
  const url = new URL(location.href);
  url.searchParams.set('project', id);
  return url.toString();
}

/**
 * Which project this page opens: the one its address names, else the one opened last, else the
 * first project (whose storage keeps the names every earlier save used). It is entered in the
 * directory and marked as opened now.
 */
export async function chooseProject(): Promise<ProjectEntry> {
  const asked = new URL(location.href).searchParams.get('project');
  const entries = await allEntries().catch(() => [] as ProjectEntry[]);
  const now = Date.now();
  let entry = (asked ? entries.find((e) => e.id === asked) : undefined) ??
    (asked && isProjectId(asked)
      ? { id: asked, name: 'Untitled project', createdAt: now, lastOpenedAt: now }
      : [...entries].sort((a, b) => b.lastOpenedAt - a.lastOpenedAt)[0]) ?? {
      id: FIRST_PROJECT_ID,
      name: 'Project 1',
      createdAt: now,
      lastOpenedAt: now,
    };
  entry = { ...entry, lastOpenedAt: now };
  await putEntry(entry).catch(() => undefined);
  return entry;
}

/** Every project with what it holds and whether a tab has it open, last opened first. */
export async function listProjects(): Promise<ProjectListing[]> {
  const entries = await allEntries();
  const listings = await Promise.all(
    entries.map(async (entry) => ({
      ...entry,
      ...(await storedProjectSummary(entry.id).catch(() => ({ dataset: null, runs: 0, bytes: 0 }))),
      open: await isProjectOpen(entry.id).catch(() => false),
    })),
  );
  return listings.sort((a, b) => b.lastOpenedAt - a.lastOpenedAt);
}

/** The browser's storage use and quota for this site, when it says. */
export async function storageEstimate(): Promise<{ usage: number; quota: number } | null> {
  try {
    const { usage, quota } = (await navigator.storage?.estimate?.()) ?? {};
    return typeof usage === 'number' && typeof quota === 'number' ? { usage, quota } : null;
  } catch {
    return null;
  }
}

/** Names a new empty project; open it with `projectUrl`. */
export async function createProject(name: string): Promise<ProjectEntry> {
  const now = Date.now();
  const entry = {
    id: newProjectId(),
    name: name.trim() || 'Untitled project',
    createdAt: now,
    lastOpenedAt: now - 1,
  };
  await putEntry(entry);
  return entry;
}

export async function renameProject(id: string, name: string): Promise<void> {
  const entry = (await allEntries()).find((e) => e.id === id);
  if (!entry) throw new Error('That project no longer exists.');
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('A project needs a name.');
  await putEntry({ ...entry, name: trimmed.slice(0, 120) });
}

/** A copy of a project (its data, edits, runs and checkpoints) under a new name. */
export async function duplicateProject(id: string): Promise<ProjectEntry> {
  const entry = (await allEntries()).find((e) => e.id === id);
  if (!entry) throw new Error('That project no longer exists.');
  const copy = await createProject(`${entry.name} (copy)`);
  try {
    await copyProjectStorage(id, copy.id);
  } catch (error) {
    await deleteProjectStorage(copy.id).catch(() => undefined);
    await inDirectory('readwrite', (store) => void store.delete(copy.id));
    throw error;
  }
  return copy;
}

/** Deletes a project no tab has open; resolves with a one-line reason when it cannot. */
export async function deleteProject(id: string): Promise<string | null> {
  if (await isProjectOpen(id))
    return 'This project is open in a tab: close it there (or open another project) first.';
  try {
    await deleteProjectStorage(id);
    await inDirectory('readwrite', (store) => void store.delete(id));
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
