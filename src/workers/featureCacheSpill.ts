// Frozen activations too large for memory go to the origin private file system (OPFS), which a
// dedicated worker can read and write synchronously. Each cache of a run is one file named after
// the run, removed when the run's caches are disposed (the run ends, however it ends); files left
// by a tab that closed mid-run are swept when the next spill starts.
import {
  chooseFeatureCache,
  type SpillStorage,
  type FeatureCacheFactory,
  type RandomAccessFile,
} from '../core/train/index.ts';

const FOLDER = 'feature-cache';
const GiB = 2 ** 30;

/** Why this worker cannot spill to OPFS, or null when it can. */
function opfsUnavailable(): string | null {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') {
    return 'this browser has no origin private file system';
  }
  if (
    typeof FileSystemFileHandle === 'undefined' ||
    typeof (FileSystemFileHandle.prototype as { createSyncAccessHandle?: unknown }).createSyncAccessHandle !==
      'function'
  ) {
    return 'this browser cannot write OPFS files from a worker';
  }
  return null;
}

/**
 * Memory for cached activations: a quarter of the device's memory as the browser reports it
 * (rounded, at most 8 GB, and only in Chromium), between 256 MB and 2 GB; 1 GB when unknown. The
 * rest is for the model, its gradients, the optimizer's moments and the tokenized data.
 */
export function cacheMemoryBudget(): number {
  const deviceGb = (navigator as { deviceMemory?: number }).deviceMemory;
  if (typeof deviceGb !== 'number' || !(deviceGb > 0)) return GiB;
  return Math.round(Math.min(2, Math.max(0.25, deviceGb / 4)) * GiB);
}

function syncHandleFile(handle: FileSystemSyncAccessHandle, remove: () => Promise<void>): RandomAccessFile {
  let open = true;
  return {
    read: (offset, into) => handle.read(into, { at: offset }),
    write: (offset, data) => handle.write(data, { at: offset }),
    truncate: (size) => handle.truncate(size),
    async close() {
      if (!open) return;
      open = false;
      handle.close();
      await remove();
    },
  };
}

/** Removes cache files no worker has open: a file still in use is locked and stays. */
async function sweep(folder: FileSystemDirectoryHandle): Promise<void> {
  const names: string[] = [];
  for await (const name of (folder as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  await Promise.allSettled(names.map((name) => folder.removeEntry(name)));
}

function opfsStorage(runId: string): SpillStorage {
  let folder: Promise<FileSystemDirectoryHandle> | null = null;
  let count = 0;
  const safeId = runId.replace(/[^A-Za-z0-9_-]/g, '_');
  return {
    where: "OPFS (the browser's private storage for this site)",
    async open() {
      folder ??= navigator.storage
        .getDirectory()
        .then((root) => root.getDirectoryHandle(FOLDER, { create: true }))
        .then(async (dir) => {
          await sweep(dir).catch(() => undefined);
          return dir;
        });
      const dir = await folder;
      const name = `${safeId}.${count++}.f32`;
      const handle = await (await dir.getFileHandle(name, { create: true })).createSyncAccessHandle();
      return syncHandleFile(handle, () => dir.removeEntry(name));
    },
  };
}

/**
 * The training worker's cache factory: memory up to `budget`, OPFS beyond it, and memory with a
 * warning where OPFS is missing. `notify` puts the choice into the run's messages.
 */
export function browserFeatureCache(
  runId: string,
  notify: (message: string, level: 'info' | 'warning') => void,
  budget = cacheMemoryBudget(),
): FeatureCacheFactory {
  const unavailable = opfsUnavailable();
  return chooseFeatureCache({
    memoryBudgetBytes: budget,
    storage: unavailable ? null : opfsStorage(runId),
    ...(unavailable ? { unavailable } : {}),
    notify,
  });
}
