// A feature cache on a random-access file, for frozen activations that outgrow memory (a top-k
// bottom over many long examples). Rows are stored back to back, each only as long as its own
// tokens, so the file holds exactly what the memory cache would. The file itself is an interface:
// Node passes an fs file, a browser worker an OPFS sync access handle.
import type { FeatureCache } from './feature-cache.ts';

/** Byte-addressed file storage; each call may be synchronous or return a promise. */
export interface RandomAccessFile {
  /** Reads into `into` starting at byte `offset`; returns the bytes read (fewer only past the end). */
  read(offset: number, into: Uint8Array): number | Promise<number>;
  /** Writes all of `data` at byte `offset`; returns the bytes written. */
  write(offset: number, data: Uint8Array): number | Promise<number>;
  /** Sets the file's size in bytes (new bytes read as zeros). */
  truncate(size: number): void | Promise<void>;
  /** Closes the file and removes it: a cache file is scratch space. */
  close(): void | Promise<void>;
}

// Node reads and writes at most 2 GB per call; smaller pieces also keep one call's pause short.
const MAX_CALL_BYTES = 1 << 28;

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** Contiguous float runs ([fileStart, fileStart + length) → [memoryStart, …)), merged where both sides touch. */
function spans(
  count: number,
  at: (i: number) => { file: number; memory: number; length: number },
): { file: number; memory: number; length: number }[] {
  const out: { file: number; memory: number; length: number }[] = [];
  let last: { file: number; memory: number; length: number } | undefined;
  for (let i = 0; i < count; i++) {
    const span = at(i);
    if (span.length === 0) continue;
    if (last && last.file + last.length === span.file && last.memory + last.length === span.memory) {
      last.length += span.length;
    } else {
      last = { ...span };
      out.push(last);
    }
  }
  return out;
}

export class FileFeatureCache implements FeatureCache {
  readonly rows: number;
  readonly byteLength: number;
  private readonly offsets: Float64Array;
  private closed = false;

  /** Sizes the file for every row (unwritten rows read as zeros, like the memory cache's). */
  static async create(file: RandomAccessFile, lengths: Int32Array, dim: number): Promise<FileFeatureCache> {
    const cache = new FileFeatureCache(file, lengths, dim);
    try {
      await file.truncate(cache.byteLength);
    } catch (error) {
      await cache.dispose().catch(() => undefined);
      throw new Error(
        `the feature cache file could not be sized to ${formatBytes(cache.byteLength)}: ${describe(error)}`,
        { cause: error },
      );
    }
    return cache;
  }

  private constructor(
    private readonly file: RandomAccessFile,
    readonly lengths: Int32Array,
    readonly dim: number,
  ) {
    this.rows = lengths.length;
    this.offsets = new Float64Array(this.rows + 1);
    for (let i = 0; i < this.rows; i++) {
      this.offsets[i + 1] = (this.offsets[i] as number) + (lengths[i] as number) * dim;
    }
    this.byteLength = (this.offsets[this.rows] as number) * 4;
  }

  private row(r: number): number {
    if (!Number.isInteger(r) || r < 0 || r >= this.rows) {
      throw new Error(`feature cache row ${r} is out of range (the cache holds ${this.rows} rows)`);
    }
    return r;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the feature cache file was already closed');
  }

  async write(rows: ArrayLike<number>, padded: Float32Array, paddedLength: number): Promise<void> {
    this.checkOpen();
    const dim = this.dim;
    if (padded.length < rows.length * paddedLength * dim) {
      throw new Error(
        `a feature batch of ${rows.length} rows × ${paddedLength} tokens × ${dim} needs ${rows.length * paddedLength * dim} values, got ${padded.length}`,
      );
    }
    const runs = spans(rows.length, (i) => {
      const r = this.row(rows[i] as number);
      const length = this.lengths[r] as number;
      if (length > paddedLength) {
        throw new Error(
          `feature cache row ${r} has ${length} tokens but the batch was padded to ${paddedLength}`,
        );
      }
      return { file: this.offsets[r] as number, memory: i * paddedLength * dim, length: length * dim };
    });
    const bytes = new Uint8Array(padded.buffer, padded.byteOffset, padded.byteLength);
    await this.transfer(runs, bytes, 'write');
  }

  async read(rows: ArrayLike<number>, padTo: number): Promise<Float32Array> {
    this.checkOpen();
    const dim = this.dim;
    const out = new Float32Array(rows.length * padTo * dim);
    const runs = spans(rows.length, (i) => {
      const r = this.row(rows[i] as number);
      const length = Math.min(this.lengths[r] as number, padTo);
      return { file: this.offsets[r] as number, memory: i * padTo * dim, length: length * dim };
    });
    await this.transfer(runs, new Uint8Array(out.buffer), 'read');
    return out;
  }

  /** Moves each run between the file and `memory` (float offsets → bytes), checking every count. */
  private async transfer(
    runs: { file: number; memory: number; length: number }[],
    memory: Uint8Array,
    direction: 'read' | 'write',
  ): Promise<void> {
    const pending: Promise<void>[] = [];
    const check = (done: unknown, wanted: number, at: number) => {
      if (done !== wanted) {
        const got =
          typeof done === 'number' ? `${done} of ${wanted} bytes` : `${String(done)} instead of a byte count`;
        throw new Error(
          direction === 'read'
            ? `the feature cache file returned ${got} at byte ${at}: it was truncated or removed while in use`
            : `the feature cache file took ${got} at byte ${at}: the disk may be full`,
        );
      }
    };
    try {
      for (const run of runs) {
        for (let done = 0; done < run.length * 4; done += MAX_CALL_BYTES) {
          const size = Math.min(MAX_CALL_BYTES, run.length * 4 - done);
          const at = run.file * 4 + done;
          const view = memory.subarray(run.memory * 4 + done, run.memory * 4 + done + size);
          let result: number | Promise<number>;
          try {
            result = direction === 'read' ? this.file.read(at, view) : this.file.write(at, view);
          } catch (error) {
            throw this.failure(direction, at, error);
          }
          if (isPromise(result)) {
            pending.push(
              result.then(
                (n) => check(n, size, at),
                (error: unknown) => {
                  throw this.failure(direction, at, error);
                },
              ),
            );
          } else {
            check(result, size, at);
          }
        }
      }
    } catch (error) {
      // Calls already started must settle before the caller can retry or close the file.
      await Promise.allSettled(pending);
      throw error;
    }
    const settled = await Promise.allSettled(pending);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private failure(direction: 'read' | 'write', at: number, error: unknown): Error {
    return new Error(`the feature cache file failed to ${direction} at byte ${at}: ${describe(error)}`, {
      cause: error,
    });
  }

  /** Closes and removes the file; later reads fail with a clear message. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Bytes for people: 512 B, 3.1 MB, 1.94 GB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
