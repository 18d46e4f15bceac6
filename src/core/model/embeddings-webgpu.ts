// Word + position embeddings as fused kernels for tfjs-backend-webgpu, mirroring transformers'
// `word_embeddings(input_ids) + position_embeddings(position_ids)` with positions 0..T−1 and the
// composed ops of encoder-ops.ts's wordAndPositionEmbeddings. Composed, the forward is a Gather,
// a Slice and an Add, and the gradient a ScatterND over the vocabulary with its reshapes plus a
// Sum over the batch and a Pad for the positions; here they are 1 and 2:
//   FusedEmbeddings      one thread per output element: words[ids[b, t]] + positions[t];
//   FusedEmbeddingsGrad  first, zeroes the word gradient [V, D] and, one thread per token, links
//                        each token to the next token of the same id and marks the first of
//                        each id; then one thread per (token, column) walks each first token's
//                        chain in token order and writes that id's row of the word gradient
//                        (no atomics, the same sum on every run), and one thread per (position,
//                        column) sums the batch's rows into the position gradient [P, D].
// Ids outside [0, V) read zeros and add nothing. Registered on import for the webgpu backend only;
// other backends keep the composed ops.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkDtype,
  kernelOutput,
  kernelPipeline,
  recordDispatch,
  type WebGpuBackend,
} from '../backend/index.ts';

export const FUSED_EMBEDDINGS = 'FusedEmbeddings';
export const FUSED_EMBEDDINGS_GRAD = 'FusedEmbeddingsGrad';

const WORKGROUP = 256;

const INDEX_WGSL = /* wgsl */ `
fn globalIndex(lid: vec3<u32>, wid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return (wid.y * groups.x + wid.x) * ${WORKGROUP}u + lid.x;
}
`;

const forwardWgsl = (dim: number, seqLength: number) => /* wgsl */ `${INDEX_WGSL}
@group(0) @binding(0) var<storage, read> words: array<f32>;
@group(0) @binding(1) var<storage, read> positions: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> embeddings: array<f32>;
const D = ${dim}u;
const T = ${seqLength}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let i = globalIndex(lid, wid, groups);
  if (i >= arrayLength(&embeddings)) { return; }
  let token = i / D;
  let j = i % D;
  let id = ids[token];
  var word = 0.0;
  if (id >= 0 && u32(id) < arrayLength(&words) / D) { word = words[u32(id) * D + j]; }
  embeddings[i] = word + positions[(token % T) * D + j];
}
`;

// links[2n] = 1 when token n is the first of its id, links[2n + 1] = the next token of that id
// (N when none).
const linkWgsl = (dim: number) => /* wgsl */ `${INDEX_WGSL}
@group(0) @binding(0) var<storage, read> ids: array<i32>;
@group(0) @binding(1) var<storage, read_write> dwords: array<f32>;
@group(0) @binding(2) var<storage, read_write> links: array<u32>;
const D = ${dim}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let i = globalIndex(lid, wid, groups);
  let table = arrayLength(&dwords);
  if (i < table) {
    dwords[i] = 0.0;
    return;
  }
  let n = i - table;
  let tokens = arrayLength(&ids);
  if (n >= tokens) { return; }
  let id = ids[n];
  var first = 1u;
  for (var m = 0u; m < n; m++) {
    if (ids[m] == id) {
      first = 0u;
      break;
    }
  }
  var next = tokens;
  for (var m = n + 1u; m < tokens; m++) {
    if (ids[m] == id) {
      next = m;
      break;
    }
  }
  links[2u * n] = first;
  links[2u * n + 1u] = next;
}
`;

const scatterWgsl = (dim: number, seqLength: number) => /* wgsl */ `${INDEX_WGSL}
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> links: array<u32>;
@group(0) @binding(3) var<storage, read_write> dwords: array<f32>;
@group(0) @binding(4) var<storage, read_write> dpositions: array<f32>;
const D = ${dim}u;
const T = ${seqLength}u;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  let i = globalIndex(lid, wid, groups);
  let tokens = arrayLength(&ids);
  let j = i % D;
  if (i < tokens * D) {
    let n = i / D;
    let id = ids[n];
    if (links[2u * n] == 0u || id < 0 || u32(id) >= arrayLength(&dwords) / D) { return; }
    var sum = dy[i];
    var m = links[2u * n + 1u];
    while (m < tokens) {
      sum += dy[m * D + j];
      m = links[2u * m + 1u];
    }
    dwords[u32(id) * D + j] = sum;
    return;
  }
  let k = i - tokens * D;
  if (k >= arrayLength(&dpositions)) { return; }
  let position = k / D;
  var sum = 0.0;
  if (position < T) {
    for (var token = position; token < tokens; token += T) { sum += dy[token * D + j]; }
  }
  dpositions[k] = sum;
}
`;

tf.registerKernel({
  kernelName: FUSED_EMBEDDINGS,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { words, positions, ids } = inputs as {
      words: tf.TensorInfo;
      positions: tf.TensorInfo;
      ids: tf.TensorInfo;
    };
    checkDtype(FUSED_EMBEDDINGS, 'float32', words, positions);
    checkDtype(FUSED_EMBEDDINGS, 'int32', ids);
    const gpu = backend as unknown as WebGpuBackend;
    const [batch, seqLength] = ids.shape as [number, number];
    const dim = words.shape[1]!;
    const embeddings = kernelOutput(gpu, [batch, seqLength, dim]);
    const compute = kernelPipeline(gpu.device, `embeddings ${dim} ${seqLength}`, () =>
      forwardWgsl(dim, seqLength),
    );
    recordDispatch(
      gpu,
      compute,
      [words, positions, ids, embeddings],
      Math.ceil((batch * seqLength * dim) / WORKGROUP),
    );
    return embeddings;
  },
});

tf.registerKernel({
  kernelName: FUSED_EMBEDDINGS_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, ids } = inputs as { dy: tf.TensorInfo; ids: tf.TensorInfo };
    const { vocabSize, maxPositions } = attrs as unknown as { vocabSize: number; maxPositions: number };
    checkDtype(FUSED_EMBEDDINGS_GRAD, 'float32', dy);
    checkDtype(FUSED_EMBEDDINGS_GRAD, 'int32', ids);
    const gpu = backend as unknown as WebGpuBackend;
    const [batch, seqLength] = ids.shape as [number, number];
    const dim = dy.shape[dy.shape.length - 1]!;
    const tokens = batch * seqLength;
    const dwords = kernelOutput(gpu, [vocabSize, dim]);
    const dpositions = kernelOutput(gpu, [maxPositions, dim]);
    const links = kernelOutput(gpu, [tokens, 2], 'int32');
    recordDispatch(
      gpu,
      kernelPipeline(gpu.device, `embeddings grad links ${dim}`, () => linkWgsl(dim)),
      [ids, dwords, links],
      Math.ceil((vocabSize * dim + tokens) / WORKGROUP),
    );
    recordDispatch(
      gpu,
      kernelPipeline(gpu.device, `embeddings grad ${dim} ${seqLength}`, () => scatterWgsl(dim, seqLength)),
      [dy, ids, links, dwords, dpositions],
      Math.ceil(((tokens + maxPositions) * dim) / WORKGROUP),
    );
    gpu.disposeData(links.dataId);
    return [dwords, dpositions];
  },
});

/** Whether the fused kernels run on the current backend. */
export function fusedEmbeddingsAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(FUSED_EMBEDDINGS, 'webgpu') !== undefined;
}
