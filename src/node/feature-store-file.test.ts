// The persistent feature store over a real folder, as the CLI would keep it.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryFeatureCache } from '../core/train/feature-cache.ts';
import { PersistentFeatureStore } from '../core/train/feature-store.ts';
import { folderFeatureStoreFiles } from './feature-store-file.ts';

const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('PersistentFeatureStore in a Node folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'feature-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('round-trips through real files and leaves only the index and the caches', async () => {
    const folder = join(dir, 'store');
    const cache = new MemoryFeatureCache(new Int32Array(3).fill(1), 4);
    cache.write(
      all(3),
      Float32Array.from({ length: 12 }, (_, i) => i / 3),
      1,
    );
    const key = '00000000000000a7';
    const description = {
      model: 'm',
      split: 'train' as const,
      rows: 3,
      dim: 4,
      mode: 'head' as const,
      layer: 2,
      maxLength: 24,
    };
    await new PersistentFeatureStore(folderFeatureStoreFiles(folder)).put(key, cache, description);
    writeFileSync(join(folder, 'stray.f32'), 'x');
    const again = await new PersistentFeatureStore(folderFeatureStoreFiles(folder)).get(key);
    expect(Array.from(await again!.read(all(3), 1))).toEqual(Array.from(cache.read(all(3), 1)));
    expect(readdirSync(folder).sort()).toEqual([`${key}.f32`, 'index.json']);
  });
});
