// What one AdamW update is given, and the per-step quantities every engine derives from it.
import type * as tf from '@tensorflow/tfjs-core';
import { isNoDecay } from '../param-groups.ts';

/** The settings of one update; they may differ from step to step (a live change, the schedule). */
export interface AdamWHyperparameters {
  /** The learning rate with the schedule already applied. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value before the update; 0 or Infinity turns it off. */
  maxGradNorm: number;
}

export const DEFAULT_ADAMW: Omit<AdamWHyperparameters, 'lr'> = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  maxGradNorm: 1,
};

/** The fixed structure of the parameters: which decay and how fast each one learns. */
export interface AdamWGroups {
  /** Per-parameter lr multipliers (layer-wise decay); missing names use 1. */
  lrScales?: Record<string, number>;
  /** Parameters exempt from weight decay; default: biases and LayerNorm weights. */
  noDecay?: (name: string) => boolean;
}

/** Where the moments live and how one update runs. */
export interface AdamWEngine {
  /** Returns the global gradient norm before clipping, as a scalar the caller owns. */
  step(grads: Record<string, tf.Tensor>, s: StepScalars): tf.Scalar;
  getState(): Promise<{ m: Record<string, Float32Array>; v: Record<string, Float32Array> }>;
  setState(m: Record<string, Float32Array>, v: Record<string, Float32Array>): void;
  dispose(): void;
}

export interface StepScalars {
  hyper: AdamWHyperparameters;
  lrOf(name: string): number;
  decays(name: string): boolean;
  biasCorrection1: number;
  biasCorrection2Sqrt: number;
  clips: boolean;
}

/** The scalars of update number `t` (from 1). */
export function stepScalars(hyper: AdamWHyperparameters, t: number, groups: AdamWGroups): StepScalars {
  const noDecay = groups.noDecay ?? isNoDecay;
  return {
    hyper,
    lrOf: (name) => hyper.lr * (groups.lrScales?.[name] ?? 1),
    decays: (name) => !noDecay(name) && hyper.weightDecay !== 0,
    biasCorrection1: 1 - Math.pow(hyper.beta1, t),
    biasCorrection2Sqrt: Math.sqrt(1 - Math.pow(hyper.beta2, t)),
    clips: hyper.maxGradNorm > 0 && Number.isFinite(hyper.maxGradNorm),
  };
}

/** The multiplier clipping applies to every gradient, given their global norm (float64 on the host). */
export function clipFor(norm: number, s: StepScalars): number {
  return s.clips ? Math.min(1, s.hyper.maxGradNorm / (norm + 1e-6)) : 1;
}

export function gradientsInOrder(names: readonly string[], grads: Record<string, tf.Tensor>): tf.Tensor[] {
  return names.map((name) => {
    const g = grads[name];
    if (!g) throw new Error(`no gradient for ${name}`);
    return g;
  });
}

/** Throws unless the restored moments hold every slot's parameter at its size. */
export function checkMomentState(
  slots: readonly { name: string; size: number }[],
  mState: Record<string, Float32Array>,
  vState: Record<string, Float32Array>,
): void {
  for (const slot of slots) {
    const mValues = mState[slot.name];
    const vValues = vState[slot.name];
    if (!mValues || !vValues) throw new Error(`optimizer state has no moments for ${slot.name}`);
    if (mValues.length !== slot.size || vValues.length !== slot.size) {
      throw new Error(`optimizer state for ${slot.name} has the wrong size`);
    }
  }
}
