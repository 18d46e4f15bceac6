// Where a run's frozen activations live: in memory while they fit the caller's budget, else in a
// scratch file (OPFS in a browser, a temporary file in Node). The user is told when a cache goes
// to disk, how big it is, and when it should have but could not.
import { MemoryFeatureCache, type FeatureCache, type FeatureCacheFactory } from './feature-cache.ts';
import { FileFeatureCache, formatBytes, type RandomAccessFile } from './feature-cache-file.ts';

export interface SpillStorage {
  /** Where spilled caches go, as the messages name it ("OPFS", "a temporary file"). */
  where: string;
  /** A new, empty scratch file, one per cache; removed by its close(). */
  open(): RandomAccessFile | Promise<RandomAccessFile>;
}

export interface FeatureCacheChoice {
  /** Bytes of cached activations the run may hold in memory, over all its splits. */
  memoryBudgetBytes: number;
  /** Scratch storage for caches over the budget; null when there is none. */
  storage: SpillStorage | null;
  /** Why there is no storage, for the message when a cache would have spilled. */
  unavailable?: string;
  /** Messages for the run's notices. */
  notify(message: string, level: 'info' | 'warning'): void;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Bytes of a cache holding `lengths[i]` tokens of `dim` float32 values per row. */
export function featureCacheBytes(lengths: Int32Array, dim: number): number {
  let tokens = 0;
  for (const length of lengths) tokens += length;
  return tokens * dim * 4;
}

/**
 * A factory that keeps each cache in memory while the caches it made (and has not seen disposed)
 * fit `memoryBudgetBytes`, and puts the others in `storage`.
 */
export function chooseFeatureCache(choice: FeatureCacheChoice): FeatureCacheFactory {
  let inMemory = 0;
  const budget = formatBytes(choice.memoryBudgetBytes);

  const memoryCache = (lengths: Int32Array, dim: number, bytes: number): FeatureCache => {
    const cache = new MemoryFeatureCache(lengths, dim);
    inMemory += bytes;
    let released = false;
    const dispose = cache.dispose.bind(cache);
    cache.dispose = () => {
      if (!released) inMemory -= bytes;
      released = true;
      dispose();
    };
    return cache;
  };

  return async (lengths, dim) => {
    const bytes = featureCacheBytes(lengths, dim);
    if (inMemory + bytes <= choice.memoryBudgetBytes) return memoryCache(lengths, dim, bytes);
    const what =
      `The frozen layers' output for ${lengths.length.toLocaleString('en')} examples (${formatBytes(bytes)}) ` +
      `is over the ${budget} memory budget${inMemory > 0 ? ` (${formatBytes(inMemory)} already cached in memory)` : ''}`;
    if (!choice.storage) {
      choice.notify(
        `${what}, but it cannot go to disk (${choice.unavailable ?? 'no scratch storage here'}): keeping it in memory.`,
        'warning',
      );
      return memoryCache(lengths, dim, bytes);
    }
    const { where } = choice.storage;
    let cache: FileFeatureCache;
    try {
      cache = await FileFeatureCache.create(await choice.storage.open(), lengths, dim);
    } catch (error) {
      choice.notify(
        `${what}, but ${where} refused it (${describe(error)}): keeping it in memory.`,
        'warning',
      );
      return memoryCache(lengths, dim, bytes);
    }
    choice.notify(`${what}: cached in ${where} instead, read back from disk each epoch.`, 'info');
    const dispose = cache.dispose.bind(cache);
    // The trainer does not wait for disposal: a file that cannot be removed is a warning, not a crash.
    cache.dispose = () =>
      dispose().catch((error: unknown) =>
        choice.notify(`The cache file in ${where} could not be removed: ${describe(error)}`, 'warning'),
      );
    return cache;
  };
}
