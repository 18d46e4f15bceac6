// The import being stored: its name is written before its file, so a reload that finds it
// unrecorded (the page closed while the file was stored) tells the user which file was lost and
// which one the project kept.
import { readKey, writeKey } from './persist.ts';
import { studio } from './store.ts';

const PENDING_DATASET_KEY = 'pendingDataset';

interface PendingDataset {
  blob: string;
  fileName: string;
}

/** Records that `fileName` is about to be stored as blob `blob`. */
export function markImportPending(blob: string, fileName: string): Promise<void> {
  const pending: PendingDataset = { blob, fileName };
  return writeKey(PENDING_DATASET_KEY, pending);
}

/**
 * After a restore: an import whose blob is not the one the project record names (`storedBlob`)
 * was lost, and the user is told, with the file the project kept (`recordedFile`).
 */
export async function reportUnsavedImport(
  recordedFile: string | null,
  storedBlob: string | null,
): Promise<void> {
  const pending = await readKey<PendingDataset | null>(PENDING_DATASET_KEY).catch(() => null);
  if (!pending || typeof pending.blob !== 'string' || typeof pending.fileName !== 'string') return;
  if (pending.blob !== storedBlob) {
    studio().setStorage({
      lost: {
        message: `${pending.fileName} was still being saved when the page closed, so ${
          recordedFile ? `this project keeps ${recordedFile}` : 'this project has no file yet'
        }.`,
        hint: `Open ${pending.fileName} again to use it.`,
      },
    });
  }
  await writeKey(PENDING_DATASET_KEY, null).catch(() => undefined);
}
