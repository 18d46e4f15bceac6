// AdamW as tfjs ops on the backend's device: moments as tfjs variables, about 15 kernels per
// parameter tensor. Runs on every backend; used on GPU backends without the fused WebGPU update.
import * as tf from '@tensorflow/tfjs-core';
import { isHostBackend } from '../host-backend.ts';
import { gradientsInOrder, type AdamWEngine, type StepScalars } from './hyperparameters.ts';

/** Moments as tfjs variables, the update as tfjs ops: for GPU backends, where data stays on the device. */
export class DeviceAdamW implements AdamWEngine {
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

  step(grads: Record<string, tf.Tensor>, s: StepScalars): tf.Scalar {
    const { beta1, beta2, eps, weightDecay, maxGradNorm } = s.hyper;
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
    // The cpu backend hands out its own arrays: copy them, so the caller may keep or transfer them.
    const own = (values: Float32Array) => (isHostBackend() ? values.slice() : values);
    for (const name of this.names) {
      m[name] = own((await (this.m.get(name) as tf.Variable).data()) as Float32Array);
      v[name] = own((await (this.v.get(name) as tf.Variable).data()) as Float32Array);
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

/**
 * The most tensors one addN may take. WebGPU binds each input as a storage buffer, and a device
 * guarantees only 8 per shader stage (one goes to the output); tfjs' WebGPU addN does not split
 * larger sums, and the invalid bind group silently drops the whole batch of queued work.
 */
const MAX_ADDN_INPUTS = 7;

/** √(Σ‖g‖²) over all gradients, as one scalar. */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (grads.length === 0) return tf.scalar(0);
    let partialSums = grads.map((g) => tf.sum(tf.square(g)));
    while (partialSums.length > 1) {
      const next: tf.Tensor[] = [];
      for (let start = 0; start < partialSums.length; start += MAX_ADDN_INPUTS) {
        const group = partialSums.slice(start, start + MAX_ADDN_INPUTS);
        next.push(group.length === 1 ? group[0]! : tf.addN(group));
      }
      partialSums = next;
    }
    return tf.sqrt(partialSums[0]!) as tf.Scalar;
  });
}
