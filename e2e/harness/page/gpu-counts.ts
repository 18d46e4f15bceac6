// What one training step asks of Chromium's WebGPU device, counted as the Node gpu-counts
// benchmark counts it on Dawn (src/bench/gpu-count-step.ts): dispatches, reads, allocations and
// bytes uploaded per forward, backward and AdamW step.
import * as tf from '@tensorflow/tfjs-core';
import { countTrainingStep, type CountingDevice } from '../../../src/bench/gpu-count-step.ts';
import type { CountOptions } from '../../../src/core/backend/gpu-counter.ts';
import { ensureGradients } from '../../../src/core/train/gradients.ts';
import type { GpuCountsReport, GpuCountsRequest } from '../types.ts';
import { useBackend } from './backends.ts';

export async function runGpuCounts(request: GpuCountsRequest): Promise<GpuCountsReport> {
  const backend = await useBackend('webgpu');
  await ensureGradients();
  const counted = await countTrainingStep({
    device: (tf.backend() as unknown as { device: CountingDevice }).device,
    backend: tf.backend() as unknown as CountOptions['backend'],
    bufferPrototype: GPUBuffer.prototype as unknown as CountOptions['bufferPrototype'],
    dims: request.dims,
    batch: request.batch,
    seqLength: request.seqLength,
  });
  return { backend, counted };
}
