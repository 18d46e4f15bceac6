// The attention weights softmax(scale · scores + mask bias) over the keys as fused kernels for
// tfjs-backend-webgpu, mirroring transformers' eager attention (scores of q·kᵀ scaled by 1/√Dh,
// padded keys set to the float32 minimum, softmax over the last axis) and the composed ops of
// encoder-ops.ts's attentionSoftmax. Composed, the mask bias, scale, add and softmax are about 10
// dispatches and their gradient about 6; here they are 1 and 1:
//   FusedAttentionSoftmax      one workgroup per row of scores [B·H·T, T]: the row's maximum,
//                              its sum of exponentials and the weights, the mask read from the
//                              attention mask [B, T] itself (0 = padding, any dtype);
//   FusedAttentionSoftmaxGrad  one workgroup per row: dscores = scale · w · (dw − Σ dw·w).
// With a dropout key and rate, the forward also writes the dropped-out weights and the gradient
// takes the gradient of those (dw = mask · d(dropped) / (1 − p)), the mask hashed from the
// element's index as dropout-webgpu.ts hashes it: the attention's dropout costs no dispatch.
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

export const FUSED_ATTENTION_SOFTMAX = 'FusedAttentionSoftmax';
export const FUSED_ATTENTION_SOFTMAX_GRAD = 'FusedAttentionSoftmaxGrad';

/** torch.finfo(torch.float32).min, which transformers puts on masked attention scores. */
export const FLOAT32_MIN = -3.4028234663852886e38;

const WORKGROUP = 64;

const REDUCE_WGSL = workgroupReduceWgsl(WORKGROUP);

// Row r of scores [B, H, Tq, T] belongs to sequence r / (H·Tq); key j of that sequence is masked where
// mask[b·T + j] is 0. The masked score is scale·s + float32 min, as the composed ops add it.
/** Dropout on the weights: the threshold and scale of its rate; the key is a binding. */
interface WeightDropout {
  threshold: number;
  scale: number;
}

const keepWgsl = (dropout: WeightDropout, binding: number) => /* wgsl */ `${DROPOUT_HASH_WGSL}
@group(0) @binding(${binding}) var<storage, read> key: array<i32>;
fn keep(i: u32) -> f32 {
  return select(0.0, ${dropout.scale.toExponential()}, dropoutBits(i, bitcast<u32>(key[0])) >= ${dropout.threshold}u);
}`;

const forwardWgsl = (
  keys: number,
  rowsPerSequence: number,
  scale: string,
  maskType: 'i32' | 'f32',
  dropout: WeightDropout | null,
) => /* wgsl */ `${REDUCE_WGSL}
@group(0) @binding(0) var<storage, read> scores: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<${maskType}>;
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
${
  dropout
    ? `@group(0) @binding(3) var<storage, read_write> dropped: array<f32>;
${keepWgsl(dropout, 4)}`
    : ''
}
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
    let w = exp(score(start, maskStart, j) - rowMax) * inverseSum;
    weights[start + j] = w;
    ${dropout ? 'dropped[start + j] = w * keep(start + j);' : ''}
  }
}
`;

// With dropout, dweights holds the gradient of the dropped-out weights: dw() puts it through the mask.
const gradWgsl = (keys: number, scale: string, dropout: WeightDropout | null) => /* wgsl */ `${REDUCE_WGSL}
@group(0) @binding(0) var<storage, read> dweights: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> dscores: array<f32>;
${
  dropout
    ? `${keepWgsl(dropout, 3)}
fn dw(i: u32) -> f32 { return dweights[i] * keep(i); }`
    : 'fn dw(i: u32) -> f32 { return dweights[i]; }'
}
const T = ${keys}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let row = wid.y * groups.x + wid.x;
  if (row >= arrayLength(&weights) / T) { return; }
  let start = row * T;
  var dot = 0.0;
  for (var j = lid.x; j < T; j += ${WORKGROUP}u) { dot += dw(start + j) * weights[start + j]; }
  let total = workgroupSum(lid.x, dot);
  for (var j = lid.x; j < T; j += ${WORKGROUP}u) {
    dscores[start + j] = ${scale} * weights[start + j] * (dw(start + j) - total);
  }
}
`;

/** The dropout a kernel was asked for: none, or a key (int32 [1]) with a rate in (0, 1). */
function weightDropout(
  kernel: string,
  key: tf.TensorInfo | undefined,
  rate: number | undefined,
): WeightDropout | null {
  if (!key) return null;
  checkDtype(kernel, 'int32', key);
  if (rate === undefined || !(rate > 0 && rate < 1))
    throw new Error(`${kernel}: a dropout rate in (0, 1) is needed`);
  return { threshold: dropThreshold(rate), scale: 1 / (1 - rate) };
}

/** A WGSL f32 literal: an integral scale written as `1` would type the constant as an integer. */
const floatLiteral = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(x));

tf.registerKernel({
  kernelName: FUSED_ATTENTION_SOFTMAX,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { scores, mask, key } = inputs as {
      scores: tf.TensorInfo;
      mask: tf.TensorInfo;
      key?: tf.TensorInfo;
    };
    const { scale, rate } = attrs as unknown as { scale: number; rate?: number };
    const dropout = weightDropout(FUSED_ATTENTION_SOFTMAX, key, rate);
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
    const dropped = dropout ? kernelOutput(gpu, [batch, heads, queries, keys]) : null;
    const compute = kernelPipeline(
      gpu.device,
      `attention softmax ${keys} ${heads * queries} ${scale} ${maskType}${dropout ? ` dropout ${rate}` : ''}`,
      () => forwardWgsl(keys, heads * queries, floatLiteral(scale), maskType, dropout),
    );
    const bound = dropped && key ? [scores, mask, weights, dropped, key] : [scores, mask, weights];
    recordDispatch(gpu, compute, bound, batch * heads * queries);
    return dropped ? [weights, dropped] : weights;
  },
});

tf.registerKernel({
  kernelName: FUSED_ATTENTION_SOFTMAX_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, weights, key } = inputs as { dy: tf.TensorInfo; weights: tf.TensorInfo; key?: tf.TensorInfo };
    const { scale, rate } = attrs as unknown as { scale: number; rate?: number };
    checkDtype(FUSED_ATTENTION_SOFTMAX_GRAD, 'float32', dy, weights);
    const dropout = weightDropout(FUSED_ATTENTION_SOFTMAX_GRAD, key, rate);
    const gpu = backend as unknown as WebGpuBackend;
    const keys = weights.shape[weights.shape.length - 1]!;
    const rows = weights.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const dscores = kernelOutput(gpu, weights.shape);
    const compute = kernelPipeline(
      gpu.device,
      `attention softmax grad ${keys} ${scale}${dropout ? ` dropout ${rate}` : ''}`,
      () => gradWgsl(keys, floatLiteral(scale), dropout),
    );
    recordDispatch(gpu, compute, key && dropout ? [dy, weights, dscores, key] : [dy, weights, dscores], rows);
    return dscores;
  },
});

/** Whether the fused kernels run on the current backend. */
export function fusedAttentionSoftmaxAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_ATTENTION_SOFTMAX, 'webgpu') !== undefined;
}
