// Feature caches that outgrow memory go to temporary files in Node: one scratch folder per run,
// one file per cache, removed when the cache is disposed and, at the latest, when the process exits.
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  chooseFeatureCache,
  type SpillStorage,
  type FeatureCacheFactory,
  type RandomAccessFile,
} from '../core/train/index.ts';

/** A file opened for reading and writing (created or emptied); close() also deletes it. */
export function nodeRandomAccessFile(path: string): RandomAccessFile {
  const fd = openSync(path, 'w+');
  let open = true;
  return {
    read(offset, into) {
      let done = 0;
      while (done < into.byteLength) {
        const n = readSync(fd, into, done, into.byteLength - done, offset + done);
        if (n === 0) break; // end of file: the caller sees the short count
        done += n;
      }
      return done;
    },
    write(offset, data) {
      let done = 0;
      while (done < data.byteLength) done += writeSync(fd, data, done, data.byteLength - done, offset + done);
      return done;
    },
    truncate(size) {
      ftruncateSync(fd, size);
    },
    close() {
      if (!open) return;
      open = false;
      closeSync(fd);
      rmSync(path, { force: true });
    },
  };
}

export interface TempSpill extends SpillStorage {
  /** The scratch folder, once a file was opened (null before, and after dispose). */
  readonly directory: string | null;
  open(): RandomAccessFile;
  /** Removes the run's scratch folder and whatever is left in it. */
  dispose(): void;
}

/** Scratch files under a fresh folder in the system's temp directory, created on first use. */
export function tempSpill(prefix = 'finetune-studio-cache-'): TempSpill {
  let dir: string | null = null;
  let count = 0;
  const remove = () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  };
  return {
    where: 'a temporary file',
    get directory() {
      return dir;
    },
    open() {
      if (!dir) {
        dir = mkdtempSync(join(tmpdir(), prefix));
        // A run cut short (a second Ctrl-C exits at once) still leaves no scratch files behind.
        process.once('exit', remove);
      }
      return nodeRandomAccessFile(join(dir, `features-${count++}.f32`));
    },
    dispose() {
      remove();
      process.off('exit', remove);
    },
  };
}

/** A quarter of the machine's memory: the model, its gradients and the tokenized data need the rest. */
export const defaultCacheMemoryBudget = (): number => Math.floor(totalmem() / 4);

/** The Node training's cache factory: memory up to the budget, temporary files beyond it. */
export function nodeFeatureCache(options: {
  memoryBudgetBytes?: number;
  notify(message: string, level: 'info' | 'warning'): void;
}): { factory: FeatureCacheFactory; storage: TempSpill } {
  const storage = tempSpill();
  const factory = chooseFeatureCache({
    memoryBudgetBytes: options.memoryBudgetBytes ?? defaultCacheMemoryBudget(),
    storage,
    notify: options.notify,
  });
  return { factory, storage };
}
