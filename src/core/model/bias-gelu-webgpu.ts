// The FFN's bias add and exact GELU as fused kernels for tfjs-backend-webgpu, mirroring
// torch.nn.functional.gelu(x + b) (approximate='none') and the composed ops of encoder-ops.ts's
// biasGelu (erf as tfjs-backend-webgpu's own Erf computes it, Abramowitz and Stegun 7.1.26, so
// fused and composed agree on this backend). Composed, the forward is an Add and about 6 dispatches
// of GELU, and the gradient about 8 more with the bias' Sum; here they are 1 and 1:
//   FusedBiasGelu      one thread per element: y = gelu(h + b) for h [N, F], b [F];
//   FusedBiasGeluGrad  one workgroup per 32 columns: dh = dy · gelu'(h + b) [N, F] and the bias
//                      gradient db = Σ_rows dh [F], each column's sum in a fixed order.
// Registered on import for the webgpu backend only; other backends keep the composed ops.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkDtype,
  kernelOutput,
  kernelPipeline,
  recordDispatch,
  type WebGpuBackend,
} from '../backend/index.ts';

export const FUSED_BIAS_GELU = 'FusedBiasGelu';
export const FUSED_BIAS_GELU_GRAD = 'FusedBiasGeluGrad';

const WORKGROUP = 256;
/** Columns per workgroup of the gradient, and row lanes summing each column. */
const GRAD_COLUMNS = 32;
const GRAD_LANES = 8;

const GELU_WGSL = /* wgsl */ `
const ERF_P = 0.3275911;
const ERF_A1 = 0.254829592;
const ERF_A2 = -0.284496736;
const ERF_A3 = 1.421413741;
const ERF_A4 = -1.453152027;
const ERF_A5 = 1.061405429;
fn erfApprox(a: f32) -> f32 {
  let absA = abs(a);
  let t = 1.0 / (1.0 + ERF_P * absA);
  return sign(a) * (1.0 - (((((ERF_A5 * t + ERF_A4) * t) + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t * exp(-absA * absA));
}
// Φ(x), the standard normal CDF.
fn cdf(x: f32) -> f32 { return 0.5 * (erfApprox(x * ${Math.SQRT1_2}) + 1.0); }
`;

const forwardWgsl = (columns: number) => /* wgsl */ `${GELU_WGSL}
@group(0) @binding(0) var<storage, read> h: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
const F = ${columns}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let i = (wid.y * groups.x + wid.x) * ${WORKGROUP}u + lid.x;
  if (i >= arrayLength(&h)) { return; }
  let x = h[i] + bias[i % F];
  y[i] = x * cdf(x);
}
`;

// gelu'(x) = Φ(x) + x φ(x), φ(x) = exp(−x²/2) / √(2π).
const gradWgsl = (columns: number) => /* wgsl */ `${GELU_WGSL}
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> dh: array<f32>;
@group(0) @binding(4) var<storage, read_write> dbias: array<f32>;
const F = ${columns}u;
var<workgroup> partial: array<f32, ${GRAD_COLUMNS * GRAD_LANES}>;

@compute @workgroup_size(${GRAD_COLUMNS}, ${GRAD_LANES})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let j = (wid.y * groups.x + wid.x) * ${GRAD_COLUMNS}u + lid.x;
  var sum = 0.0;
  if (j < F) {
    let rows = arrayLength(&h) / F;
    let b = bias[j];
    for (var row = lid.y; row < rows; row += ${GRAD_LANES}u) {
      let i = row * F + j;
      let x = h[i] + b;
      let g = dy[i] * (cdf(x) + x * exp(-0.5 * x * x) * ${1 / Math.sqrt(2 * Math.PI)});
      dh[i] = g;
      sum += g;
    }
  }
  partial[lid.y * ${GRAD_COLUMNS}u + lid.x] = sum;
  workgroupBarrier();
  if (lid.y == 0u && j < F) {
    var total = 0.0;
    for (var lane = 0u; lane < ${GRAD_LANES}u; lane++) { total += partial[lane * ${GRAD_COLUMNS}u + lid.x]; }
    dbias[j] = total;
  }
}
`;

tf.registerKernel({
  kernelName: FUSED_BIAS_GELU,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { h, bias } = inputs as { h: tf.TensorInfo; bias: tf.TensorInfo };
    checkDtype(FUSED_BIAS_GELU, 'float32', h, bias);
    const gpu = backend as unknown as WebGpuBackend;
    const [rows, columns] = h.shape as [number, number];
    const y = kernelOutput(gpu, [rows, columns]);
    const compute = kernelPipeline(gpu.device, `bias gelu ${columns}`, () => forwardWgsl(columns));
    recordDispatch(gpu, compute, [h, bias, y], Math.ceil((rows * columns) / WORKGROUP));
    return y;
  },
});

tf.registerKernel({
  kernelName: FUSED_BIAS_GELU_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { dy, h, bias } = inputs as { dy: tf.TensorInfo; h: tf.TensorInfo; bias: tf.TensorInfo };
    checkDtype(FUSED_BIAS_GELU_GRAD, 'float32', dy, h, bias);
    const gpu = backend as unknown as WebGpuBackend;
    const [rows, columns] = h.shape as [number, number];
    const dh = kernelOutput(gpu, [rows, columns]);
    const dbias = kernelOutput(gpu, [columns]);
    const compute = kernelPipeline(gpu.device, `bias gelu grad ${columns}`, () => gradWgsl(columns));
    recordDispatch(gpu, compute, [dy, h, bias, dh, dbias], Math.ceil(columns / GRAD_COLUMNS));
    return [dh, dbias];
  },
});

/** Whether the fused kernels run on the current backend. */
export function fusedBiasGeluAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_BIAS_GELU, 'webgpu') !== undefined;
}
