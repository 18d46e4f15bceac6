// Frozen-feature caches the train worker keeps between runs. In memory for the session (head-only
// and top-k, up to the cache memory budget, least recently used out first) and, for head-only, in
// OPFS too (`PersistentFeatureStore`), so a run after a reload skips the frozen layers as well.
// Runs reuse a cache only under the same key: same frozen weights, mode and layer, max length and
// the split's token ids.
import { type LoadedModel, isHeadName } from '../core/model/index.ts';
import {
  type FeatureCache,
  formatBytes,
  PersistentFeatureStore,
  describeFeatureCache,
  featureCacheKey,
  weightsFingerprint,
  type FeatureCacheIdentity,
  type FeatureStore,
  type FeatureStoreFiles,
  firstTrainableLayer,
  type TrainConfig,
  splitSize,
  type EncodedDataset,
  type SplitName,
} from '../core/train/index.ts';
import { cacheMemoryBudget } from './featureCacheSpill.ts';
import { unreachable, type FeatureStoreAction, type FeatureStoreListing } from './protocol.ts';

const FOLDER = 'feature-store';
const SPLITS = ['train', 'validation', 'test'] as const;

/** OPFS files through sync access handles (a dedicated worker's fast path). */
function opfsFiles(): FeatureStoreFiles {
  let folder: Promise<FileSystemDirectoryHandle> | null = null;
  const dir = () =>
    (folder ??= navigator.storage
      .getDirectory()
      .then((root) => root.getDirectoryHandle(FOLDER, { create: true })));
  const open = async (name: string, create: boolean) => {
    try {
      return await (await (await dir()).getFileHandle(name, { create })).createSyncAccessHandle();
    } catch (error) {
      if ((error as DOMException).name === 'NotFoundError') return null;
      throw error;
    }
  };
  return {
    async read(name) {
      const handle = await open(name, false);
      if (!handle) return null;
      try {
        const bytes = new Uint8Array(handle.getSize());
        const read = handle.read(bytes, { at: 0 });
        return read === bytes.byteLength ? bytes : bytes.subarray(0, read);
      } finally {
        handle.close();
      }
    },
    async write(name, bytes) {
      const handle = (await open(name, true))!;
      try {
        handle.truncate(0);
        const written = handle.write(bytes, { at: 0 });
        if (written !== bytes.byteLength) {
          throw new Error(`only ${written} of ${bytes.byteLength} bytes were written: the disk may be full`);
        }
        handle.flush();
      } finally {
        handle.close();
      }
    },
    async remove(name) {
      try {
        await (await dir()).removeEntry(name);
      } catch (error) {
        if ((error as DOMException).name !== 'NotFoundError') throw error;
      }
    },
    async names() {
      const names: string[] = [];
      const folder = (await dir()) as unknown as { keys(): AsyncIterable<string> };
      for await (const name of folder.keys()) names.push(name);
      return names;
    },
  };
}

function opfsUsable(): boolean {
  return (
    typeof navigator !== 'undefined' &&
    typeof navigator.storage?.getDirectory === 'function' &&
    typeof FileSystemFileHandle !== 'undefined' &&
    typeof (FileSystemFileHandle.prototype as { createSyncAccessHandle?: unknown }).createSyncAccessHandle ===
      'function'
  );
}

let store: FeatureStore | null | undefined;

/** The OPFS store, or null where this browser has no OPFS for workers. */
export function featureStore(): FeatureStore | null {
  if (store === undefined) store = opfsUsable() ? new PersistentFeatureStore(opfsFiles()) : null;
  return store;
}

interface SessionEntry {
  cache: FeatureCache;
  fingerprint: string;
  lastUsed: number;
}

const session = new Map<string, SessionEntry>();
/** Keys of the caches the training run holds: never freed under it. */
const inUse = new Set<string>();
const fingerprints = new WeakMap<LoadedModel, Promise<string>>();
let clock = 0;

function modelFingerprint(model: LoadedModel): Promise<string> {
  let fingerprint = fingerprints.get(model);
  if (!fingerprint) {
    fingerprint = weightsFingerprint(model.params, (name) => isHeadName(model.config, name));
    fingerprints.set(model, fingerprint);
  }
  return fingerprint;
}

/** Frees session caches of other models, then the least recently used over the memory budget. */
function trimSession(fingerprint: string, keep: ReadonlySet<string>): void {
  for (const [key, entry] of session) {
    if (entry.fingerprint !== fingerprint && !keep.has(key) && !inUse.has(key)) {
      session.delete(key);
      void entry.cache.dispose();
    }
  }
  const budget = cacheMemoryBudget();
  let used = 0;
  for (const entry of session.values()) used += entry.cache.byteLength;
  const oldestFirst = [...session].sort(([, x], [, y]) => x.lastUsed - y.lastUsed);
  for (const [key, entry] of oldestFirst) {
    if (used <= budget) break;
    if (keep.has(key) || inUse.has(key)) continue;
    session.delete(key);
    used -= entry.cache.byteLength;
    void entry.cache.dispose();
  }
}

export interface RunCaches {
  /** Caches found for the run (the session's or the store's), by split. */
  given: Partial<Record<SplitName, FeatureCache>>;
  /** The note for the run, when any cache was reused. */
  note: string | null;
  /** The run failed: it no longer holds the caches it was given. */
  release(): void;
  /** Takes the caches the run built (the trainer's `keepCaches` result): kept for the session, head-only ones stored. */
  keep(
    caches: Partial<Record<SplitName, FeatureCache>>,
  ): Promise<{ message: string; level: 'info' | 'warning' }[]>;
}

/** Looks up the caches a run can reuse; null for full fine-tuning, which caches nothing. */
export async function runCaches(
  model: LoadedModel,
  modelName: string,
  data: EncodedDataset,
  config: TrainConfig,
): Promise<RunCaches | null> {
  if (config.mode === 'full') return null;
  const fingerprint = await modelFingerprint(model);
  const identity: FeatureCacheIdentity = {
    modelFingerprint: fingerprint,
    modelName,
    mode: config.mode,
    layer: firstTrainableLayer(config, model.config.nLayers),
    dim: model.config.dim,
    maxLength: data.maxLength,
    padTokenId: data.padTokenId,
  };
  const keys = new Map<SplitName, string>();
  for (const split of SPLITS) {
    if (splitSize(data[split]) > 0) keys.set(split, featureCacheKey(identity, data[split]));
  }
  trimSession(fingerprint, new Set(keys.values()));
  for (const key of keys.values()) inUse.add(key);
  const persistent = config.mode === 'head' ? featureStore() : null;
  const given: Partial<Record<SplitName, FeatureCache>> = {};
  const from = new Set<string>();
  for (const [split, key] of keys) {
    const held = session.get(key);
    if (held) {
      held.lastUsed = ++clock;
      given[split] = held.cache;
      from.add('memory');
      continue;
    }
    // A store that cannot be read only means the frozen layers run again.
    const stored = await persistent?.get(key).catch(() => null);
    if (stored) {
      session.set(key, { cache: stored, fingerprint, lastUsed: ++clock });
      given[split] = stored;
      from.add('OPFS');
    }
  }
  const reused = [...keys.keys()].filter((split) => given[split]);
  const note =
    reused.length === 0
      ? null
      : `The frozen layers did not run again: reused the feature cache of an earlier run with the same model, data and max length (${reused.join(', ')}; from ${[...from].join(' and ')}).`;
  const release = () => {
    for (const key of keys.values()) inUse.delete(key);
  };
  return {
    given,
    note,
    release,
    async keep(caches) {
      release();
      const notes: { message: string; level: 'info' | 'warning' }[] = [];
      for (const [split, key] of keys) {
        const cache = caches[split];
        if (!cache || session.has(key)) continue;
        session.set(key, { cache, fingerprint, lastUsed: ++clock });
        if (!persistent) continue;
        try {
          const result = await persistent.put(key, cache, describeFeatureCache(identity, split, cache.rows));
          if (!result.stored) {
            notes.push({
              message: `The ${split} feature cache was not kept for later sessions: ${result.reason}.`,
              level: 'info',
            });
          }
          for (const gone of result.evicted) {
            notes.push({
              message: `Removed the least recently used feature cache (${gone.description.model}, ${gone.description.split}, ${formatBytes(gone.bytes)}) to stay within the budget.`,
              level: 'info',
            });
          }
        } catch (error) {
          notes.push({
            message: `The ${split} feature cache could not be kept in OPFS: ${error instanceof Error ? error.message : String(error)}`,
            level: 'warning',
          });
        }
      }
      trimSession(fingerprint, new Set(keys.values()));
      return notes;
    },
  };
}

/** Forgets caches the user deleted in Settings (all when `key` is null), so no later run reuses them. */
export function forgetSessionCaches(key: string | null): void {
  for (const [held, entry] of [...session]) {
    if (key !== null && held !== key) continue;
    session.delete(held);
    // A cache the running training reads stays alive until the run lets go of it.
    if (!inUse.has(held)) void entry.cache.dispose();
  }
}

/** Carries out a Settings action on the kept caches and says what is kept now. */
export async function featureStoreAction(action: FeatureStoreAction): Promise<FeatureStoreListing> {
  const persistent = featureStore();
  if (!persistent) {
    if (action.kind === 'delete') forgetSessionCaches(action.key);
    if (action.kind === 'clear') forgetSessionCaches(null);
    return { unavailable: 'this browser cannot write OPFS files from a worker', budgetBytes: 0, entries: [] };
  }
  switch (action.kind) {
    case 'list':
      break;
    case 'delete':
      forgetSessionCaches(action.key);
      await persistent.delete(action.key);
      break;
    case 'clear':
      forgetSessionCaches(null);
      await persistent.clear();
      break;
    case 'budget':
      for (const gone of await persistent.setBudget(action.bytes)) forgetSessionCaches(gone.key);
      break;
    default:
      unreachable(action);
  }
  return { unavailable: null, budgetBytes: await persistent.budgetBytes(), entries: await persistent.list() };
}
