// Backends whose tensors live in host memory. There, reading a tensor or making one from an array
// is a copy, not a wait for a device, while many small kernels each cost a full op dispatch; the
// training loop and the optimizer choose their data paths by it.
import * as tf from '@tensorflow/tfjs-core';

const HOST_BACKENDS = new Set(['cpu', 'wasm']);

export function isHostBackend(): boolean {
  return HOST_BACKENDS.has(tf.getBackend());
}
