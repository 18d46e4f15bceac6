// What our own WebGPU kernels (fused LayerNorm, bias + GELU, attention softmax, embeddings, AdamW)
// use of tfjs-backend-webgpu's WebGPUBackend: public members of that class, which its typings do
// not export; and the few steps every fused kernel takes to record one dispatch on tfjs' command
// encoder, in its order, so tfjs' own kernels before and after see its results.
import type * as tf from '@tensorflow/tfjs-core';

export interface WebGpuBackend {
  device: GPUDevice;
  tensorMap: { get(dataId: tf.DataId): { resource?: unknown } | undefined };
  commandEncoder: GPUCommandEncoder | null;
  commandQueueOwnedIds?: WeakSet<tf.DataId>;
  uploadToGPU(dataId: tf.DataId): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  write(values: null, shape: number[], dtype: tf.DataType): tf.DataId;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** The most workgroups along one dimension WebGPU guarantees. */
export const MAX_GRID = 65535;

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** The compute pipeline of `code` (entry point `main`), made once per device and key. */
export function kernelPipeline(device: GPUDevice, key: string, code: () => string): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let made = cache.get(key);
  if (!made) {
    made = device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: code(), label: key }), entryPoint: 'main' },
    });
    cache.set(key, made);
  }
  return made;
}

const BYTES_PER_ELEMENT = 4; // float32, int32 and bool (stored as int32) alike

/** A tensor's GPU buffer, bound at exactly its size (the shaders read element counts from it). */
function binding(backend: WebGpuBackend, info: tf.TensorInfo): GPUBufferBinding {
  backend.uploadToGPU(info.dataId);
  const buffer = backend.tensorMap.get(info.dataId)?.resource;
  if (!(buffer instanceof GPUBuffer)) throw new Error('a tensor on the webgpu backend has no GPU buffer');
  // Released buffers wait for the queue to be submitted, as tfjs' own kernels' inputs do.
  backend.commandQueueOwnedIds?.add(info.dataId);
  const size =
    BYTES_PER_ELEMENT *
    Math.max(
      1,
      info.shape.reduce((a, b) => a * b, 1),
    );
  return { buffer, offset: 0, size };
}

/** A new tensor of `shape` on the backend, its buffer made when first bound. */
export function kernelOutput(
  backend: WebGpuBackend,
  shape: number[],
  dtype: 'float32' | 'int32' = 'float32',
): tf.TensorInfo {
  return { dataId: backend.write(null, shape, dtype), shape, dtype };
}

/**
 * Records one dispatch of `workgroups` workgroups (laid over x and y within MAX_GRID; shaders
 * take the index wid.y * groups.x + wid.x) with `tensors` bound 0, 1, ... in order.
 */
export function recordDispatch(
  backend: WebGpuBackend,
  compute: GPUComputePipeline,
  tensors: tf.TensorInfo[],
  workgroups: number,
): void {
  const entries = tensors.map((info, i) => ({ binding: i, resource: binding(backend, info) }));
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  const pass = (backend.commandEncoder as GPUCommandEncoder).beginComputePass();
  pass.setPipeline(compute);
  pass.setBindGroup(0, backend.device.createBindGroup({ layout: compute.getBindGroupLayout(0), entries }));
  const gridX = Math.max(1, Math.min(workgroups, MAX_GRID));
  pass.dispatchWorkgroups(gridX, Math.ceil(workgroups / gridX));
  pass.end();
}

/** Throws a one-line message when a fused kernel is given tensors of another dtype. */
export function checkDtype(kernel: string, dtype: tf.DataType, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) {
    if (info.dtype !== dtype) throw new Error(`${kernel} needs ${dtype} tensors, got ${info.dtype}`);
  }
}

/**
 * WGSL for a workgroup of `size` invocations (a power of two) whose every invocation calls the
 * functions with its local index: workgroupSum and workgroupMax return the reduction of `value`
 * over the workgroup to every invocation, in a fixed tree order (so repeated runs agree bit for
 * bit), and leave the `scratch` array free again on return.
 */
export function workgroupReduceWgsl(size: number): string {
  if (!Number.isInteger(Math.log2(size)))
    throw new Error(`a workgroup reduction needs a power of two, got ${size}`);
  const tree = (combine: string) => /* wgsl */ `
  scratch[lid] = value;
  workgroupBarrier();
  for (var half = ${size / 2}u; half > 0u; half >>= 1u) {
    if (lid < half) { ${combine} }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;`;
  return /* wgsl */ `
var<workgroup> scratch: array<f32, ${size}>;
fn workgroupSum(lid: u32, value: f32) -> f32 {${tree('scratch[lid] += scratch[lid + half];')}
}
fn workgroupMax(lid: u32, value: f32) -> f32 {${tree('scratch[lid] = max(scratch[lid], scratch[lid + half]);')}
}
`;
}
