// What our own WebGPU kernels (fused LayerNorm, fused AdamW) use of tfjs-backend-webgpu's
// WebGPUBackend: public members of that class, which its typings do not export.
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
}

/** The most workgroups along one dimension WebGPU guarantees. */
export const MAX_GRID = 65535;
