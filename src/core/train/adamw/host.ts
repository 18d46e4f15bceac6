// AdamW as one fused WebAssembly pass over host memory (wasm-kernel.ts), for the backends whose
// tensors live there:
//   wasm  the kernel runs on the backend's own heap: it reads the gradients and the parameters
//         where they are, keeps the moments in tensors of its own that it updates in place, and
//         writes each new parameter straight into a freshly allocated tensor;
//   cpu   (and wasm when its heap cannot be shared) the kernel has a memory of its own holding the
//         moments; gradients are copied in and new parameters copied out as tensors.
import * as tf from '@tensorflow/tfjs-core';
import {
  adamWKernelAvailable,
  createAdamWKernel,
  type AdamWKernel,
  type AdamWScalars,
} from './wasm-kernel.ts';
import {
  checkMomentState,
  clipFor,
  gradientsInOrder,
  type AdamWEngine,
  type StepScalars,
} from './hyperparameters.ts';

/** The fused update for the current backend; null without WebAssembly SIMD or the memory it needs. */
export function createHostAdamW(
  params: Record<string, tf.Variable>,
  names: readonly string[],
): AdamWEngine | null {
  if (!adamWKernelAvailable()) return null;
  return HeapAdamW.create(params, names) ?? CopyAdamW.create(params, names);
}

/** The kernel's scalars for one parameter (shared with the fused WebGPU update). */
export function scalarsFor(name: string, clip: number, s: StepScalars): AdamWScalars {
  const lr = s.lrOf(name);
  return {
    clip,
    decay: s.decays(name) ? 1 - lr * s.hyper.weightDecay : 1,
    beta1: s.hyper.beta1,
    beta2: s.hyper.beta2,
    biasCorrection2Sqrt: s.biasCorrection2Sqrt,
    eps: s.hyper.eps,
    stepSize: lr / s.biasCorrection1,
  };
}

/** The parts of tfjs-backend-wasm's BackendWasm used here (public members of that class). */
interface WasmBackend {
  wasm: { asm?: { memory?: unknown } };
  typedArrayFromHeap(info: { shape: number[]; dtype: tf.DataType; dataId: tf.DataId }): Float32Array;
  write(values: null, shape: number[], dtype: tf.DataType): tf.DataId;
}

function wasmBackend(): WasmBackend | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as unknown as Partial<WasmBackend>;
  return typeof backend.typedArrayFromHeap === 'function' && typeof backend.write === 'function'
    ? (backend as WasmBackend)
    : null;
}

/** The update on the WASM backend's heap: no copies in or out. */
class HeapAdamW implements AdamWEngine {
  private m: tf.Tensor[];
  private v: tf.Tensor[];

  private constructor(
    private readonly params: Record<string, tf.Variable>,
    private readonly names: readonly string[],
    private readonly backend: WasmBackend,
    private readonly kernel: AdamWKernel,
  ) {
    // Tensors of the optimizer's own: nothing else holds their data, so it may change in place.
    this.m = names.map((name) => tf.keep(tf.zerosLike(params[name] as tf.Variable)));
    this.v = names.map((name) => tf.keep(tf.zerosLike(params[name] as tf.Variable)));
  }

  static create(params: Record<string, tf.Variable>, names: readonly string[]): HeapAdamW | null {
    const backend = wasmBackend();
    const memory = backend?.wasm.asm?.memory;
    if (!backend || !(memory instanceof WebAssembly.Memory)) return null;
    const kernel = createAdamWKernel({ memory });
    return kernel ? new HeapAdamW(params, names, backend, kernel) : null;
  }

  /** Byte offset of a tensor's data in the heap (fixed for the tensor's life; the heap only grows). */
  private at(tensor: tf.Tensor): number {
    return this.backend.typedArrayFromHeap(tensor).byteOffset;
  }

  step(grads: Record<string, tf.Tensor>, s: StepScalars): tf.Scalar {
    const gradList = gradientsInOrder(this.names, grads);
    let squares = 0;
    for (const g of gradList) squares += this.kernel.sumOfSquares(this.at(g), g.size);
    const norm = Math.sqrt(squares);
    const clip = clipFor(norm, s);
    this.names.forEach((name, i) => {
      const p = this.params[name] as tf.Variable;
      // A new tensor for the new values: the parameter's current data may be shared (a clone) or
      // cached by the backend (XNNPACK keeps packed copies of matmul operands by tensor).
      const next = tf
        .engine()
        .makeTensorFromDataId(this.backend.write(null, p.shape, 'float32'), p.shape, 'float32');
      this.kernel.update(
        this.at(p),
        this.at(next),
        this.at(gradList[i] as tf.Tensor),
        this.at(this.m[i] as tf.Tensor),
        this.at(this.v[i] as tf.Tensor),
        p.size,
        scalarsFor(name, clip, s),
      );
      p.assign(next);
      next.dispose();
    });
    return tf.scalar(norm);
  }

  async getState(): Promise<{ m: Record<string, Float32Array>; v: Record<string, Float32Array> }> {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const [i, name] of this.names.entries()) {
      m[name] = (await (this.m[i] as tf.Tensor).data()) as Float32Array;
      v[name] = (await (this.v[i] as tf.Tensor).data()) as Float32Array;
    }
    return { m, v };
  }

  setState(mState: Record<string, Float32Array>, vState: Record<string, Float32Array>): void {
    const load = (state: Record<string, Float32Array>) =>
      this.names.map((name) => {
        const values = state[name];
        if (!values) throw new Error(`optimizer state has no moments for ${name}`);
        return tf.keep(tf.tensor(values, (this.params[name] as tf.Variable).shape, 'float32'));
      });
    const m = load(mState);
    const v = load(vState);
    tf.dispose([...this.m, ...this.v]);
    this.m = m;
    this.v = v;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
    this.m = [];
    this.v = [];
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
  const wasm = wasmBackend();
  if (wasm) return { read: (tensor) => wasm.typedArrayFromHeap(tensor), copiesOnWrite: true };
  return { read: (tensor) => tensor.dataSync() as Float32Array, copiesOnWrite: false };
}

interface CopySlot {
  name: string;
  size: number;
  /** Float offset of this parameter in each of the p, g, m and v regions. */
  at: number;
  /** The tensor data the parameter held right after the last update (its values are then in p). */
  written: tf.DataId | null;
}

/**
 * Moments in a WebAssembly memory of the kernel's own, next to copies of the parameters and
 * gradients, laid out as four regions [p | g | m | v] with each parameter 16-byte aligned.
 */
class CopyAdamW implements AdamWEngine {
  private constructor(
    private readonly params: Record<string, tf.Variable>,
    private readonly slots: CopySlot[],
    private readonly region: number,
    private kernel: AdamWKernel | null,
  ) {}

  static create(params: Record<string, tf.Variable>, names: readonly string[]): CopyAdamW | null {
    let floats = 0;
    const slots = names.map((name) => {
      const size = (params[name] as tf.Variable).size;
      const slot: CopySlot = { name, size, at: floats, written: null };
      floats += Math.ceil(size / 4) * 4;
      return slot;
    });
    const kernel = createAdamWKernel({ bytes: 4 * 4 * Math.max(floats, 4) });
    return kernel ? new CopyAdamW(params, slots, floats, kernel) : null;
  }

  private bytes(region: 0 | 1 | 2 | 3, slot: CopySlot): number {
    return 4 * (region * this.region + slot.at);
  }

  private view(region: 0 | 1 | 2 | 3, slot: CopySlot): Float32Array {
    if (!this.kernel) throw new Error('the optimizer was disposed');
    return new Float32Array(this.kernel.memory.buffer, this.bytes(region, slot), slot.size);
  }

  step(grads: Record<string, tf.Tensor>, s: StepScalars): tf.Scalar {
    const kernel = this.kernel;
    if (!kernel) throw new Error('the optimizer was disposed');
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
    // The padding between parameters is zero, so one sum covers every gradient.
    const norm = Math.sqrt(kernel.sumOfSquares(4 * this.region, this.region));
    const clip = clipFor(norm, s);
    for (const slot of this.slots) {
      const p0 = this.bytes(0, slot);
      kernel.update(
        p0,
        p0,
        this.bytes(1, slot),
        this.bytes(2, slot),
        this.bytes(3, slot),
        // The zero padding updates to zero: whole SIMD lanes throughout.
        Math.ceil(slot.size / 4) * 4,
        scalarsFor(slot.name, clip, s),
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
    checkMomentState(this.slots, mState, vState);
    for (const slot of this.slots) {
      this.view(2, slot).set(mState[slot.name] as Float32Array);
      this.view(3, slot).set(vState[slot.name] as Float32Array);
    }
  }

  dispose(): void {
    this.kernel = null;
  }
}
