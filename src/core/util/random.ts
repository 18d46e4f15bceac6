// Seeded pseudo-random numbers, so that shuffles, splits, dropout seeds and initialisations are
// reproducible: the same seed gives the same sequence on every platform (pure integer arithmetic,
// no Math.random).

export interface Rng {
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal sample (Box-Muller). */
  normal(): number;
  /** Shuffles `array` in place (Fisher-Yates) and returns it. */
  shuffle<T, A extends { length: number; [index: number]: T }>(array: A): A;
  /** A new generator whose sequence is independent of this one's remaining sequence. */
  fork(): Rng;
}

/** Mixes any integer (or a string) into a well-spread 32-bit seed. */
export function hashSeed(seed: number | string): number {
  let h = 0x811c9dc5;
  const text = typeof seed === 'number' ? String(Math.trunc(seed)) : seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * sfc32 (Small Fast Counting generator): passes PractRand to terabytes, has a 2^128 state and
 * needs only 32-bit integer operations, so JavaScript computes it exactly.
 */
export function createRng(seed: number | string): Rng {
  let s = hashSeed(seed);
  // SplitMix32 expands the single seed into the four state words.
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  return fromState(splitmix(), splitmix(), splitmix(), splitmix());
}

function fromState(a0: number, b0: number, c0: number, d0: number): Rng {
  let a = a0 | 0;
  let b = b0 | 0;
  let c = c0 | 0;
  let d = d0 | 0;
  const nextUint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: they are still correlated with the seed words.
  for (let i = 0; i < 12; i++) nextUint32();
  let spareNormal: number | null = null;
  const rng: Rng = {
    nextUint32,
    next: () => nextUint32() / 4294967296,
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0 || n > 4294967296)
        throw new RangeError(`int(n) needs 0 < n <= 2^32, got ${n}`);
      // Rejection sampling removes the modulo bias.
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const x = nextUint32();
        if (x < limit) return x % n;
      }
    },
    normal(): number {
      if (spareNormal !== null) {
        const value = spareNormal;
        spareNormal = null;
        return value;
      }
      let u = 0;
      while (u === 0) u = rng.next();
      const v = rng.next();
      const radius = Math.sqrt(-2 * Math.log(u));
      spareNormal = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    shuffle<T, A extends { length: number; [index: number]: T }>(array: A): A {
      for (let i = array.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const tmp = array[i] as T;
        array[i] = array[j] as T;
        array[j] = tmp;
      }
      return array;
    },
    fork: () => fromState(nextUint32(), nextUint32(), nextUint32(), nextUint32()),
  };
  return rng;
}

/** 0, 1, …, n−1 in an order fixed by `rng`. */
export function permutation(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return rng.shuffle(order);
}
