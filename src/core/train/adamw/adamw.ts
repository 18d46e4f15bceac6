// AdamW exactly as torch.optim.AdamW (which the Hugging Face Trainer uses): decoupled weight
// decay p ← p·(1 − lr·wd), bias-corrected moments, eps added to √v̂; gradients first clipped to a
// global L2 norm as torch.nn.utils.clip_grad_norm_ does. Works on any set of named variables.
//
// The update runs in one of three engines, all the same float32 arithmetic:
//   host    one WebAssembly SIMD pass over host memory, on the cpu and wasm backends (host.ts);
//   webgpu  three dispatches over flat parameter, gradient and moment buffers (webgpu.ts);
//   device  tfjs ops on any backend's device (device.ts).
import * as tf from '@tensorflow/tfjs-core';
import { isHostBackend } from '../host-backend.ts';
import { DeviceAdamW } from './device.ts';
import { createHostAdamW } from './host.ts';
import { createWebGpuAdamW } from './webgpu.ts';
import {
  stepScalars,
  type AdamWEngine,
  type AdamWGroups,
  type AdamWHyperparameters,
} from './hyperparameters.ts';

export type AdamWEngineName = 'host' | 'webgpu' | 'device';

export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class AdamW {
  private readonly engine: AdamWEngine;
  private t = 0;
  /** Which engine runs the updates. */
  readonly engineName: AdamWEngineName;

  /**
   * `engine` (default: host on the cpu and wasm backends where WebAssembly SIMD exists, webgpu on
   * the webgpu backend when the parameters fit one buffer, device otherwise) chooses where the
   * update runs; asking for one that cannot run here throws.
   */
  constructor(
    params: Record<string, tf.Variable>,
    private readonly groups: AdamWGroups & { engine?: AdamWEngineName } = {},
  ) {
    const names = Object.keys(params);
    const wanted: AdamWEngineName =
      groups.engine ?? (isHostBackend() ? 'host' : tf.getBackend() === 'webgpu' ? 'webgpu' : 'device');
    const engine: AdamWEngine | null =
      wanted === 'host'
        ? createHostAdamW(params, names)
        : wanted === 'webgpu'
          ? createWebGpuAdamW(params, names)
          : new DeviceAdamW(params, names);
    if (!engine && groups.engine) {
      throw new Error(
        wanted === 'host'
          ? 'WebAssembly SIMD is not available for the host AdamW update'
          : 'the fused AdamW update needs the webgpu backend and parameters that fit one GPU buffer',
      );
    }
    this.engineName = engine ? wanted : 'device';
    this.engine = engine ?? new DeviceAdamW(params, names);
  }

  /** Updates taken so far. */
  get stepCount(): number {
    return this.t;
  }

  /**
   * One update with the given settings (`lr` with the schedule already applied). `grads` must
   * hold a gradient for every parameter. Returns the global gradient norm before clipping as a
   * scalar tensor the caller owns (read it only when needed: on a GPU reading waits for the device).
   */
  step(grads: Record<string, tf.Tensor>, hyper: AdamWHyperparameters): tf.Scalar {
    this.t += 1;
    return this.engine.step(grads, stepScalars(hyper, this.t, this.groups));
  }

  /** A copy of the update count and the moments (arrays the caller owns), for checkpoints and resuming. */
  async getState(): Promise<AdamWState> {
    return { step: this.t, ...(await this.engine.getState()) };
  }

  setState(state: AdamWState): void {
    this.engine.setState(state.m, state.v);
    this.t = state.step;
  }

  dispose(): void {
    this.engine.dispose();
  }
}
