// The AdamW update as one WebAssembly SIMD pass over host memory, for backends whose tensors live
// in host memory (cpu, wasm). Composed from tfjs ops the update is ~15 kernels per parameter, each
// a full pass that allocates its output; over a [768, 768] weight that is ~8 ms a step on WASM,
// against ~0.5 ms for this single pass. The module is small enough to be assembled here from its
// instructions (below, with the text form beside each function), so no binary is checked in.
//
// The kernel works on float32 arrays at byte offsets in one WebAssembly memory: its own, or the
// tfjs WASM backend's heap, where it then reads and writes tensors in place.

/** Element-wise float32 arithmetic, in the order torch's AdamW applies it. */
export interface AdamWScalars {
  /** Gradient multiplier from global-norm clipping (1 when not clipped). */
  clip: number;
  /** 1 − lr·weight decay (1 for parameters without decay). */
  decay: number;
  beta1: number;
  beta2: number;
  /** √(1 − β₂ᵗ). */
  biasCorrection2Sqrt: number;
  eps: number;
  /** lr / (1 − β₁ᵗ). */
  stepSize: number;
}

export interface AdamWKernel {
  readonly memory: WebAssembly.Memory;
  /** Σ x² over `count` floats at byte offset `offset`, accumulated in float64. */
  sumOfSquares(offset: number, count: number): number;
  /**
   * Over `count` floats at byte offsets (pIn may equal pOut; nothing else may overlap):
   *   g' = g·clip;  m ← β₁m + (1−β₁)g';  v ← β₂v + (1−β₂)g'²;
   *   pOut = pIn·decay − stepSize · m / (√v / √(1−β₂ᵗ) + eps)
   */
  update(
    pIn: number,
    pOut: number,
    g: number,
    m: number,
    v: number,
    count: number,
    scalars: AdamWScalars,
  ): void;
}

const f32 = Math.fround;

/**
 * One element of the update in float32 (each operation rounded as float32 hardware would; exact,
 * since float64 carries more than twice float32's precision). Returns [p, m, v].
 */
export function adamWElement(
  p: number,
  g: number,
  m: number,
  v: number,
  s: AdamWScalars,
): [number, number, number] {
  const grad = f32(g * f32(s.clip));
  const mNew = f32(f32(m * f32(s.beta1)) + f32(grad * f32(1 - s.beta1)));
  const vNew = f32(f32(v * f32(s.beta2)) + f32(f32(grad * grad) * f32(1 - s.beta2)));
  const denom = f32(f32(f32(Math.sqrt(vNew)) / f32(s.biasCorrection2Sqrt)) + f32(s.eps));
  const pNew = f32(f32(p * f32(s.decay)) - f32(f32(mNew / denom) * f32(s.stepSize)));
  return [pNew, mNew, vNew];
}

// --- a minimal WebAssembly encoder -------------------------------------------------------------

const unsigned = (value: number): number[] => {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
};
const signed = (value: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
};
const vector = (items: number[][]): number[] => [...unsigned(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...unsigned(body.length), ...body];
const name = (text: string): number[] => vector([...text].map((c) => [c.charCodeAt(0)]));

const I32 = 0x7f;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;

const get = (index: number) => [0x20, ...unsigned(index)];
const set = (index: number) => [0x21, ...unsigned(index)];
const i32Const = (value: number) => [0x41, ...signed(value)];
const I32_ADD = [0x6a];
const I32_SHL = [0x74];
const I32_GE_U = [0x4f];
const F64_ADD = [0xa0];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const br = (depth: number) => [0x0c, ...unsigned(depth)];
const brIf = (depth: number) => [0x0d, ...unsigned(depth)];
const simd = (op: number, ...immediates: number[]) => [0xfd, ...unsigned(op), ...immediates];
// memarg: alignment 2^2 (the hint only; unaligned access is valid), offset 0.
const V128_LOAD = simd(0x00, 2, 0);
const V128_STORE = simd(0x0b, 2, 0);
const F32X4_SPLAT = simd(0x13);
const F64X2_EXTRACT_LANE = (lane: number) => simd(0x21, lane);
const F32X4_SQRT = simd(0xe3);
const F32X4_ADD = simd(0xe4);
const F32X4_SUB = simd(0xe5);
const F32X4_MUL = simd(0xe6);
const F32X4_DIV = simd(0xe7);
const F64X2_ADD = simd(0xf0);
const F64X2_MUL = simd(0xf2);
const F64X2_PROMOTE_LOW_F32X4 = simd(0x5f);
/** Lanes 2 and 3 of a f32x4 moved to lanes 0 and 1. */
const HIGH_HALF = simd(0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15);

const body = (locals: [number, number][], code: number[][]): number[] => {
  const bytes = [
    ...vector(locals.map(([count, type]) => [...unsigned(count), type])),
    ...code.flat(),
    ...END,
  ];
  return [...unsigned(bytes.length), ...bytes];
};

// (func $sumsq (param $at i32) (param $count i32) (result f64)
//   (local $end i32) (local $x v128) (local $low v128) (local $high v128)
//   end = at + count·4
//   loop until at ≥ end: x = load(at); low += promote(x[0,1])²; high += promote(x[2,3])²; at += 16
//   low[0] + low[1] + high[0] + high[1])
// Two accumulators halve the chain of dependent float64 additions.
const SUM_OF_SQUARES = body(
  [
    [1, I32],
    [3, V128],
  ],
  [
    get(0),
    get(1),
    i32Const(2),
    I32_SHL,
    I32_ADD,
    set(2),
    BLOCK,
    LOOP,
    get(0),
    get(2),
    I32_GE_U,
    brIf(1),
    get(0),
    V128_LOAD,
    set(3),
    get(4),
    get(3),
    F64X2_PROMOTE_LOW_F32X4,
    get(3),
    F64X2_PROMOTE_LOW_F32X4,
    F64X2_MUL,
    F64X2_ADD,
    set(4),
    get(5),
    get(3),
    get(3),
    HIGH_HALF,
    F64X2_PROMOTE_LOW_F32X4,
    get(3),
    get(3),
    HIGH_HALF,
    F64X2_PROMOTE_LOW_F32X4,
    F64X2_MUL,
    F64X2_ADD,
    set(5),
    get(0),
    i32Const(16),
    I32_ADD,
    set(0),
    br(0),
    END,
    END,
    get(4),
    F64X2_EXTRACT_LANE(0),
    get(4),
    F64X2_EXTRACT_LANE(1),
    F64_ADD,
    get(5),
    F64X2_EXTRACT_LANE(0),
    F64_ADD,
    get(5),
    F64X2_EXTRACT_LANE(1),
    F64_ADD,
  ],
);

// (func $update (param $pIn i32) (param $pOut i32) (param $g i32) (param $m i32) (param $v i32)
//   (param $count i32) (param $clip f32) (param $decay f32) (param $b1 f32) (param $omb1 f32)
//   (param $b2 f32) (param $omb2 f32) (param $bc2 f32) (param $eps f32) (param $step f32)
//   (local $i i32) (local $end i32) (local $grad v128) (local $mNew v128) (local $vNew v128)
//   (local 9 × v128: the scalars splatted)
//   for i in 0, 16, … < count·4 (count a multiple of 4):
//     grad = g[i]·clip
//     mNew = m[i]·b1 + grad·omb1;         m[i] = mNew
//     vNew = v[i]·b2 + (grad·grad)·omb2;  v[i] = vNew
//     pOut[i] = pIn[i]·decay − (mNew / (√vNew / bc2 + eps))·step)
const P_IN = 0;
const P_OUT = 1;
const G = 2;
const M = 3;
const V = 4;
const COUNT = 5;
const SCALAR = 6; // params 6…14: clip, decay, b1, omb1, b2, omb2, bc2, eps, step
const I = 15;
const END_AT = 16;
const GRAD = 17;
const M_NEW = 18;
const V_NEW = 19;
const SPLAT = 20; // locals 20…28: the scalars as f32x4
const [CLIP, DECAY, B1, OMB1, B2, OMB2, BC2, EPS, STEP] = Array.from({ length: 9 }, (_, k) => SPLAT + k) as [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
];
const at = (base: number) => [...get(base), ...get(I), ...I32_ADD];

const UPDATE = body(
  [
    [2, I32],
    [3 + 9, V128],
  ],
  [
    ...Array.from({ length: 9 }, (_, k) => [...get(SCALAR + k), ...F32X4_SPLAT, ...set(SPLAT + k)]),
    get(COUNT),
    i32Const(2),
    I32_SHL,
    set(END_AT),
    BLOCK,
    LOOP,
    get(I),
    get(END_AT),
    I32_GE_U,
    brIf(1),
    // grad = g·clip
    at(G),
    V128_LOAD,
    get(CLIP),
    F32X4_MUL,
    set(GRAD),
    // m
    at(M),
    at(M),
    V128_LOAD,
    get(B1),
    F32X4_MUL,
    get(GRAD),
    get(OMB1),
    F32X4_MUL,
    F32X4_ADD,
    set(M_NEW),
    get(M_NEW),
    V128_STORE,
    // v
    at(V),
    at(V),
    V128_LOAD,
    get(B2),
    F32X4_MUL,
    get(GRAD),
    get(GRAD),
    F32X4_MUL,
    get(OMB2),
    F32X4_MUL,
    F32X4_ADD,
    set(V_NEW),
    get(V_NEW),
    V128_STORE,
    // p
    at(P_OUT),
    at(P_IN),
    V128_LOAD,
    get(DECAY),
    F32X4_MUL,
    get(M_NEW),
    get(V_NEW),
    F32X4_SQRT,
    get(BC2),
    F32X4_DIV,
    get(EPS),
    F32X4_ADD,
    F32X4_DIV,
    get(STEP),
    F32X4_MUL,
    F32X4_SUB,
    V128_STORE,
    get(I),
    i32Const(16),
    I32_ADD,
    set(I),
    br(0),
    END,
    END,
  ],
);

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const types = section(
    1,
    vector([
      [0x60, ...vector([[I32], [I32]]), ...vector([[F64]])],
      [
        0x60,
        ...vector([...Array<number[]>(6).fill([I32]), ...Array<number[]>(9).fill([F32])]),
        ...vector([]),
      ],
    ]),
  );
  // (import "env" "memory" (memory 0))
  const imports = section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]]));
  const functions = section(3, vector([[0], [1]]));
  const exports = section(
    7,
    vector([
      [...name('sumsq'), 0x00, 0],
      [...name('update'), 0x00, 1],
    ]),
  );
  const code = section(10, vector([SUM_OF_SQUARES, UPDATE]));
  // "\0asm", version 1
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  return new Uint8Array([...header, ...types, ...imports, ...functions, ...exports, ...code]);
}

let compiled: WebAssembly.Module | null | undefined;

function compile(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = moduleBytes();
    compiled =
      typeof WebAssembly !== 'undefined' && WebAssembly.validate(bytes)
        ? new WebAssembly.Module(bytes)
        : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

/** True where WebAssembly with SIMD runs (every current browser and Node ≥ 16). */
export function adamWKernelAvailable(): boolean {
  return compile() !== null;
}

/**
 * A kernel over `memory`, or over a fresh memory of at least `bytes` bytes. Null without
 * WebAssembly SIMD, when that memory cannot be had, or when `memory` cannot be imported (a
 * shared memory).
 */
export function createAdamWKernel(
  target: { bytes: number } | { memory: WebAssembly.Memory },
): AdamWKernel | null {
  const module = compile();
  if (!module) return null;
  let memory: WebAssembly.Memory;
  let instance: WebAssembly.Instance;
  try {
    memory =
      'memory' in target
        ? target.memory
        : new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(target.bytes / 65536)) });
    instance = new WebAssembly.Instance(module, { env: { memory } });
  } catch {
    // More than the page may allocate (or than 4 GB), or a memory of another kind.
    return null;
  }
  const sumsq = instance.exports.sumsq as (at: number, count: number) => number;
  const update = instance.exports.update as (...args: number[]) => void;
  const floats = (offset: number, count: number) => new Float32Array(memory.buffer, offset, count);
  return {
    memory,
    sumOfSquares: (offset, count) => {
      const simd = count - (count % 4);
      let sum = sumsq(offset, simd);
      for (const x of floats(offset + 4 * simd, count - simd)) sum += x * x;
      return sum;
    },
    update: (pIn, pOut, g, m, v, count, s) => {
      const simd = count - (count % 4);
      update(
        pIn,
        pOut,
        g,
        m,
        v,
        simd,
        s.clip,
        s.decay,
        s.beta1,
        1 - s.beta1,
        s.beta2,
        1 - s.beta2,
        s.biasCorrection2Sqrt,
        s.eps,
        s.stepSize,
      );
      for (let i = simd; i < count; i++) {
        const [pNew, mNew, vNew] = adamWElement(
          floats(pIn + 4 * i, 1)[0]!,
          floats(g + 4 * i, 1)[0]!,
          floats(m + 4 * i, 1)[0]!,
          floats(v + 4 * i, 1)[0]!,
          s,
        );
        floats(pOut + 4 * i, 1)[0] = pNew;
        floats(m + 4 * i, 1)[0] = mNew;
        floats(v + 4 * i, 1)[0] = vNew;
      }
    },
  };
}
