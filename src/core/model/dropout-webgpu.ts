// Inverted dropout as one fused kernel for tfjs-backend-webgpu, as torch.nn.functional.dropout
// computes it (each element kept with probability 1 − p and scaled by 1 / (1 − p)). tf.dropout
// draws its uniform numbers on the CPU, uploads them and spends 4 dispatches (add, floor, div,
// mul) forward and 1 backward; here the keep decision comes from a counter-based hash of the
// element's index and a 32-bit key, in the shader, so a mask is never stored or uploaded: 1
// dispatch forward, and the backward is the same kernel over dy with the same key (the same
// mask). Equal keys give equal masks, which makes a seeded run, and a checkpointed block's
// recomputation, see the masks its forward saw.
//   FusedDropout  one thread per element: y = x · [hash(i, key) ≥ p · 2³²] / (1 − p), for x of
//                 any shape and the key as a one-element int32 tensor (its bits).
// Registered on import for the webgpu backend only; other backends keep tf.dropout.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkDtype,
  kernelOutput,
  kernelPipeline,
  recordDispatch,
  type WebGpuBackend,
} from '../backend/index.ts';

export const FUSED_DROPOUT = 'FusedDropout';

const WORKGROUP = 256;

/**
 * The PCG hash (O'Neill; as Jarzynski and Olano's "Hash Functions for GPU Rendering" give it),
 * a bijection on 32-bit integers with good avalanche, mixed twice with the key.
 */
export const DROPOUT_HASH_WGSL = /* wgsl */ `
fn pcgHash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn dropoutBits(index: u32, key: u32) -> u32 { return pcgHash(pcgHash(index ^ key) + key); }
`;

/** The hash the shader computes, in JavaScript, for tests and CPU checks. */
export function dropoutBits(index: number, key: number): number {
  const pcg = (v: number): number => {
    const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
    const word = Math.imul((state >>> ((state >>> 28) + 4)) ^ state, 277803737) >>> 0;
    return ((word >>> 22) ^ word) >>> 0;
  };
  return pcg((pcg((index ^ key) >>> 0) + key) >>> 0);
}

/** Elements whose hash is below this are dropped: round(p · 2³²), kept below 2³². */
export function dropThreshold(rate: number): number {
  return Math.min(Math.round(rate * 2 ** 32), 2 ** 32 - 1);
}

const wgsl = (threshold: number, scale: string) => /* wgsl */ `${DROPOUT_HASH_WGSL}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> key: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
const THRESHOLD = ${threshold}u;
const SCALE = ${scale};

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let i = (wid.y * groups.x + wid.x) * ${WORKGROUP}u + lid.x;
  if (i >= arrayLength(&x)) { return; }
  let kept = dropoutBits(i, bitcast<u32>(key[0])) >= THRESHOLD;
  y[i] = select(0.0, x[i] * SCALE, kept);
}
`;

tf.registerKernel({
  kernelName: FUSED_DROPOUT,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, key } = inputs as { x: tf.TensorInfo; key: tf.TensorInfo };
    const { rate } = attrs as unknown as { rate: number };
    checkDtype(FUSED_DROPOUT, 'float32', x);
    checkDtype(FUSED_DROPOUT, 'int32', key);
    if (!(rate > 0 && rate < 1)) throw new Error(`${FUSED_DROPOUT}: the rate must be in (0, 1), got ${rate}`);
    const gpu = backend as unknown as WebGpuBackend;
    const size = x.shape.reduce((a, b) => a * b, 1);
    const y = kernelOutput(gpu, [...x.shape]);
    if (size === 0) return y;
    const threshold = dropThreshold(rate);
    const scale = 1 / (1 - rate);
    const compute = kernelPipeline(gpu.device, `dropout ${rate}`, () =>
      wgsl(threshold, Number.isInteger(scale) ? scale.toFixed(1) : String(scale)),
    );
    recordDispatch(gpu, compute, [x, key, y], Math.ceil(size / WORKGROUP));
    return y;
  },
});

/** Whether the fused kernel runs on the current backend. */
export function fusedDropoutAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_DROPOUT, 'webgpu') !== undefined;
}
