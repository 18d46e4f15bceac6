// In a dedicated worker, as in the studio's training worker: a feature cache forced over its
// memory budget goes to OPFS through browserFeatureCache, gives the memory cache's rows back,
// and leaves no file after it is disposed (nor one a crashed run left behind).
import { FileFeatureCache } from '../../../src/core/train/feature-cache-file.ts';
import { MemoryFeatureCache } from '../../../src/core/train/feature-cache.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { browserFeatureCache } from '../../../src/workers/featureCacheSpill.ts';
import type { OpfsCacheReport, OpfsCacheRequest } from '../types.ts';

async function cacheFiles(): Promise<string[]> {
  const root = await navigator.storage.getDirectory();
  let folder: FileSystemDirectoryHandle;
  try {
    folder = await root.getDirectoryHandle('feature-cache');
  } catch {
    return [];
  }
  const names: string[] = [];
  for await (const name of (folder as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  return names.sort();
}

async function check(request: OpfsCacheRequest): Promise<OpfsCacheReport> {
  const root = await navigator.storage.getDirectory();
  const folder = await root.getDirectoryHandle('feature-cache', { create: true });
  await folder.getFileHandle('crashed-run.0.f32', { create: true });
  const notices: string[] = [];
  const factory = browserFeatureCache('harness-run', (message) => notices.push(message), request.budgetBytes);
  const lengths = Int32Array.from(request.lengths);
  const dim = request.dim;
  const cache = await factory(lengths, dim);
  const memory = new MemoryFeatureCache(lengths, dim);
  const longest = Math.max(...request.lengths);
  const rows = Array.from({ length: lengths.length }, (_, i) => i);
  const rng = createRng('opfs-cache');
  const padded = Float32Array.from({ length: rows.length * longest * dim }, () => rng.normal());
  await cache.write(rows, padded, longest);
  memory.write(rows, padded, longest);
  let maxDiff = 0;
  let compared = 0;
  for (const padTo of [1, 2, longest, longest + 3]) {
    const order = [...rows].reverse();
    const a = await cache.read(order, padTo);
    const b = memory.read(order, padTo);
    if (a.length !== b.length) throw new Error(`read ${a.length} values, the memory cache ${b.length}`);
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    compared += a.length;
  }
  const whileOpen = await cacheFiles();
  await cache.dispose();
  return {
    spilled: cache instanceof FileFeatureCache,
    byteLength: cache.byteLength,
    notices,
    compared,
    maxDiff,
    whileOpen,
    afterDispose: await cacheFiles(),
  };
}

self.onmessage = (event: MessageEvent<OpfsCacheRequest>) => {
  check(event.data).then(
    (report) => self.postMessage({ report }),
    (error: unknown) => self.postMessage({ error: error instanceof Error ? error.message : String(error) }),
  );
};
