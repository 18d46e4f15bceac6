// nn.LayerNorm over the last axis as fused kernels for tfjs-backend-webgpu, mirroring
// torch.nn.functional.layer_norm and the composed ops of distilbert.ts's layerNorm (same float32
// order: two-pass mean and variance, inverseSqrt, (x − mean)·invStd·γ + β). Composed from tfjs ops
// the forward is about 12 dispatches and its gradient about 12 more; here they are 1 and 2:
//   FusedLayerNorm      one workgroup per row: y [N, D] and the row statistics [N, 2] (mean, 1/σ);
//                       with a residual r, LN(x + r) and the sum x + r [N, D] (what the gradient
//                       reads), in the same dispatch: the residual connection's Add is folded in,
//                       and with a dropout key and rate, LN(dropout(x) + r), the mask hashed as
//                       dropout-webgpu.ts hashes it (the same key gives the same mask);
//   FusedLayerNormGrad  one workgroup per row for dx, then one thread per column for dγ and dβ.
// Registered on import for the webgpu backend only; other backends keep the composed ops.
import * as tf from '@tensorflow/tfjs-core';
import { DROPOUT_HASH_WGSL, dropThreshold } from './dropout-webgpu.ts';
import {
  checkDtype,
  kernelOutput,
  kernelPipeline,
  recordDispatch,
  type WebGpuBackend,
  workgroupReduceWgsl,
} from '../backend/index.ts';

export const FUSED_LAYER_NORM = 'FusedLayerNorm';
export const FUSED_LAYER_NORM_GRAD = 'FusedLayerNormGrad';

const WORKGROUP = 256;

const REDUCE_WGSL = workgroupReduceWgsl(WORKGROUP);

/** Dropout on x before the residual is added: the rate's threshold and scale, the key a binding. */
interface InputDropout {
  threshold: number;
  scale: number;
}

const droppedInput = (dropout: InputDropout) => /* wgsl */ `${DROPOUT_HASH_WGSL}
@group(0) @binding(7) var<storage, read> key: array<i32>;
fn dropped(i: u32) -> f32 {
  return select(0.0, x[i] * ${dropout.scale.toExponential()}, dropoutBits(i, bitcast<u32>(key[0])) >= ${dropout.threshold}u);
}
fn input(i: u32) -> f32 { return dropped(i) + r[i]; }`;

// With a residual, input() reads x + r (or dropout(x) + r) and the first pass stores it in `sum`.
const forwardWgsl = (
  dim: number,
  eps: number,
  residual: boolean,
  dropout: InputDropout | null,
) => /* wgsl */ `${REDUCE_WGSL}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
${
  residual
    ? `@group(0) @binding(5) var<storage, read> r: array<f32>;
@group(0) @binding(6) var<storage, read_write> sum: array<f32>;
${dropout ? droppedInput(dropout) : 'fn input(i: u32) -> f32 { return x[i] + r[i]; }'}`
    : 'fn input(i: u32) -> f32 { return x[i]; }'
}
const D = ${dim}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let row = wid.y * groups.x + wid.x;
  if (row >= arrayLength(&x) / D) { return; }
  let start = row * D;
  var total = 0.0;
  for (var j = lid.x; j < D; j += ${WORKGROUP}u) {
    let v = input(start + j);
    ${residual ? 'sum[start + j] = v;' : ''}
    total += v;
  }
  let mean = workgroupSum(lid.x, total) / f32(D);
  var squares = 0.0;
  for (var j = lid.x; j < D; j += ${WORKGROUP}u) {
    let d = input(start + j) - mean;
    squares += d * d;
  }
  let variance = workgroupSum(lid.x, squares) / f32(D);
  let invStd = inverseSqrt(variance + ${eps.toExponential()});
  for (var j = lid.x; j < D; j += ${WORKGROUP}u) {
    y[start + j] = (input(start + j) - mean) * invStd * gamma[j] + beta[j];
  }
  if (lid.x == 0u) {
    stats[2u * row] = mean;
    stats[2u * row + 1u] = invStd;
  }
}
`;

// dx = (1/σ) (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), dx̂ = dy · γ, means over the normalized axis.
const inputGradWgsl = (dim: number) => /* wgsl */ `${REDUCE_WGSL}
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
const D = ${dim}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let row = wid.y * groups.x + wid.x;
  if (row >= arrayLength(&x) / D) { return; }
  let start = row * D;
  let mean = stats[2u * row];
  let invStd = stats[2u * row + 1u];
  var sumDxHat = 0.0;
  var sumDxHatXHat = 0.0;
  for (var j = lid.x; j < D; j += ${WORKGROUP}u) {
    let dxHat = dy[start + j] * gamma[j];
    sumDxHat += dxHat;
    sumDxHatXHat += dxHat * ((x[start + j] - mean) * invStd);
  }
  let meanDxHat = workgroupSum(lid.x, sumDxHat) / f32(D);
  let meanDxHatXHat = workgroupSum(lid.x, sumDxHatXHat) / f32(D);
  for (var j = lid.x; j < D; j += ${WORKGROUP}u) {
    let xHat = (x[start + j] - mean) * invStd;
    dx[start + j] = ((dy[start + j] * gamma[j] - meanDxHat) - xHat * meanDxHatXHat) * invStd;
  }
}
`;

// dγ = Σ_rows dy · x̂, dβ = Σ_rows dy: one thread per column.
const paramGradWgsl = (dim: number) => /* wgsl */ `
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> dbeta: array<f32>;
const D = ${dim}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= D) { return; }
  let rows = arrayLength(&x) / D;
  var sumGamma = 0.0;
  var sumBeta = 0.0;
  for (var row = 0u; row < rows; row++) {
    let g = dy[row * D + j];
    sumGamma += g * ((x[row * D + j] - stats[2u * row]) * stats[2u * row + 1u]);
    sumBeta += g;
  }
  dgamma[j] = sumGamma;
  dbeta[j] = sumBeta;
}
`;

function checkFloat(...infos: tf.TensorInfo[]): void {
  checkDtype(FUSED_LAYER_NORM, 'float32', ...infos);
}

tf.registerKernel({
  kernelName: FUSED_LAYER_NORM,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, residual, key } = inputs as {
      x: tf.TensorInfo;
      gamma: tf.TensorInfo;
      beta: tf.TensorInfo;
      residual?: tf.TensorInfo;
      key?: tf.TensorInfo;
    };
    const { eps, rate } = attrs as unknown as { eps: number; rate?: number };
    if (key && !(residual && rate !== undefined && rate > 0 && rate < 1)) {
      throw new Error(`${FUSED_LAYER_NORM}: dropout needs a residual and a rate in (0, 1)`);
    }
    const dropout =
      key && rate !== undefined ? { threshold: dropThreshold(rate), scale: 1 / (1 - rate) } : null;
    checkFloat(x, gamma, beta, ...(residual ? [residual] : []));
    const gpu = backend as unknown as WebGpuBackend;
    const [rows, dim] = x.shape as [number, number];
    if (residual && residual.shape.join() !== x.shape.join()) {
      throw new Error(
        `${FUSED_LAYER_NORM}: the residual [${residual.shape.join(', ')}] is not [${rows}, ${dim}]`,
      );
    }
    const y = kernelOutput(gpu, [rows, dim]);
    const stats = kernelOutput(gpu, [rows, 2]);
    const sum = residual ? kernelOutput(gpu, [rows, dim]) : null;
    const variant = residual ? (dropout ? ` residual dropout ${rate}` : ' residual') : '';
    const compute = kernelPipeline(gpu.device, `layer norm ${dim} ${eps}${variant}`, () =>
      forwardWgsl(dim, eps, residual !== undefined, dropout),
    );
    recordDispatch(
      gpu,
      compute,
      [x, gamma, beta, y, stats, ...(residual && sum ? [residual, sum] : []), ...(key ? [key] : [])],
      rows,
    );
    return sum ? [y, stats, sum] : [y, stats];
  },
});

tf.registerKernel({
  kernelName: FUSED_LAYER_NORM_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { dy, x, stats, gamma } = inputs as {
      dy: tf.TensorInfo;
      x: tf.TensorInfo;
      stats: tf.TensorInfo;
      gamma: tf.TensorInfo;
    };
    checkFloat(dy, x, stats, gamma);
    const gpu = backend as unknown as WebGpuBackend;
    const [rows, dim] = x.shape as [number, number];
    const dx = kernelOutput(gpu, [rows, dim]);
    const dgamma = kernelOutput(gpu, [dim]);
    const dbeta = kernelOutput(gpu, [dim]);
    recordDispatch(
      gpu,
      kernelPipeline(gpu.device, `layer norm dx ${dim}`, () => inputGradWgsl(dim)),
      [dy, x, stats, gamma, dx],
      rows,
    );
    recordDispatch(
      gpu,
      kernelPipeline(gpu.device, `layer norm dgamma ${dim}`, () => paramGradWgsl(dim)),
      [dy, x, stats, dgamma, dbeta],
      Math.ceil(dim / WORKGROUP),
    );
    return [dx, dgamma, dbeta];
  },
});

/** Whether the fused kernels run on the current backend. */
export function fusedLayerNormAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_LAYER_NORM, 'webgpu') !== undefined;
}
