// The attention weights softmax(scale · scores + mask bias) over the keys as fused kernels for
// tfjs-backend-webgpu, mirroring transformers' eager attention (scores of q·kᵀ scaled by 1/√Dh,
// padded keys set to the float32 minimum, softmax over the last axis) and the composed ops of
// encoder-ops.ts's attentionSoftmax. Composed, the mask bias, scale, add and softmax are about 10
// dispatches and their gradient about 6; here they are 1 and 1:
//   FusedAttentionSoftmax      one workgroup per row of scores [B·H·T, T]: the row's maximum,
//                              its sum of exponentials and the weights, the mask read from the
//                              attention mask [B, T] itself (0 = padding, any dtype);
//   FusedAttentionSoftmaxGrad  one workgroup per row: dscores = scale · w · (dw − Σ dw·w).
// Registered on import for the webgpu backend only; other backends keep the composed ops.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkDtype,
  kernelOutput,
  kernelPipeline,
  recordDispatch,
  type WebGpuBackend,
  workgroupReduceWgsl,
} from '../backend/webgpu-backend.ts';

export const FUSED_ATTENTION_SOFTMAX = 'FusedAttentionSoftmax';
export const FUSED_ATTENTION_SOFTMAX_GRAD = 'FusedAttentionSoftmaxGrad';

/** torch.finfo(torch.float32).min, which transformers puts on masked attention scores. */
export const FLOAT32_MIN = -3.4028234663852886e38;

const WORKGROUP = 64;

const REDUCE_WGSL = workgroupReduceWgsl(WORKGROUP);

// Row r of scores [B, H, Tq, T] belongs to sequence r / (H·Tq); key j of that sequence is masked where
// mask[b·T + j] is 0. The masked score is scale·s + float32 min, as the composed ops add it.
const forwardWgsl = (
  keys: number,
  rowsPerSequence: number,
  scale: string,
  maskType: 'i32' | 'f32',
) => /* wgsl */ `${REDUCE_WGSL}
@group(0) @binding(0) var<storage, read> scores: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<${maskType}>;
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
const T = ${keys}u;
const ROWS_PER_SEQUENCE = ${rowsPerSequence}u;
const SCALE = ${scale};
const MASKED = ${FLOAT32_MIN};

fn score(start: u32, maskStart: u32, j: u32) -> f32 {
  var s = scores[start + j] * SCALE;
  if (mask[maskStart + j] == ${maskType}(0)) { s += MASKED; }
  return s;
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let row = wid.y * groups.x + wid.x;
  if (row >= arrayLength(&scores) / T) { return; }
  let start = row * T;
  let maskStart = (row / ROWS_PER_SEQUENCE) * T;
  var rowMax = MASKED;
  for (var j = lid.x; j < T; j += ${WORKGROUP}u) { rowMax = max(rowMax, score(start, maskStart, j)); }
  rowMax = workgroupMax(lid.x, rowMax);
  var sum = 0.0;
  for (var j = lid.x; j < T; j += ${WORKGROUP}u) { sum += exp(score(start, maskStart, j) - rowMax); }
  let inverseSum = 1.0 / workgroupSum(lid.x, sum);
  for (var j = lid.x; j < T; j += ${WORKGROUP}u) {
    weights[start + j] = exp(score(start, maskStart, j) - rowMax) * inverseSum;
  }
}
`;

const gradWgsl = (keys: number, scale: string) => /* wgsl */ `${REDUCE_WGSL}
@group(0) @binding(0) var<storage, read> dweights: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> dscores: array<f32>;
const T = ${keys}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let row = wid.y * groups.x + wid.x;
  if (row >= arrayLength(&weights) / T) { return; }
  let start = row * T;
  var dot = 0.0;
  for (var j = lid.x; j < T; j += ${WORKGROUP}u) { dot += dweights[start + j] * weights[start + j]; }
  let total = workgroupSum(lid.x, dot);
  for (var j = lid.x; j < T; j += ${WORKGROUP}u) {
    dscores[start + j] = ${scale} * weights[start + j] * (dweights[start + j] - total);
  }
}
`;

/** A WGSL f32 literal: an integral scale written as `1` would type the constant as an integer. */
const floatLiteral = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

tf.registerKernel({
  kernelName: FUSED_ATTENTION_SOFTMAX,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { scores, mask } = inputs as { scores: tf.TensorInfo; mask: tf.TensorInfo };
    const { scale } = attrs as unknown as { scale: number };
    checkDtype(FUSED_ATTENTION_SOFTMAX, 'float32', scores);
    const gpu = backend as unknown as WebGpuBackend;
    const [batch, heads, queries, keys] = scores.shape as [number, number, number, number];
    if (mask.shape.length !== 2 || mask.shape[0] !== batch || mask.shape[1] !== keys) {
      throw new Error(
        `${FUSED_ATTENTION_SOFTMAX}: the attention mask must be [${batch}, ${keys}], got [${mask.shape.join(', ')}]`,
      );
    }
    const maskType = mask.dtype === 'float32' ? 'f32' : 'i32';
    const weights = kernelOutput(gpu, [batch, heads, queries, keys]);
    const compute = kernelPipeline(
      gpu.device,
      `attention softmax ${keys} ${heads * queries} ${scale} ${maskType}`,
      () => forwardWgsl(keys, heads * queries, floatLiteral(scale), maskType),
    );
    recordDispatch(gpu, compute, [scores, mask, weights], batch * heads * queries);
    return weights;
  },
});

tf.registerKernel({
  kernelName: FUSED_ATTENTION_SOFTMAX_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, weights } = inputs as { dy: tf.TensorInfo; weights: tf.TensorInfo };
    const { scale } = attrs as unknown as { scale: number };
    checkDtype(FUSED_ATTENTION_SOFTMAX_GRAD, 'float32', dy, weights);
    const gpu = backend as unknown as WebGpuBackend;
    const keys = weights.shape[weights.shape.length - 1]!;
    const rows = weights.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const dscores = kernelOutput(gpu, weights.shape);
    const compute = kernelPipeline(gpu.device, `attention softmax grad ${keys} ${scale}`, () =>
      gradWgsl(keys, floatLiteral(scale)),
    );
    recordDispatch(gpu, compute, [dy, weights, dscores], rows);
    return dscores;
  },
});

/** Whether the fused kernels run on the current backend. */
export function fusedAttentionSoftmaxAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_ATTENTION_SOFTMAX, 'webgpu') !== undefined;
}
