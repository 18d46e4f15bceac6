import { describe, expect, it } from 'vitest';
import { MemoryFeatureCache } from './feature-cache.ts';
import {
  Fingerprint,
  PersistentFeatureStore,
  featureCacheKey,
  planEviction,
  type FeatureCacheDescription,
  type FeatureCacheIdentity,
  type FeatureStoreFiles,
} from './feature-store.ts';

const identity: FeatureCacheIdentity = {
  modelFingerprint: new Fingerprint().bytes(Float32Array.of(0.5, -1, 2)).digest(),
  modelName: 'distilbert-tiny-seqcls',
  mode: 'head',
  layer: 2,
  dim: 32,
  maxLength: 24,
  padTokenId: 0,
};
const split = { ids: Int32Array.of(101, 7, 8, 102, 101, 9, 102), offsets: Int32Array.of(0, 4, 7) };

describe('featureCacheKey', () => {
  const base = featureCacheKey(identity, split);
  const changes: [string, string][] = [
    ['another model', featureCacheKey({ ...identity, modelFingerprint: '0123456789abcdef' }, split)],
    ['top-k instead of head', featureCacheKey({ ...identity, mode: 'top-k' }, split)],
    ['another layer', featureCacheKey({ ...identity, layer: 1 }, split)],
    ['another max length', featureCacheKey({ ...identity, maxLength: 25 }, split)],
    ['another pad token', featureCacheKey({ ...identity, padTokenId: 1 }, split)],
    [
      'one token id changed',
      featureCacheKey(identity, { ...split, ids: Int32Array.of(101, 7, 8, 102, 101, 10, 102) }),
    ],
    [
      'the same ids split differently',
      featureCacheKey(identity, { ...split, offsets: Int32Array.of(0, 3, 7) }),
    ],
  ];
  it('is 16 hex digits and the same for the same inputs (copies included)', () => {
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(featureCacheKey({ ...identity }, { ids: split.ids.slice(), offsets: split.offsets.slice() })).toBe(
      base,
    );
    // The display name is not part of what the features are.
    expect(featureCacheKey({ ...identity, modelName: 'renamed' }, split)).toBe(base);
  });
  for (const [what, key] of changes) {
    it(`changes with ${what}`, () => expect(key).not.toBe(base));
  }
  it('hashes a view, not the rest of its buffer, and unaligned views alike', () => {
    const buffer = new Uint8Array(12).map((_, i) => i + 1);
    const aligned = new Fingerprint().bytes(buffer.subarray(4, 10)).digest();
    const copy = new Fingerprint().bytes(buffer.slice(4, 10)).digest();
    const unaligned = new Uint8Array(13);
    unaligned.set(buffer.subarray(4, 10), 1);
    expect(aligned).toBe(copy);
    expect(new Fingerprint().bytes(unaligned.subarray(1, 7)).digest()).toBe(copy);
    expect(new Fingerprint().bytes(buffer.subarray(4, 9)).digest()).not.toBe(copy);
  });
});

describe('planEviction', () => {
  const entries = [
    { key: 'a', bytes: 40, lastUsed: 3, created: 1 },
    { key: 'b', bytes: 30, lastUsed: 1, created: 2 },
    { key: 'c', bytes: 20, lastUsed: 2, created: 3 },
  ];
  const cases: [string, number, number, string[] | null][] = [
    ['room left: nothing out', 100, 10, []],
    ['exactly full after: nothing out', 100, 10, []],
    ['least recently used out first', 100, 20, ['b']],
    ['as many as needed, oldest use first', 100, 60, ['b', 'c']],
    ['everything, when the new one needs it all', 100, 100, ['b', 'c', 'a']],
    ['nothing, when the new one alone is over', 100, 101, null],
    ['over a lowered budget with nothing incoming', 50, 0, ['b', 'c']],
  ];
  for (const [name, budget, incoming, expected] of cases) {
    it(name, () => expect(planEviction(entries, budget, incoming)).toEqual(expected));
  }
  it('breaks ties in last use by age', () => {
    const tied = [
      { key: 'young', bytes: 10, lastUsed: 5, created: 4 },
      { key: 'old', bytes: 10, lastUsed: 5, created: 1 },
    ];
    expect(planEviction(tied, 15, 0)).toEqual(['old']);
  });
});

/** Files in a Map, with a log of writes. */
class MapFiles implements FeatureStoreFiles {
  files = new Map<string, Uint8Array>();
  read = (name: string) => Promise.resolve(this.files.get(name)?.slice() ?? null);
  write = (name: string, bytes: Uint8Array) => {
    this.files.set(name, bytes.slice());
    return Promise.resolve();
  };
  remove = (name: string) => {
    this.files.delete(name);
    return Promise.resolve();
  };
  names = () => Promise.resolve([...this.files.keys()]);
}

function headCache(rows: number, dim: number, seed: number): MemoryFeatureCache {
  const cache = new MemoryFeatureCache(new Int32Array(rows).fill(1), dim);
  const values = Float32Array.from({ length: rows * dim }, (_, i) => seed + i / 7);
  cache.write(
    Int32Array.from({ length: rows }, (_, i) => i),
    values,
    1,
  );
  return cache;
}

const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const describeRows = (rows: number): FeatureCacheDescription => ({
  model: 'distilbert-tiny-seqcls',
  split: 'train',
  rows,
  dim: 4,
  mode: 'head',
  layer: 2,
  maxLength: 24,
});
const key = (i: number) => i.toString(16).padStart(16, '0');

function store(files: FeatureStoreFiles, budget: number) {
  let clock = 0;
  return new PersistentFeatureStore(files, { defaultBudgetBytes: budget, now: () => ++clock });
}

describe('PersistentFeatureStore', () => {
  it('gives back what it stored, in a new store over the same files (a reload)', async () => {
    const files = new MapFiles();
    const cache = headCache(5, 4, 1);
    expect((await store(files, 1000).put(key(1), cache, describeRows(5))).stored).toBe(true);
    const again = await store(files, 1000).get(key(1));
    expect(again).not.toBeNull();
    expect(again!.rows).toBe(5);
    expect(Array.from(await again!.read(all(5), 1))).toEqual(Array.from(cache.read(all(5), 1)));
    expect(await store(files, 1000).get(key(2))).toBeNull();
  });

  it('removes the least recently used caches to stay within the budget; a read counts as a use', async () => {
    const files = new MapFiles();
    const s = store(files, 250); // 80 bytes a cache of 5 × 4: three fit
    for (const i of [1, 2, 3]) await s.put(key(i), headCache(5, 4, i), describeRows(5));
    await s.get(key(1));
    const result = await s.put(key(4), headCache(5, 4, 4), describeRows(5));
    expect(result.evicted.map((e) => e.key)).toEqual([key(2)]);
    expect((await s.list()).map((e) => e.key)).toEqual([key(4), key(1), key(3)]);
    expect((await s.list()).map((e) => e.bytes)).toEqual([80, 80, 80]);
    expect(files.files.has(`${key(2)}.f32`)).toBe(false);
  });

  it('stores nothing over the budget and says why', async () => {
    const s = store(new MapFiles(), 50);
    const result = await s.put(key(1), headCache(5, 4, 1), describeRows(5));
    expect(result).toEqual({
      stored: false,
      evicted: [],
      reason: '80 B is over the 50 B feature cache budget',
    });
    expect(await s.list()).toEqual([]);
  });

  it('deletes one, clears all, and a lower budget removes the oldest', async () => {
    const files = new MapFiles();
    const s = store(files, 1000);
    for (const i of [1, 2, 3, 4]) await s.put(key(i), headCache(5, 4, i), describeRows(5));
    await s.delete(key(3));
    expect((await s.list()).map((e) => e.key)).toEqual([key(4), key(2), key(1)]);
    expect((await s.setBudget(170)).map((e) => e.key)).toEqual([key(1)]);
    expect(await store(files, 1000).budgetBytes()).toBe(170);
    await s.clear();
    expect(await s.list()).toEqual([]);
    expect([...files.files.keys()]).toEqual(['index.json']);
  });

  it('refuses top-k caches and keys that are not its own', async () => {
    const s = store(new MapFiles(), 1000);
    const topK = new MemoryFeatureCache(Int32Array.of(3, 2), 4);
    await expect(s.put(key(1), topK, describeRows(2))).rejects.toThrow(/only head-only caches/);
    await expect(s.put('../index', headCache(1, 4, 0), describeRows(1))).rejects.toThrow(
      /not a feature cache key/,
    );
  });

  it('drops an entry whose file is missing or the wrong size, and sweeps files the index does not name', async () => {
    const files = new MapFiles();
    const s = store(files, 1000);
    await s.put(key(1), headCache(5, 4, 1), describeRows(5));
    await s.put(key(2), headCache(5, 4, 2), describeRows(5));
    files.files.set(`${key(1)}.f32`, new Uint8Array(12));
    files.files.set(`${key(9)}.f32.partial`, new Uint8Array(8));
    const fresh = store(files, 1000);
    expect(await fresh.get(key(1))).toBeNull();
    expect((await fresh.list()).map((e) => e.key)).toEqual([key(2)]);
    expect([...files.files.keys()].sort()).toEqual([`${key(2)}.f32`, 'index.json']);
  });

  it('starts empty over a damaged index', async () => {
    const files = new MapFiles();
    files.files.set('index.json', new TextEncoder().encode('{"version": 1, "entr'));
    files.files.set(`${key(1)}.f32`, new Uint8Array(80));
    const s = store(files, 1000);
    expect(await s.list()).toEqual([]);
    expect([...files.files.keys()]).toEqual(['index.json']);
  });
});
