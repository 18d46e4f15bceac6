// AdamW exactly as torch.optim.AdamW (which the Hugging Face Trainer uses): decoupled weight
// decay p ← p·(1 − lr·wd), bias-corrected moments, eps added to √v̂; gradients first clipped to a
// global L2 norm as torch.nn.utils.clip_grad_norm_ does. Works on any set of named variables.
import * as tf from '@tensorflow/tfjs-core';
// Gradients are registered separately from the ops; training needs them.

import { adamWKernelAvailable, createAdamWKernel, type AdamWKernel } from './adamw-wasm.ts';
import { isHostBackend } from './host-backend.ts';
import { isNoDecay } from './param-groups.ts';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value before each update; 0 or Infinity turns it off. */
  maxGradNorm: number;
  /** Per-parameter lr multipliers (layer-wise decay); missing names use 1. */
  lrScales?: Record<string, number>;
  /** Parameters exempt from weight decay; default: biases and LayerNorm weights. */
  noDecay?: (name: string) => boolean;
}

export const DEFAULT_ADAMW: AdamWOptions = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1,
};

export interface AdamWState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** Where the moments live and how one update runs. */
interface AdamWEngine {
  step(grads: Record<string, tf.Tensor>, lr: number, t: number, options: AdamWOptions): tf.Scalar;
  getState(): Promise<{ m: Record<string, Float32Array>; v: Record<string, Float32Array> }>;
  setState(m: Record<string, Float32Array>, v: Record<string, Float32Array>): void;
  dispose(): void;
}

export class AdamW {
  private readonly engine: AdamWEngine;
  private t = 0;
  /** Mutable between steps: weightDecay and maxGradNorm may change while training. */
  options: AdamWOptions;
  /** Whether updates run as one WebAssembly pass over host memory (else as tfjs ops). */
  readonly onHost: boolean;

  /**
   * `onHost` (default: on the cpu and wasm backends, where WebAssembly SIMD exists) runs the
   * update as one fused pass over host memory; otherwise it runs as tfjs ops on the backend's
   * device. Both compute the same float32 arithmetic.
   */
  constructor(
    params: Record<string, tf.Variable>,
    options: Partial<AdamWOptions> & { onHost?: boolean } = {},
  ) {
    const { onHost, ...rest } = options;
    this.options = { ...DEFAULT_ADAMW, ...rest };
    const names = Object.keys(params);
    const host =
      (onHost ?? isHostBackend()) && adamWKernelAvailable() ? HostAdamW.create(params, names) : null;
    if (onHost && !host) throw new Error('WebAssembly SIMD is not available for the host AdamW update');
    this.onHost = host !== null;
    this.engine = host ?? new DeviceAdamW(params, names);
  }

  /** Updates taken so far. */
  get stepCount(): number {
    return this.t;
  }

  /**
   * One update with learning rate `lr` (the schedule already applied). `grads` must hold a
   * gradient for every parameter. Returns the global gradient norm before clipping as a scalar
   * tensor the caller owns (read it only when needed: on a GPU reading waits for the device).
   */
  step(grads: Record<string, tf.Tensor>, lr: number): tf.Scalar {
    this.t += 1;
    return this.engine.step(grads, lr, this.t, this.options);
  }

  /** A copy of the moments, for checkpoints. */
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

interface StepScalars {
  lrOf(name: string): number;
  decays(name: string): boolean;
  biasCorrection1: number;
  biasCorrection2Sqrt: number;
  clips: boolean;
}

function stepScalars(lr: number, t: number, options: AdamWOptions): StepScalars {
  const noDecay = options.noDecay ?? isNoDecay;
  return {
    lrOf: (name) => lr * (options.lrScales?.[name] ?? 1),
    decays: (name) => !noDecay(name) && options.weightDecay !== 0,
    biasCorrection1: 1 - Math.pow(options.beta1, t),
    biasCorrection2Sqrt: Math.sqrt(1 - Math.pow(options.beta2, t)),
    clips: options.maxGradNorm > 0 && Number.isFinite(options.maxGradNorm),
  };
}

function gradientsInOrder(names: readonly string[], grads: Record<string, tf.Tensor>): tf.Tensor[] {
  return names.map((name) => {
    const g = grads[name];
    if (!g) throw new Error(`no gradient for ${name}`);
    return g;
  });
}

/** Moments as tfjs variables, the update as tfjs ops: for GPU backends, where data stays on the device. */
class DeviceAdamW implements AdamWEngine {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: Record<string, tf.Variable>,
    private readonly names: readonly string[],
  ) {
    for (const name of names) {
      const p = params[name] as tf.Variable;
      this.m.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
      this.v.set(
        name,
        tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      );
    }
  }

  step(grads: Record<string, tf.Tensor>, lr: number, t: number, options: AdamWOptions): tf.Scalar {
    const { beta1, beta2, eps, weightDecay, maxGradNorm } = options;
    const s = stepScalars(lr, t, options);
    return tf.tidy(() => {
      const gradList = gradientsInOrder(this.names, grads);
      const norm = globalNorm(gradList);
      const clip = s.clips
        ? tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxGradNorm), tf.add(norm, tf.scalar(1e-6))))
        : null;
      // Constants are uploaded once per step, not once per parameter.
      const b1 = tf.scalar(beta1);
      const oneMinusB1 = tf.scalar(1 - beta1);
      const b2 = tf.scalar(beta2);
      const oneMinusB2 = tf.scalar(1 - beta2);
      const bc2 = tf.scalar(s.biasCorrection2Sqrt);
      const epsilon = tf.scalar(eps);
      const scalars = new Map<number, tf.Scalar>();
      const scalar = (value: number): tf.Scalar => {
        let t = scalars.get(value);
        if (!t) scalars.set(value, (t = tf.scalar(value)));
        return t;
      };
      this.names.forEach((name, i) => {
        const p = this.params[name] as tf.Variable;
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        const paramLr = s.lrOf(name);
        const g = clip ? tf.mul(gradList[i] as tf.Tensor, clip) : (gradList[i] as tf.Tensor);
        const decayed = s.decays(name) ? tf.mul(p, scalar(1 - paramLr * weightDecay)) : p;
        const mNew = tf.add(tf.mul(m, b1), tf.mul(g, oneMinusB1));
        const vNew = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), oneMinusB2));
        const denom = tf.add(tf.div(tf.sqrt(vNew), bc2), epsilon);
        const update = tf.mul(tf.div(mNew, denom), scalar(paramLr / s.biasCorrection1));
        m.assign(mNew);
        v.assign(vNew);
        p.assign(tf.sub(decayed, update));
      });
      return tf.keep(norm);
    });
  }

  async getState(): Promise<{ m: Record<string, Float32Array>; v: Record<string, Float32Array> }> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const name of this.names) {
      m[name] = (await (this.m.get(name) as tf.Variable).data()) as Float32Array;
      v[name] = (await (this.v.get(name) as tf.Variable).data()) as Float32Array;
    }
    return { m, v };
  }

  setState(mState: Record<string, Float32Array>, vState: Record<string, Float32Array>): void {
    for (const name of this.names) {
      const m = this.m.get(name) as tf.Variable;
      const v = this.v.get(name) as tf.Variable;
      const mValues = mState[name];
      const vValues = vState[name];
      if (!mValues || !vValues) throw new Error(`optimizer state has no moments for ${name}`);
      tf.tidy(() => {
        m.assign(tf.tensor(mValues, m.shape));
        v.assign(tf.tensor(vValues, v.shape));
      });
    }
  }

  dispose(): void {
    for (const variable of [...this.m.values(), ...this.v.values()]) variable.dispose();
    this.m.clear();
    this.v.clear();
  }
}

interface HostMemory {
  /** The tensor's values, to be read at once (a view where the backend allows, else its own array). */
  read(tensor: tf.Tensor): Float32Array;
  /** Whether the backend copies an array it is given into its own memory (else it keeps the array). */
  copiesOnWrite: boolean;
}

/**
 * How to move values in and out of the current host backend without needless copies: the WASM
 * backend lends views of its heap (dataSync would copy) and copies what it is given into its
 * heap; the CPU backend hands out and keeps plain arrays.
 */
function hostMemory(): HostMemory {
  const backend = tf.backend() as Partial<{
    typedArrayFromHeap(info: { shape: number[]; dtype: tf.DataType; dataId: tf.DataId }): Float32Array;
  }>;
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') {
    const fromHeap = backend.typedArrayFromHeap.bind(backend);
    return { read: (tensor) => fromHeap(tensor), copiesOnWrite: true };
  }
  return { read: (tensor) => tensor.dataSync() as Float32Array, copiesOnWrite: false };
}

interface HostSlot {
  name: string;
  size: number;
  /** Float offset of this parameter in each of the p, g, m and v regions. */
  at: number;
  /** The tensor data the parameter held right after the last update (its values are then in p). */
  written: tf.DataId | null;
}

/**
 * Moments in a WebAssembly memory next to copies of the parameters and gradients; each step is a
 * read of the gradients (a copy on host backends), one fused pass, and the new parameters
 * written back as tensors. Laid out as four regions [p | g | m | v], each parameter 16-byte aligned.
 */
class HostAdamW implements AdamWEngine {
  private constructor(
    private readonly params: Record<string, tf.Variable>,
    private readonly slots: HostSlot[],
    private readonly region: number,
    private kernel: AdamWKernel | null,
  ) {}

  static create(params: Record<string, tf.Variable>, names: readonly string[]): HostAdamW | null {
    let floats = 0;
    const slots = names.map((name) => {
      const size = (params[name] as tf.Variable).size;
      const slot: HostSlot = { name, size, at: floats, written: null };
      floats += Math.ceil(size / 4) * 4;
      return slot;
    });
    const kernel = createAdamWKernel(4 * 4 * Math.max(floats, 4));
    return kernel ? new HostAdamW(params, slots, floats, kernel) : null;
  }

  private view(region: 0 | 1 | 2 | 3, slot: HostSlot): Float32Array {
    if (!this.kernel) throw new Error('the optimizer was disposed');
    return new Float32Array(this.kernel.memory.buffer, 4 * (region * this.region + slot.at), slot.size);
  }

  step(grads: Record<string, tf.Tensor>, lr: number, t: number, options: AdamWOptions): tf.Scalar {
    const kernel = this.kernel;
    if (!kernel) throw new Error('the optimizer was disposed');
    const s = stepScalars(lr, t, options);
    const gradList = gradientsInOrder(
      this.slots.map((slot) => slot.name),
      grads,
    );
    const host = hostMemory();
    this.slots.forEach((slot, i) => {
      const p = this.params[slot.name] as tf.Variable;
      // The parameter changed outside this optimizer (a restored checkpoint, a loaded model).
      if (p.dataId !== slot.written) this.view(0, slot).set(host.read(p));
      this.view(1, slot).set(host.read(gradList[i] as tf.Tensor));
    });
    const norm = Math.sqrt(kernel.sumOfSquares(4 * this.region, this.region));
    const clip = s.clips ? Math.min(1, options.maxGradNorm / (norm + 1e-6)) : 1;
    const bytes = (region: number, slot: HostSlot) => 4 * (region * this.region + slot.at);
    for (const slot of this.slots) {
      const paramLr = s.lrOf(slot.name);
      kernel.update(
        bytes(0, slot),
        bytes(1, slot),
        bytes(2, slot),
        bytes(3, slot),
        Math.ceil(slot.size / 4) * 4,
        {
          clip,
          decay: s.decays(slot.name) ? 1 - paramLr * options.weightDecay : 1,
          beta1: options.beta1,
          beta2: options.beta2,
          biasCorrection2Sqrt: s.biasCorrection2Sqrt,
          eps: options.eps,
          stepSize: paramLr / s.biasCorrection1,
        },
      );
      const p = this.params[slot.name] as tf.Variable;
      const values = this.view(0, slot);
      const next = tf.tensor(host.copiesOnWrite ? values : values.slice(), p.shape, 'float32');
      p.assign(next);
      next.dispose();
      slot.written = p.dataId;
    }
    return tf.scalar(norm);
  }

  async getState(): Promise<{ m: Record<string, Float32Array>; v: Record<string, Float32Array> }> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const slot of this.slots) {
      m[slot.name] = this.view(2, slot).slice();
      v[slot.name] = this.view(3, slot).slice();
    }
    return { m, v };
  }

  setState(mState: Record<string, Float32Array>, vState: Record<string, Float32Array>): void {
    for (const slot of this.slots) {
      const mValues = mState[slot.name];
      const vValues = vState[slot.name];
      if (!mValues || !vValues) throw new Error(`optimizer state has no moments for ${slot.name}`);
      if (mValues.length !== slot.size || vValues.length !== slot.size) {
        throw new Error(`optimizer state for ${slot.name} has the wrong size`);
      }
      this.view(2, slot).set(mValues);
      this.view(3, slot).set(vValues);
    }
  }

  dispose(): void {
    this.kernel = null;
  }
}

/** √(Σ‖g‖²) over all gradients, as one scalar. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (grads.length === 0) return tf.scalar(0);
    const squares = grads.map((g) => tf.sum(tf.square(g)));
    return tf.sqrt(tf.addN(squares)) as tf.Scalar;
  });
}
