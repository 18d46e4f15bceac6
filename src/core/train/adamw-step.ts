// The per-step quantities both AdamW implementations share.
import type * as tf from '@tensorflow/tfjs-core';
import type { AdamWOptions } from './optimizer.ts';
import { isNoDecay } from './param-groups.ts';

/** Where the moments live and how one update runs. */
export interface AdamWEngine {
  step(grads: Record<string, tf.Tensor>, lr: number, t: number, options: AdamWOptions): tf.Scalar;
  getState(): Promise<{ m: Record<string, Float32Array>; v: Record<string, Float32Array> }>;
  setState(m: Record<string, Float32Array>, v: Record<string, Float32Array>): void;
  dispose(): void;
}

export interface StepScalars {
  lrOf(name: string): number;
  decays(name: string): boolean;
  biasCorrection1: number;
  biasCorrection2Sqrt: number;
  clips: boolean;
}

export function stepScalars(lr: number, t: number, options: AdamWOptions): StepScalars {
  const noDecay = options.noDecay ?? isNoDecay;
  return {
    lrOf: (name) => lr * (options.lrScales?.[name] ?? 1),
    decays: (name) => !noDecay(name) && options.weightDecay !== 0,
    biasCorrection1: 1 - Math.pow(options.beta1, t),
    biasCorrection2Sqrt: Math.sqrt(1 - Math.pow(options.beta2, t)),
    clips: options.maxGradNorm > 0 && Number.isFinite(options.maxGradNorm),
  };
}

export function gradientsInOrder(names: readonly string[], grads: Record<string, tf.Tensor>): tf.Tensor[] {
  return names.map((name) => {
    const g = grads[name];
    if (!g) throw new Error(`no gradient for ${name}`);
    return g;
  });
}
