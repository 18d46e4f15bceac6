// Frozen-feature caches that outlive a run: the key that says when two runs would compute the same
// frozen activations, and a store that keeps head-only caches (one first-token vector per example)
// on disk within a byte budget, least recently used out first. The files are an interface: a
// browser worker passes OPFS, Node a folder.
import { MemoryFeatureCache, type FeatureCache } from './feature-cache.ts';
import { formatBytes } from './feature-cache-file.ts';
import type { EncodedSplit, SplitName } from './data.ts';

/** A streaming 64-bit hash (two murmur3-style 32-bit lanes); a cache key, not a security check. */
export class Fingerprint {
  private a = 0x9747b28c;
  private b = 0x5bd1e995;
  private length = 0;

  private mix(word: number): void {
    let k = Math.imul(word, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    this.a ^= k;
    this.a = (this.a << 13) | (this.a >>> 19);
    this.a = (Math.imul(this.a, 5) + 0xe6546b64) | 0;
    let j = Math.imul(word ^ 0x85ebca6b, 0xc2b2ae35);
    j = (j << 17) | (j >>> 15);
    this.b ^= j;
    this.b = (this.b << 11) | (this.b >>> 21);
    this.b = (Math.imul(this.b, 9) + 0x38b34ae5) | 0;
  }

  /** Adds the bytes of a typed array (its view, not its whole buffer). */
  bytes(view: ArrayBufferView): this {
    const { buffer, byteOffset, byteLength } = view;
    const whole = byteLength - (byteLength % 4);
    if (byteOffset % 4 === 0) {
      const words = new Uint32Array(buffer, byteOffset, whole / 4);
      for (let i = 0; i < words.length; i++) this.mix(words[i] as number);
    } else {
      const data = new DataView(buffer, byteOffset, byteLength);
      for (let i = 0; i < whole; i += 4) this.mix(data.getUint32(i, true));
    }
    const tail = new Uint8Array(buffer, byteOffset + whole, byteLength - whole);
    let last = 0;
    tail.forEach((byte, i) => (last |= byte << (8 * i)));
    if (tail.length > 0) this.mix(last);
    this.length += byteLength;
    // The length separates [1, 2] + [3] from [1] + [2, 3].
    this.mix(byteLength | 0);
    return this;
  }

  text(value: string): this {
    return this.bytes(new TextEncoder().encode(value));
  }

  number(value: number): this {
    return this.bytes(Float64Array.of(value));
  }

  /** 16 hex digits. */
  digest(): string {
    const finish = (h: number, salt: number) => {
      let x = h ^ this.length ^ salt;
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
      return ((x ^ (x >>> 16)) >>> 0).toString(16).padStart(8, '0');
    };
    return finish(this.a, 0x1b873593) + finish(this.b ^ this.a, 0x27d4eb2f);
  }
}

/** What decides a split's frozen activations, besides its token ids. */
export interface FeatureCacheIdentity {
  /** Hash of the frozen weights (`Fingerprint` over them), so a changed model never reuses a cache. */
  modelFingerprint: string;
  /** The model as people know it, for the Settings list. */
  modelName: string;
  /** Head only (first-token vectors of the last layer) or top-k (every token after `layer` blocks). */
  mode: 'head' | 'top-k';
  /** Transformer blocks the frozen part runs. */
  layer: number;
  dim: number;
  maxLength: number;
  padTokenId: number;
}

/** What a stored cache holds, in words for the Settings list. */
export interface FeatureCacheDescription {
  model: string;
  split: SplitName;
  rows: number;
  dim: number;
  mode: 'head' | 'top-k';
  layer: number;
  maxLength: number;
}

/** The key of one split's cache: equal keys mean equal frozen activations. */
export function featureCacheKey(
  identity: FeatureCacheIdentity,
  split: Pick<EncodedSplit, 'ids' | 'offsets'>,
): string {
  return new Fingerprint()
    .text('feature-cache v1')
    .text(identity.modelFingerprint)
    .text(identity.mode)
    .number(identity.layer)
    .number(identity.dim)
    .number(identity.maxLength)
    .number(identity.padTokenId)
    .bytes(split.offsets)
    .bytes(split.ids)
    .digest();
}

export function describeFeatureCache(
  identity: FeatureCacheIdentity,
  split: SplitName,
  rows: number,
): FeatureCacheDescription {
  const { modelName: model, dim, mode, layer, maxLength } = identity;
  return { model, split, rows, dim, mode, layer, maxLength };
}

export interface StoredFeatureCache {
  key: string;
  bytes: number;
  /** Milliseconds since the epoch. */
  created: number;
  lastUsed: number;
  description: FeatureCacheDescription;
}

/**
 * The least recently used entries to remove so that `incomingBytes` more fit `budgetBytes`, or
 * null when the incoming cache alone is over the budget (then nothing is removed).
 */
export function planEviction(
  entries: readonly Pick<StoredFeatureCache, 'key' | 'bytes' | 'lastUsed' | 'created'>[],
  budgetBytes: number,
  incomingBytes: number,
): string[] | null {
  if (incomingBytes > budgetBytes) return null;
  let used = entries.reduce((sum, e) => sum + e.bytes, 0);
  const oldestFirst = [...entries].sort(
    (x, y) => x.lastUsed - y.lastUsed || x.created - y.created || (x.key < y.key ? -1 : 1),
  );
  const out: string[] = [];
  for (const entry of oldestFirst) {
    if (used + incomingBytes <= budgetBytes) break;
    out.push(entry.key);
    used -= entry.bytes;
  }
  return out;
}

/** Whole-file storage in one folder; each name is a plain file name. */
export interface FeatureStoreFiles {
  /** The file's bytes, or null when there is no such file. */
  read(name: string): Promise<Uint8Array | null>;
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Removes the file; no error when it is missing. */
  remove(name: string): Promise<void>;
  names(): Promise<string[]>;
}

/** The operations the studio's Settings and the training runs need from a persistent store. */
export interface FeatureStore {
  /** The cache under `key` in memory (marked as just used), or null. */
  get(key: string): Promise<FeatureCache | null>;
  /** Stores a head-only cache; says what it removed to make room, or why it stored nothing. */
  put(
    key: string,
    cache: FeatureCache,
    description: FeatureCacheDescription,
  ): Promise<{ stored: boolean; evicted: StoredFeatureCache[]; reason?: string }>;
  /** Most recently used first. */
  list(): Promise<StoredFeatureCache[]>;
  delete(key: string): Promise<void>;
  clear(): Promise<void>;
  budgetBytes(): Promise<number>;
  /** Sets the budget and removes the least recently used caches over it. */
  setBudget(bytes: number): Promise<StoredFeatureCache[]>;
}

/** 1 GB: about 325,000 examples of distilbert-base's 768 first-token values. */
export const DEFAULT_FEATURE_STORE_BUDGET = 1e9;

const INDEX = 'index.json';
const dataFile = (key: string) => `${key}.f32`;

interface IndexFile {
  version: 1;
  budgetBytes: number;
  entries: StoredFeatureCache[];
}

const KEY = /^[0-9a-f]{16}$/;

function parseIndex(bytes: Uint8Array | null): IndexFile | null {
  if (!bytes) return null;
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<IndexFile>;
    if (value.version !== 1 || !Array.isArray(value.entries) || typeof value.budgetBytes !== 'number')
      return null;
    const entries = value.entries.filter(
      (e): e is StoredFeatureCache =>
        typeof e?.key === 'string' &&
        KEY.test(e.key) &&
        typeof e.bytes === 'number' &&
        typeof e.lastUsed === 'number' &&
        typeof e.created === 'number' &&
        typeof e.description?.rows === 'number' &&
        typeof e.description.dim === 'number',
    );
    return { version: 1, budgetBytes: value.budgetBytes, entries };
  } catch {
    return null;
  }
}

/**
 * Head-only caches as one float32 file each ([rows, dim], row-major) plus `index.json` with sizes
 * and last use. One writer at a time (the training worker, or one CLI process); files the index
 * does not name are left-overs of an interrupted write and removed when the index is first read.
 */
export class PersistentFeatureStore implements FeatureStore {
  private index: Promise<IndexFile> | null = null;

  constructor(
    private readonly files: FeatureStoreFiles,
    private readonly options: { defaultBudgetBytes?: number; now?: () => number } = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private load(): Promise<IndexFile> {
    this.index ??= (async () => {
      const index = parseIndex(await this.files.read(INDEX)) ?? {
        version: 1 as const,
        budgetBytes: this.options.defaultBudgetBytes ?? DEFAULT_FEATURE_STORE_BUDGET,
        entries: [],
      };
      const names = new Set(await this.files.names());
      index.entries = index.entries.filter((e) => names.has(dataFile(e.key)));
      const known = new Set(index.entries.map((e) => dataFile(e.key)));
      await Promise.all(
        [...names].filter((n) => n !== INDEX && !known.has(n)).map((n) => this.files.remove(n)),
      );
      return index;
    })();
    // A failed read is tried again next time rather than remembered.
    this.index.catch(() => (this.index = null));
    return this.index;
  }

  private async save(index: IndexFile): Promise<void> {
    await this.files.write(INDEX, new TextEncoder().encode(JSON.stringify(index)));
  }

  private async remove(index: IndexFile, keys: readonly string[]): Promise<StoredFeatureCache[]> {
    const gone = index.entries.filter((e) => keys.includes(e.key));
    if (gone.length === 0) return [];
    index.entries = index.entries.filter((e) => !keys.includes(e.key));
    // The index first: a file it no longer names is swept later, a named file that is gone is not.
    await this.save(index);
    await Promise.all(gone.map((e) => this.files.remove(dataFile(e.key))));
    return gone;
  }

  async get(key: string): Promise<FeatureCache | null> {
    const index = await this.load();
    const entry = index.entries.find((e) => e.key === key);
    if (!entry) return null;
    const bytes = await this.files.read(dataFile(key));
    const { rows, dim } = entry.description;
    if (!bytes || bytes.byteLength !== rows * dim * 4 || bytes.byteLength !== entry.bytes) {
      await this.remove(index, [key]);
      return null;
    }
    const values = new Float32Array(rows * dim);
    new Uint8Array(values.buffer).set(bytes);
    const cache = new MemoryFeatureCache(new Int32Array(rows).fill(1), dim);
    cache.write(
      Int32Array.from({ length: rows }, (_, i) => i),
      values,
      1,
    );
    entry.lastUsed = this.now();
    await this.save(index);
    return cache;
  }

  async put(
    key: string,
    cache: FeatureCache,
    description: FeatureCacheDescription,
  ): Promise<{ stored: boolean; evicted: StoredFeatureCache[]; reason?: string }> {
    if (!KEY.test(key)) throw new Error(`"${key}" is not a feature cache key`);
    if (!cache.lengths.every((l) => l === 1)) {
      throw new Error('only head-only caches (one vector per example) are kept on disk');
    }
    const index = await this.load();
    const bytes = cache.rows * cache.dim * 4;
    const others = index.entries.filter((e) => e.key !== key);
    const evict = planEviction(others, index.budgetBytes, bytes);
    if (!evict) {
      return {
        stored: false,
        evicted: [],
        reason: `${formatBytes(bytes)} is over the ${formatBytes(index.budgetBytes)} feature cache budget`,
      };
    }
    const evicted = await this.remove(index, evict);
    const values = await cache.read(
      Int32Array.from({ length: cache.rows }, (_, i) => i),
      1,
    );
    await this.files.write(
      dataFile(key),
      new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    );
    const now = this.now();
    const previous = index.entries.find((e) => e.key === key);
    index.entries = [
      ...index.entries.filter((e) => e.key !== key),
      { key, bytes, created: previous?.created ?? now, lastUsed: now, description: { ...description } },
    ];
    await this.save(index);
    return { stored: true, evicted };
  }

  async list(): Promise<StoredFeatureCache[]> {
    const index = await this.load();
    return [...index.entries].sort((x, y) => y.lastUsed - x.lastUsed).map((e) => ({ ...e }));
  }

  async delete(key: string): Promise<void> {
    await this.remove(await this.load(), [key]);
  }

  async clear(): Promise<void> {
    const index = await this.load();
    await this.remove(
      index,
      index.entries.map((e) => e.key),
    );
  }

  async budgetBytes(): Promise<number> {
    return (await this.load()).budgetBytes;
  }

  async setBudget(bytes: number): Promise<StoredFeatureCache[]> {
    if (!Number.isFinite(bytes) || bytes < 0)
      throw new Error(`a feature cache budget of ${bytes} bytes makes no sense`);
    const index = await this.load();
    index.budgetBytes = bytes;
    const evict = planEviction(index.entries, bytes, 0) ?? [];
    const evicted = await this.remove(index, evict);
    await this.save(index);
    return evicted;
  }
}

/**
 * Hash of a model's frozen-part weights (everything but the classification head), by name: the
 * same for the same weights however they were loaded, different after any change.
 */
export async function weightsFingerprint(
  params: Record<string, { data(): Promise<unknown> }>,
  isHead: (name: string) => boolean,
): Promise<string> {
  const hash = new Fingerprint();
  for (const name of Object.keys(params)
    .filter((n) => !isHead(n))
    .sort()) {
    const values = await params[name]!.data();
    if (!ArrayBuffer.isView(values)) throw new Error(`the weights of ${name} are not numbers`);
    hash.text(name).bytes(values);
  }
  return hash.digest();
}
