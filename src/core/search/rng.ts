// The Mersenne Twister as numpy's legacy `np.random.RandomState(seed)` runs it (numpy/random/src/
// mt19937), so a seeded search draws the very numbers Optuna's samplers draw for the same seed:
// `random()` is `random_sample()`, `uniform` is `uniform(low, high)`, `choice` is `choice(n, p=...)`.

const N = 624;
const M = 397;

export class NumpyRandomState {
  private readonly key = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`a random seed must be a whole number from 0 to 2^32 - 1, got ${seed}`);
    }
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.key[i] = s;
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
  }

  private regenerate(): void {
    const key = this.key;
    for (let i = 0; i < N; i++) {
      const y = (key[i]! & 0x80000000) | (key[(i + 1) % N]! & 0x7fffffff);
      key[i] = key[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }

  /** One 32-bit output, tempered. */
  nextUint32(): number {
    if (this.pos >= N) this.regenerate();
    let y = this.key[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A double in [0, 1) from 53 random bits, as `random_sample()`. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.random();
  }

  /**
   * `size` indices drawn with probabilities `p`, as `choice(len(p), p=p, size=size)`: the
   * normalised cumulative sum searched (side='right') with one uniform per draw.
   */
  choice(p: readonly number[], size: number): number[] {
    const cdf: number[] = [];
    let total = 0;
    for (const value of p) cdf.push((total += value));
    const last = cdf[cdf.length - 1]!;
    for (let i = 0; i < cdf.length; i++) cdf[i] = cdf[i]! / last;
    const uniforms = Array.from({ length: size }, () => this.random());
    return uniforms.map((u) => {
      let lo = 0;
      let hi = cdf.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid]! <= u) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    });
  }
}
