// Activations of the frozen part of the model, computed once and reused every epoch. The training
// loop only needs "store these rows" and "give me these rows, padded", so a browser can implement
// the same interface over OPFS when the cache outgrows memory.

export interface FeatureCache {
  /** Examples held. */
  readonly rows: number;
  /** Values per token. */
  readonly dim: number;
  /** Tokens stored for each example (1 for first-token features). */
  readonly lengths: Int32Array;
  /**
   * Stores a padded batch [rows.length, paddedLength, dim]; only each row's first
   * lengths[row] tokens are kept.
   */
  write(rows: ArrayLike<number>, padded: Float32Array, paddedLength: number): void | Promise<void>;
  /** The given rows zero-padded to `padTo` tokens: [rows.length, padTo, dim], row-major. */
  read(rows: ArrayLike<number>, padTo: number): Float32Array | Promise<Float32Array>;
  /** Bytes held (in memory or on disk). */
  readonly byteLength: number;
  dispose(): void | Promise<void>;
}

/** Builds a cache for a split; the default keeps everything in one Float32Array. */
export type FeatureCacheFactory = (lengths: Int32Array, dim: number) => FeatureCache | Promise<FeatureCache>;

export class MemoryFeatureCache implements FeatureCache {
  readonly rows: number;
  private readonly offsets: Float64Array;
  private data: Float32Array;

  constructor(
    readonly lengths: Int32Array,
    readonly dim: number,
  ) {
    this.rows = lengths.length;
    this.offsets = new Float64Array(this.rows + 1);
    for (let i = 0; i < this.rows; i++) {
      this.offsets[i + 1] = (this.offsets[i] as number) + (lengths[i] as number) * dim;
    }
    const total = this.offsets[this.rows] as number;
    if (total > 2 ** 31 - 1) {
      throw new Error(
        `the feature cache needs ${((total * 4) / 1e9).toFixed(1)} GB, more than one memory buffer holds; use a disk-backed cache or a shorter max length`,
      );
    }
    this.data = new Float32Array(total);
  }

  get byteLength(): number {
    return this.data.byteLength;
  }

  write(rows: ArrayLike<number>, padded: Float32Array, paddedLength: number): void {
    const dim = this.dim;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as number;
      const count = (this.lengths[r] as number) * dim;
      const from = i * paddedLength * dim;
      this.data.set(padded.subarray(from, from + count), this.offsets[r] as number);
    }
  }

  read(rows: ArrayLike<number>, padTo: number): Float32Array {
    const dim = this.dim;
    const out = new Float32Array(rows.length * padTo * dim);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as number;
      const count = Math.min(this.lengths[r] as number, padTo) * dim;
      const start = this.offsets[r] as number;
      out.set(this.data.subarray(start, start + count), i * padTo * dim);
    }
    return out;
  }

  dispose(): void {
    this.data = new Float32Array(0);
  }
}

export const memoryFeatureCache: FeatureCacheFactory = (lengths, dim) => new MemoryFeatureCache(lengths, dim);
