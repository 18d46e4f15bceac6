// AdamW on tfjs-backend-webgpu in three dispatches per step, whatever the number of parameter
// tensors: the optimizer keeps the parameters and both moments in flat buffers of its own, the
// gradients are copied into a flat buffer beside them (buffer copies, not dispatches), and
//   1. sumOfSquares   each of up to 1,024 workgroups sums g² over a strided share of the gradients;
//   2. clipFactor     one workgroup adds the partial sums: the global norm and the clip multiplier;
//   3. update         one thread per element, in the float32 order of the wasm kernel
//                     (wasm-kernel.ts), with each parameter's decay and step size from a table.
// New parameter values are copied out into fresh tensors that the variables are assigned, so a
// clone sharing a parameter's old data never changes. Every parameter is padded to a whole
// workgroup (256 floats), so a workgroup updates one parameter; the padding stays zero.
import * as tf from '@tensorflow/tfjs-core';
import { MAX_GRID, type WebGpuBackend, workgroupReduceWgsl } from '../../backend/index.ts';
import { checkMomentState, gradientsInOrder, type AdamWEngine, type StepScalars } from './hyperparameters.ts';
import { scalarsFor } from './host.ts';

const WORKGROUP = 256;
const REDUCE_WGSL = workgroupReduceWgsl(WORKGROUP);
const MAX_PARTIALS = 1024;

// GPUBufferUsage and GPUMapMode, the same numbers on every WebGPU implementation.
const MAP_READ = 0x0001;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const UNIFORM = 0x0040;
const STORAGE = 0x0080;

function webGpuBackend(): WebGpuBackend | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const backend = tf.backend() as unknown as Partial<WebGpuBackend>;
  return backend.device &&
    typeof backend.uploadToGPU === 'function' &&
    typeof backend.submitQueue === 'function'
    ? (backend as WebGpuBackend)
    : null;
}

// The per-step settings, as a uniform: eight floats, then four integers.
const HYPER_WGSL = /* wgsl */ `
struct Hyper {
  beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  biasCorrection2Sqrt: f32, eps: f32, maxGradNorm: f32, clips: f32,
  size: u32, chunks: u32, gridX: u32, partials: u32,
}
@group(0) @binding(0) var<uniform> hyper: Hyper;
`;
const HYPER_BYTES = 48;

const SUM_OF_SQUARES_WGSL = /* wgsl */ `${HYPER_WGSL}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
${REDUCE_WGSL}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) groups: vec3<u32>) {
  var sum = 0.0;
  for (var i = wid.x * ${WORKGROUP}u + lid.x; i < hyper.size; i += groups.x * ${WORKGROUP}u) {
    let x = g[i];
    sum += x * x;
  }
  // Pairwise halving: the rounding error grows with log₂ of the workgroup, not its size.
  let total = workgroupSum(lid.x, sum);
  if (lid.x == 0u) { partials[wid.x] = total; }
}
`;

const CLIP_FACTOR_WGSL = /* wgsl */ `${HYPER_WGSL}
@group(0) @binding(1) var<storage, read> partials: array<f32>;
// [global norm before clipping, the multiplier clipping applies to every gradient]
@group(0) @binding(2) var<storage, read_write> normAndClip: array<f32>;
${REDUCE_WGSL}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  var sum = 0.0;
  for (var i = lid.x; i < hyper.partials; i += ${WORKGROUP}u) { sum += partials[i]; }
  let total = workgroupSum(lid.x, sum);
  if (lid.x == 0u) {
    let norm = sqrt(total);
    normAndClip[0] = norm;
    // As torch.nn.utils.clip_grad_norm_: max_norm / (norm + 1e-6), never above 1.
    normAndClip[1] = select(1.0, min(1.0, hyper.maxGradNorm / (norm + 1e-6)), hyper.clips != 0.0);
  }
}
`;

const UPDATE_WGSL = /* wgsl */ `${HYPER_WGSL}
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
// Which parameter each chunk of ${WORKGROUP} floats belongs to.
@group(0) @binding(5) var<storage, read> chunkParameter: array<u32>;
// Per parameter: [1 − lr·weight decay, lr / (1 − β₁ᵗ)].
@group(0) @binding(6) var<storage, read> decayAndStepSize: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read> normAndClip: array<f32>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let chunk = wid.y * hyper.gridX + wid.x;
  if (chunk >= hyper.chunks) { return; }
  let scalars = decayAndStepSize[chunkParameter[chunk]];
  let i = chunk * ${WORKGROUP}u + lid.x;
  let grad = g[i] * normAndClip[1];
  let mNew = m[i] * hyper.beta1 + grad * hyper.oneMinusBeta1;
  let vNew = v[i] * hyper.beta2 + (grad * grad) * hyper.oneMinusBeta2;
  let denom = sqrt(vNew) / hyper.biasCorrection2Sqrt + hyper.eps;
  m[i] = mNew;
  v[i] = vNew;
  p[i] = p[i] * scalars.x - (mNew / denom) * scalars.y;
}
`;

interface Pipelines {
  sumOfSquares: GPUComputePipeline;
  clipFactor: GPUComputePipeline;
  update: GPUComputePipeline;
}

const pipelinesByDevice = new WeakMap<GPUDevice, Pipelines>();

function pipelinesFor(device: GPUDevice): Pipelines {
  let pipelines = pipelinesByDevice.get(device);
  if (!pipelines) {
    const make = (code: string, label: string) =>
      device.createComputePipeline({
        label,
        layout: 'auto',
        compute: { module: device.createShaderModule({ code, label }), entryPoint: 'main' },
      });
    pipelines = {
      sumOfSquares: make(SUM_OF_SQUARES_WGSL, 'adamw sum of squares'),
      clipFactor: make(CLIP_FACTOR_WGSL, 'adamw clip factor'),
      update: make(UPDATE_WGSL, 'adamw update'),
    };
    pipelinesByDevice.set(device, pipelines);
  }
  return pipelines;
}

interface Slot {
  name: string;
  shape: number[];
  size: number;
  /** Float offset of this parameter in each flat buffer (a multiple of the workgroup). */
  at: number;
  /** The tensor data the parameter held right after the last update (its values are then in p). */
  written: tf.DataId | null;
}

/** The fused update, or null off the webgpu backend or when the parameters outgrow one buffer. */
export function createWebGpuAdamW(
  params: Record<string, tf.Variable>,
  names: readonly string[],
): AdamWEngine | null {
  const backend = webGpuBackend();
  if (!backend) return null;
  let floats = 0;
  const slots = names.map((name): Slot => {
    const variable = params[name] as tf.Variable;
    const slot = { name, shape: variable.shape, size: variable.size, at: floats, written: null };
    floats += Math.max(1, Math.ceil(variable.size / WORKGROUP)) * WORKGROUP;
    return slot;
  });
  const { limits } = backend.device;
  const bytes = 4 * Math.max(floats, WORKGROUP);
  if (bytes > limits.maxStorageBufferBindingSize || bytes > limits.maxBufferSize) return null;
  return new WebGpuAdamW(params, slots, floats, backend);
}

class WebGpuAdamW implements AdamWEngine {
  private readonly device: GPUDevice;
  private readonly pipelines: Pipelines;
  private readonly chunks: number;
  private readonly partials: number;
  private readonly buffers: {
    p: GPUBuffer;
    g: GPUBuffer;
    m: GPUBuffer;
    v: GPUBuffer;
    chunkParameter: GPUBuffer;
    decayAndStepSize: GPUBuffer;
    partials: GPUBuffer;
    normAndClip: GPUBuffer;
    hyper: GPUBuffer;
  };
  private disposed = false;

  constructor(
    private readonly params: Record<string, tf.Variable>,
    private readonly slots: Slot[],
    private readonly floats: number,
    private readonly backend: WebGpuBackend,
  ) {
    this.device = backend.device;
    this.pipelines = pipelinesFor(this.device);
    this.chunks = floats / WORKGROUP;
    this.partials = Math.max(1, Math.min(MAX_PARTIALS, this.chunks));
    const flat = () =>
      this.device.createBuffer({
        size: 4 * Math.max(floats, WORKGROUP),
        usage: STORAGE | COPY_SRC | COPY_DST,
      });
    const chunkParameter = new Uint32Array(Math.max(1, this.chunks));
    slots.forEach((slot, i) =>
      chunkParameter.fill(
        i,
        slot.at / WORKGROUP,
        slot.at / WORKGROUP + Math.max(1, Math.ceil(slot.size / WORKGROUP)),
      ),
    );
    this.buffers = {
      p: flat(),
      g: flat(),
      m: flat(),
      v: flat(),
      chunkParameter: this.device.createBuffer({
        size: chunkParameter.byteLength,
        usage: STORAGE | COPY_DST,
      }),
      decayAndStepSize: this.device.createBuffer({
        size: 8 * Math.max(1, slots.length),
        usage: STORAGE | COPY_DST,
      }),
      partials: this.device.createBuffer({ size: 4 * this.partials, usage: STORAGE }),
      normAndClip: this.device.createBuffer({ size: 8, usage: STORAGE | COPY_SRC }),
      hyper: this.device.createBuffer({ size: HYPER_BYTES, usage: UNIFORM | COPY_DST }),
    };
    this.device.queue.writeBuffer(this.buffers.chunkParameter, 0, chunkParameter);
  }

  /** tfjs' open command encoder, outside any compute pass: this update is recorded in its order. */
  private encoder(): GPUCommandEncoder {
    this.backend.ensureCommandEncoderReady();
    this.backend.endComputePassEncoder();
    return this.backend.commandEncoder as GPUCommandEncoder;
  }

  /** The GPU buffer of a tensor (uploading values tfjs still holds on the host). */
  private bufferOf(tensor: tf.Tensor): GPUBuffer {
    if (tensor.dtype !== 'float32') throw new Error(`AdamW needs float32 tensors, got ${tensor.dtype}`);
    this.backend.uploadToGPU(tensor.dataId);
    const resource = this.backend.tensorMap.get(tensor.dataId)?.resource;
    if (!(resource instanceof GPUBuffer)) throw new Error('a tensor on the webgpu backend has no GPU buffer');
    // Released buffers wait for the queue to be submitted, as tfjs' own kernels' inputs do.
    this.backend.commandQueueOwnedIds?.add(tensor.dataId);
    return resource;
  }

  /** A new float32 tensor holding `size` floats copied from `source` at float offset `at`. */
  private tensorFrom(source: GPUBuffer, at: number, shape: number[]): tf.Tensor {
    const dataId = this.backend.write(null, shape, 'float32');
    this.backend.uploadToGPU(dataId);
    const target = this.backend.tensorMap.get(dataId)?.resource as GPUBuffer;
    const size = shape.reduce((a, b) => a * b, 1);
    this.encoder().copyBufferToBuffer(source, 4 * at, target, 0, 4 * size);
    return tf.engine().makeTensorFromDataId(dataId, shape, 'float32');
  }

  step(grads: Record<string, tf.Tensor>, s: StepScalars): tf.Scalar {
    if (this.disposed) throw new Error('the optimizer was disposed');
    const { device, buffers, slots } = this;
    const gradList = gradientsInOrder(
      slots.map((slot) => slot.name),
      grads,
    );

    const hyper = new ArrayBuffer(HYPER_BYTES);
    new Float32Array(hyper, 0, 8).set([
      s.hyper.beta1,
      1 - s.hyper.beta1,
      s.hyper.beta2,
      1 - s.hyper.beta2,
      s.biasCorrection2Sqrt,
      s.hyper.eps,
      s.hyper.maxGradNorm,
      s.clips ? 1 : 0,
    ]);
    const gridX = Math.min(this.chunks, MAX_GRID);
    new Uint32Array(hyper, 32, 4).set([this.floats, this.chunks, gridX, this.partials]);
    const decayAndStepSize = new Float32Array(2 * slots.length);
    slots.forEach((slot, i) => {
      const scalars = scalarsFor(slot.name, 1, s);
      decayAndStepSize[2 * i] = scalars.decay;
      decayAndStepSize[2 * i + 1] = scalars.stepSize;
    });
    // Written before the queued work runs: only this optimizer's dispatches read these buffers,
    // and the previous step's were submitted when it ended.
    device.queue.writeBuffer(buffers.hyper, 0, hyper);
    device.queue.writeBuffer(buffers.decayAndStepSize, 0, decayAndStepSize);

    const encoder = this.encoder();
    slots.forEach((slot, i) => {
      const p = this.params[slot.name] as tf.Variable;
      // The parameter changed outside this optimizer (a restored checkpoint, a loaded model).
      if (p.dataId !== slot.written)
        encoder.copyBufferToBuffer(this.bufferOf(p), 0, buffers.p, 4 * slot.at, 4 * slot.size);
      const g = gradList[i] as tf.Tensor;
      if (g.size !== slot.size)
        throw new Error(`the gradient of ${slot.name} has ${g.size} values, not ${slot.size}`);
      encoder.copyBufferToBuffer(this.bufferOf(g), 0, buffers.g, 4 * slot.at, 4 * slot.size);
    });

    const bind = (pipeline: GPUComputePipeline, resources: GPUBuffer[]) =>
      device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: resources.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
    const pass = encoder.beginComputePass();
    pass.setPipeline(this.pipelines.sumOfSquares);
    pass.setBindGroup(0, bind(this.pipelines.sumOfSquares, [buffers.hyper, buffers.g, buffers.partials]));
    pass.dispatchWorkgroups(this.partials);
    pass.setPipeline(this.pipelines.clipFactor);
    pass.setBindGroup(
      0,
      bind(this.pipelines.clipFactor, [buffers.hyper, buffers.partials, buffers.normAndClip]),
    );
    pass.dispatchWorkgroups(1);
    pass.setPipeline(this.pipelines.update);
    pass.setBindGroup(
      0,
      bind(this.pipelines.update, [
        buffers.hyper,
        buffers.p,
        buffers.g,
        buffers.m,
        buffers.v,
        buffers.chunkParameter,
        buffers.decayAndStepSize,
        buffers.normAndClip,
      ]),
    );
    pass.dispatchWorkgroups(gridX, Math.ceil(this.chunks / gridX));
    pass.end();

    for (const slot of slots) {
      const p = this.params[slot.name] as tf.Variable;
      const next = this.tensorFrom(buffers.p, slot.at, slot.shape);
      p.assign(next);
      next.dispose();
      slot.written = p.dataId;
    }
    const norm = this.tensorFrom(buffers.normAndClip, 0, []) as tf.Scalar;
    // The next step's uniforms may be written only once this step's work is on the queue.
    this.backend.submitQueue();
    return norm;
  }

  /** `count` floats of each buffer, read back (waits for the queued work). */
  private async read(sources: GPUBuffer[], count: number): Promise<Float32Array[]> {
    if (this.backend.commandEncoder) this.backend.submitQueue();
    const encoder = this.device.createCommandEncoder();
    const staging = sources.map((source) => {
      const buffer = this.device.createBuffer({ size: 4 * count, usage: MAP_READ | COPY_DST });
      encoder.copyBufferToBuffer(source, 0, buffer, 0, 4 * count);
      return buffer;
    });
    this.device.queue.submit([encoder.finish()]);
    return Promise.all(
      staging.map(async (buffer) => {
        await buffer.mapAsync(MAP_READ);
        const values = new Float32Array(buffer.getMappedRange().slice(0));
        buffer.destroy();
        return values;
      }),
    );
  }

  async getState(): Promise<{ m: Record<string, Float32Array>; v: Record<string, Float32Array> }> {
    if (this.disposed) throw new Error('the optimizer was disposed');
    const [mFlat, vFlat] = (await this.read([this.buffers.m, this.buffers.v], Math.max(this.floats, 1))) as [
      Float32Array,
      Float32Array,
    ];
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const slot of this.slots) {
      m[slot.name] = mFlat.slice(slot.at, slot.at + slot.size);
      v[slot.name] = vFlat.slice(slot.at, slot.at + slot.size);
    }
    return { m, v };
  }

  setState(mState: Record<string, Float32Array>, vState: Record<string, Float32Array>): void {
    checkMomentState(this.slots, mState, vState);
    // Queued steps run before the new moments land.
    if (this.backend.commandEncoder) this.backend.submitQueue();
    for (const slot of this.slots) {
      this.device.queue.writeBuffer(this.buffers.m, 4 * slot.at, mState[slot.name] as Float32Array);
      this.device.queue.writeBuffer(this.buffers.v, 4 * slot.at, vState[slot.name] as Float32Array);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Work already submitted still completes: WebGPU defers destruction until it has run.
    for (const buffer of Object.values(this.buffers)) buffer.destroy();
  }
}
