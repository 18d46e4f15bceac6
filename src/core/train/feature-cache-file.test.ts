import { describe, expect, it } from 'vitest';
import { chooseFeatureCache, featureCacheBytes } from './feature-cache-choice.ts';
import { FileFeatureCache, type RandomAccessFile } from './feature-cache-file.ts';
import { MemoryFeatureCache, type FeatureCache } from './feature-cache.ts';

/** A growable byte array behind the file interface, synchronous or answering with promises. */
class BytesFile implements RandomAccessFile {
  bytes = new Uint8Array(0);
  closed = false;
  calls = 0;
  constructor(private readonly async: boolean) {}
  private answer<T>(value: T): T | Promise<T> {
    return this.async ? new Promise((resolve) => setTimeout(() => resolve(value), 0)) : value;
  }
  read(offset: number, into: Uint8Array): number | Promise<number> {
    this.calls++;
    const available = Math.max(0, Math.min(into.byteLength, this.bytes.byteLength - offset));
    into.set(this.bytes.subarray(offset, offset + available));
    return this.answer(available);
  }
  write(offset: number, data: Uint8Array): number | Promise<number> {
    this.calls++;
    if (offset + data.byteLength > this.bytes.byteLength) this.truncate(offset + data.byteLength);
    this.bytes.set(data, offset);
    return this.answer(data.byteLength);
  }
  truncate(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, size));
    this.bytes = next;
  }
  close(): void {
    this.closed = true;
  }
}

/** Every row i, token t, value d holds a distinct number. */
function paddedBatch(rows: number[], lengths: Int32Array, paddedLength: number, dim: number): Float32Array {
  const out = new Float32Array(rows.length * paddedLength * dim);
  rows.forEach((r, i) => {
    for (let t = 0; t < paddedLength; t++) {
      for (let d = 0; d < dim; d++) {
        // Padding positions hold garbage: the caches must not store it.
        out[(i * paddedLength + t) * dim + d] = t < (lengths[r] as number) ? r * 1000 + t * 10 + d + 0.5 : -7;
      }
    }
  });
  return out;
}

async function fill(cache: FeatureCache, batches: number[][]): Promise<void> {
  for (const rows of batches) {
    const longest = Math.max(1, ...rows.map((r) => cache.lengths[r] as number));
    const paddedLength = longest + 2;
    await cache.write(rows, paddedBatch(rows, cache.lengths, paddedLength, cache.dim), paddedLength);
  }
}

describe('FileFeatureCache', () => {
  const cases: {
    name: string;
    lengths: number[];
    dim: number;
    batches: number[][];
    reads: [number[], number][];
  }[] = [
    {
      name: 'first-token features, read all at once',
      lengths: [1, 1, 1, 1, 1],
      dim: 3,
      batches: [
        [4, 0],
        [2, 1, 3],
      ],
      reads: [
        [[0, 1, 2, 3, 4], 1],
        [[3, 3, 0], 1],
        [[1], 2],
      ],
    },
    {
      name: 'varied lengths, padded longer and shorter than rows',
      lengths: [5, 1, 3, 8, 2, 5],
      dim: 4,
      batches: [[1, 4], [2, 0, 5], [3]],
      reads: [
        [[0, 1, 2, 3, 4, 5], 8],
        [[5, 0], 5],
        [[3, 2, 1], 2],
        [[3, 0], 1],
        [[2], 12],
        [[], 4],
      ],
    },
    {
      name: 'rows never written read as zeros',
      lengths: [2, 3, 1],
      dim: 2,
      batches: [[1]],
      reads: [[[0, 1, 2], 3]],
    },
  ];
  for (const async of [false, true]) {
    for (const c of cases) {
      it(`${c.name} (${async ? 'async' : 'sync'} file): the rows of the memory cache`, async () => {
        const lengths = Int32Array.from(c.lengths);
        const memory = new MemoryFeatureCache(lengths, c.dim);
        const file = new BytesFile(async);
        const onFile = await FileFeatureCache.create(file, lengths, c.dim);
        expect(onFile.byteLength).toBe(memory.byteLength);
        expect(file.bytes.byteLength).toBe(featureCacheBytes(lengths, c.dim));
        await fill(memory, c.batches);
        await fill(onFile, c.batches);
        for (const [rows, padTo] of c.reads) {
          const expected = memory.read(rows, padTo);
          const got = await onFile.read(rows, padTo);
          expect(got.length).toBe(rows.length * padTo * c.dim);
          expect(Array.from(got)).toEqual(Array.from(expected));
        }
        await onFile.dispose();
        expect(file.closed).toBe(true);
      });
    }
  }

  it('reads consecutive rows that fill their padding with one call', async () => {
    const lengths = new Int32Array(100).fill(1);
    const file = new BytesFile(false);
    const cache = await FileFeatureCache.create(file, lengths, 8);
    file.calls = 0;
    await cache.read(
      Array.from({ length: 100 }, (_, i) => i),
      1,
    );
    expect(file.calls).toBe(1);
  });

  it('says clearly when the file comes back short, fails, or is used after closing', async () => {
    const lengths = Int32Array.from([2, 2]);
    const file = new BytesFile(true);
    const cache = await FileFeatureCache.create(file, lengths, 2);
    await fill(cache, [[0, 1]]);
    file.truncate(20); // row 1 starts at byte 16 and needs 16
    await expect(cache.read([1], 2)).rejects.toThrow(
      'the feature cache file returned 4 of 16 bytes at byte 16: it was truncated or removed while in use',
    );
    file.read = () => {
      throw new Error('NotReadableError: the handle is gone');
    };
    await expect(cache.read([0], 2)).rejects.toThrow(
      'the feature cache file failed to read at byte 0: NotReadableError: the handle is gone',
    );
    file.write = () => Promise.resolve(3);
    await expect(cache.write([0], new Float32Array(4), 2)).rejects.toThrow(
      'the feature cache file took 3 of 16 bytes at byte 0: the disk may be full',
    );
    await expect(cache.read([2], 1)).rejects.toThrow(
      'feature cache row 2 is out of range (the cache holds 2 rows)',
    );
    await expect(cache.write([1], new Float32Array(2), 1)).rejects.toThrow(
      'feature cache row 1 has 2 tokens but the batch was padded to 1',
    );
    await cache.dispose();
    await expect(cache.read([0], 1)).rejects.toThrow('the feature cache file was already closed');
  });

  it('reports a file that cannot be sized', async () => {
    const file = new BytesFile(false);
    file.truncate = () => {
      throw new Error('QuotaExceededError');
    };
    await expect(FileFeatureCache.create(file, Int32Array.from([3]), 4)).rejects.toThrow(
      'the feature cache file could not be sized to 48 B: QuotaExceededError',
    );
    expect(file.closed).toBe(true);
  });
});

describe('chooseFeatureCache', () => {
  function setup(budget: number, storage: 'ok' | 'none' | 'failing' = 'ok') {
    const notices: { message: string; level: string }[] = [];
    const files: BytesFile[] = [];
    const factory = chooseFeatureCache({
      memoryBudgetBytes: budget,
      storage:
        storage === 'none'
          ? null
          : {
              where: 'the test disk',
              open: () => {
                if (storage === 'failing') throw new Error('no space');
                const file = new BytesFile(false);
                files.push(file);
                return file;
              },
            },
      unavailable: 'no disk in this test',
      notify: (message, level) => notices.push({ message, level }),
    });
    return { factory, notices, files };
  }

  it('keeps caches in memory while they fit the budget, together', async () => {
    const { factory, notices, files } = setup(3 * 100 * 4 * 4);
    // 100 rows × 4 floats × 4 bytes: three such caches fit.
    const caches = [];
    for (let i = 0; i < 3; i++) caches.push(await factory(new Int32Array(100).fill(1), 4));
    expect(caches.every((c) => c instanceof MemoryFeatureCache)).toBe(true);
    expect(files).toHaveLength(0);
    expect(notices).toEqual([]);
    // The fourth goes over: it spills, and says so with its size and the budget.
    const spilled = await factory(new Int32Array(100).fill(1), 4);
    expect(spilled).toBeInstanceOf(FileFeatureCache);
    expect(files).toHaveLength(1);
    expect(notices).toEqual([
      {
        level: 'info',
        message:
          "The frozen layers' output for 100 examples (1.6 kB) is over the 4.8 kB memory budget (4.8 kB already cached in memory): cached in the test disk instead, read back from disk each epoch.",
      },
    ]);
    await spilled.dispose();
    expect(files[0]!.closed).toBe(true);
    // Disposing a memory cache frees its share of the budget.
    await caches[0]!.dispose();
    expect(await factory(new Int32Array(100).fill(1), 4)).toBeInstanceOf(MemoryFeatureCache);
  });

  it('spills a single cache above the budget', async () => {
    const { factory, notices } = setup(999);
    const cache = await factory(Int32Array.from([128, 60, 7]), 768);
    expect(cache).toBeInstanceOf(FileFeatureCache);
    expect(cache.byteLength).toBe(195 * 768 * 4);
    expect(notices[0]!.message).toMatch(
      /^The frozen layers' output for 3 examples \(599\.0 kB\) is over the 999 B memory budget: cached in the test disk/,
    );
  });

  it('keeps the cache in memory, with a warning, when there is no disk or it fails', async () => {
    for (const [storage, reason] of [
      ['none', 'it cannot go to disk (no disk in this test)'],
      ['failing', 'the test disk refused it (no space)'],
    ] as const) {
      const { factory, notices } = setup(10, storage);
      const cache = await factory(Int32Array.from([2, 3]), 2);
      expect(cache).toBeInstanceOf(MemoryFeatureCache);
      expect(notices).toEqual([
        {
          level: 'warning',
          message: `The frozen layers' output for 2 examples (40 B) is over the 10 B memory budget, but ${reason}: keeping it in memory.`,
        },
      ]);
    }
  });

  it('turns a file that cannot be removed into a warning', async () => {
    const { factory, notices, files } = setup(0);
    const cache = await factory(Int32Array.from([1]), 2);
    files[0]!.close = () => Promise.reject(new Error('locked'));
    await cache.dispose();
    expect(notices.at(-1)).toEqual({
      level: 'warning',
      message: 'The cache file in the test disk could not be removed: locked',
    });
  });
});
