// The attention's two products over heads read and written in the projections' own layout, as
// fused kernels for tfjs-backend-webgpu. Composed, q, k and v [N, D] = [B, T, H, Dh] are each
// transposed to [B, H, T, Dh] before q·kᵀ and w·v, and the context transposed back, and every
// one of those transposes comes back in the backward pass: 4 + 4 dispatches per attention. Here
// the products index heads inside the [N, D] rows directly (N = B·T tokens, D = H·Dh):
//   HeadScores    s[b, h, i, j] = Σ_d a[b, i, h, d] · c[b, j, h, d]   ([N, D], [N, D] -> [B, H, T, T])
//                 (q·kᵀ forward; dw = dcontext·vᵀ backward)
//   HeadContext   o[b, i, h, d] = Σ_j w[b, h, i, j] · v[b, j, h, d]   ([B, H, T, T], [N, D] -> [N, D])
//                 (w·v forward; dq = ds·k backward)
//   HeadContextT  o[b, j, h, d] = Σ_i w[b, h, i, j] · x[b, i, h, d]   ([B, H, T, T], [N, D] -> [N, D])
//                 (dv = wᵀ·dcontext and dk = dsᵀ·q backward)
// One thread per output element, summing in a fixed order. Registered on import for the webgpu
// backend only; other backends keep the transposes and tfjs' batched products.
import * as tf from '@tensorflow/tfjs-core';
import {
  checkDtype,
  kernelOutput,
  kernelPipeline,
  recordDispatch,
  type WebGpuBackend,
} from '../backend/index.ts';

export const HEAD_SCORES = 'HeadScores';
export const HEAD_CONTEXT = 'HeadContext';
export const HEAD_CONTEXT_T = 'HeadContextT';

const WORKGROUP = 256;

interface HeadLayout {
  batch: number;
  seqLength: number;
  heads: number;
  headDim: number;
}

const header = ({ seqLength, heads, headDim }: HeadLayout) => /* wgsl */ `
const T = ${seqLength}u;
const H = ${heads}u;
const DH = ${headDim}u;
const D = ${heads * headDim}u;
`;

const index = /* wgsl */ `
  let o = (wid.y * groups.x + wid.x) * ${WORKGROUP}u + lid.x;
  if (o >= arrayLength(&out)) { return; }
`;

const MAIN = /* wgsl */ `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>)`;

const scoresWgsl = (layout: HeadLayout) => /* wgsl */ `${header(layout)}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${MAIN} {${index}
  let j = o % T;
  let i = (o / T) % T;
  let h = (o / (T * T)) % H;
  let b = o / (T * T * H);
  let rowA = (b * T + i) * D + h * DH;
  let rowC = (b * T + j) * D + h * DH;
  var sum = 0.0;
  for (var d = 0u; d < DH; d++) { sum += a[rowA + d] * c[rowC + d]; }
  out[o] = sum;
}
`;

// o runs over [B, T, H, Dh]: token (b, i), head h, dimension d; w's row (b, h, i) is summed over j.
const contextWgsl = (layout: HeadLayout) => /* wgsl */ `${header(layout)}
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${MAIN} {${index}
  let d = o % DH;
  let h = (o / DH) % H;
  let i = (o / D) % T;
  let b = o / (D * T);
  let rowW = ((b * H + h) * T + i) * T;
  let column = b * T * D + h * DH + d;
  var sum = 0.0;
  for (var j = 0u; j < T; j++) { sum += w[rowW + j] * v[column + j * D]; }
  out[o] = sum;
}
`;

// o runs over [B, T, H, Dh]: token (b, j); w's column j of head (b, h) is summed over i.
const contextTWgsl = (layout: HeadLayout) => /* wgsl */ `${header(layout)}
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${MAIN} {${index}
  let d = o % DH;
  let h = (o / DH) % H;
  let j = (o / D) % T;
  let b = o / (D * T);
  let columnW = (b * H + h) * T * T + j;
  let column = b * T * D + h * DH + d;
  var sum = 0.0;
  for (var i = 0u; i < T; i++) { sum += w[columnW + i * T] * x[column + i * D]; }
  out[o] = sum;
}
`;

function layoutOf(kernel: string, rows: tf.TensorInfo, attrs: unknown): HeadLayout {
  const { batch, heads } = attrs as { batch: number; heads: number };
  const [tokens, dim] = rows.shape as [number, number];
  if (rows.shape.length !== 2 || tokens % batch !== 0 || dim % heads !== 0) {
    throw new Error(
      `${kernel}: rows [${rows.shape.join(', ')}] are not ${batch} sequences of ${heads} heads`,
    );
  }
  return { batch, seqLength: tokens / batch, heads, headDim: dim / heads };
}

const layoutKey = (l: HeadLayout) => `${l.seqLength} ${l.heads} ${l.headDim}`;

tf.registerKernel({
  kernelName: HEAD_SCORES,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { a, c } = inputs as { a: tf.TensorInfo; c: tf.TensorInfo };
    checkDtype(HEAD_SCORES, 'float32', a, c);
    const layout = layoutOf(HEAD_SCORES, a, attrs);
    const gpu = backend as unknown as WebGpuBackend;
    const { batch, heads, seqLength } = layout;
    const out = kernelOutput(gpu, [batch, heads, seqLength, seqLength]);
    const compute = kernelPipeline(gpu.device, `head scores ${layoutKey(layout)}`, () => scoresWgsl(layout));
    recordDispatch(gpu, compute, [a, c, out], Math.ceil((batch * heads * seqLength * seqLength) / WORKGROUP));
    return out;
  },
});

for (const [kernelName, code, label] of [
  [HEAD_CONTEXT, contextWgsl, 'head context'],
  [HEAD_CONTEXT_T, contextTWgsl, 'head context transposed'],
] as const) {
  tf.registerKernel({
    kernelName,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { w, x } = inputs as { w: tf.TensorInfo; x: tf.TensorInfo };
      checkDtype(kernelName, 'float32', w, x);
      const layout = layoutOf(kernelName, x, attrs);
      const gpu = backend as unknown as WebGpuBackend;
      const { batch, heads, seqLength } = layout;
      if (w.shape.join() !== [batch, heads, seqLength, seqLength].join()) {
        throw new Error(
          `${kernelName}: weights [${w.shape.join(', ')}] do not match rows [${x.shape.join(', ')}]`,
        );
      }
      const out = kernelOutput(gpu, [...x.shape]);
      const compute = kernelPipeline(gpu.device, `${label} ${layoutKey(layout)}`, () => code(layout));
      recordDispatch(gpu, compute, [w, x, out], Math.ceil((x.shape[0]! * x.shape[1]!) / WORKGROUP));
      return out;
    },
  });
}

/** Whether the fused kernels run on the current backend. */
export function headProductsAvailable(): boolean {
  return tf.getBackend() === 'webgpu' && tf.getKernel(HEAD_SCORES, 'webgpu') !== undefined;
}
