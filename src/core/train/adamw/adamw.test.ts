import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../util/random.ts';
import { AdamW } from './adamw.ts';
import { DEFAULT_ADAMW } from './hyperparameters.ts';
import { isNoDecay, layerDepth, layerLrScales } from '../param-groups.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** torch.optim.AdamW + clip_grad_norm_ written out in float64, one parameter at a time. */
function referenceAdamW(
  params: Record<string, number[]>,
  gradsPerStep: Record<string, number[]>[],
  opts: { lr: number; wd: number; maxNorm: number; scales: Record<string, number> },
): Record<string, number[]> {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const p = structuredClone(params);
  const m: Record<string, number[]> = {};
  const v: Record<string, number[]> = {};
  for (const k of Object.keys(p)) {
    m[k] = p[k]!.map(() => 0);
    v[k] = p[k]!.map(() => 0);
  }
  gradsPerStep.forEach((grads, index) => {
    const t = index + 1;
    let sq = 0;
    for (const g of Object.values(grads)) for (const x of g) sq += x * x;
    const coef = Math.min(1, opts.maxNorm / (Math.sqrt(sq) + 1e-6));
    for (const k of Object.keys(p)) {
      const lr = opts.lr * (opts.scales[k] ?? 1);
      const wd = isNoDecay(k) ? 0 : opts.wd;
      p[k] = p[k]!.map((x, i) => {
        const g = grads[k]![i]! * coef;
        m[k]![i] = b1 * m[k]![i]! + (1 - b1) * g;
        v[k]![i] = b2 * v[k]![i]! + (1 - b2) * g * g;
        const decayed = x * (1 - lr * wd);
        const denom = Math.sqrt(v[k]![i]!) / Math.sqrt(1 - b2 ** t) + eps;
        return decayed - (lr / (1 - b1 ** t)) * (m[k]![i]! / denom);
      });
    }
  });
  return p;
}

describe('AdamW', () => {
  it('matches a float64 torch-semantics reference with clipping, decay groups and lr scales', () => {
    const rng = createRng(3);
    const shapes: Record<string, number[]> = {
      'distilbert.transformer.layer.0.ffn.lin1.weight': [4, 3],
      'distilbert.transformer.layer.0.ffn.lin1.bias': [4],
      'distilbert.embeddings.LayerNorm.weight': [3],
      'classifier.weight': [2, 4],
    };
    const init: Record<string, number[]> = {};
    const grads: Record<string, number[]>[] = [{}, {}, {}];
    for (const [name, shape] of Object.entries(shapes)) {
      const size = shape.reduce((a, b) => a * b, 1);
      init[name] = Array.from({ length: size }, () => rng.normal());
      for (const step of grads) step[name] = Array.from({ length: size }, () => rng.normal() * 2);
    }
    const scales = layerLrScales(Object.keys(shapes), 1, 0.8);
    const before = tf.memory().numTensors;
    const vars: Record<string, tf.Variable> = {};
    for (const [name, shape] of Object.entries(shapes))
      vars[name] = tf.tidy(() => tf.variable(tf.tensor(init[name]!, shape)));
    const optimizer = new AdamW(vars, { lrScales: scales });
    const norms: number[] = [];
    for (const stepGrads of grads) {
      const g: Record<string, tf.Tensor> = {};
      for (const [name, shape] of Object.entries(shapes)) g[name] = tf.tensor(stepGrads[name]!, shape);
      const norm = optimizer.step(g, { ...DEFAULT_ADAMW, lr: 0.05, weightDecay: 0.1, maxGradNorm: 1 });
      norms.push(norm.dataSync()[0]!);
      norm.dispose();
      tf.dispose(g);
    }
    const expected = referenceAdamW(init, grads, { lr: 0.05, wd: 0.1, maxNorm: 1, scales });
    for (const name of Object.keys(shapes)) {
      const got = Array.from(vars[name]!.dataSync());
      got.forEach((x, i) => expect(Math.abs(x - expected[name]![i]!)).toBeLessThan(1e-6));
    }
    // The clip actually bit (norms well above 1).
    expect(Math.min(...norms)).toBeGreaterThan(2);
    optimizer.dispose();
    tf.dispose(Object.values(vars));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('groups parameters like the Hugging Face Trainer', () => {
    expect(isNoDecay('distilbert.transformer.layer.1.attention.q_lin.bias')).toBe(true);
    expect(isNoDecay('distilbert.transformer.layer.1.sa_layer_norm.weight')).toBe(true);
    expect(isNoDecay('distilbert.embeddings.LayerNorm.weight')).toBe(true);
    expect(isNoDecay('distilbert.transformer.layer.1.attention.q_lin.weight')).toBe(false);
    expect(isNoDecay('distilbert.embeddings.word_embeddings.weight')).toBe(false);
    expect(layerDepth('distilbert.embeddings.word_embeddings.weight', 6)).toBe(0);
    expect(layerDepth('distilbert.transformer.layer.5.ffn.lin2.weight', 6)).toBe(6);
    expect(layerDepth('pre_classifier.weight', 6)).toBe(7);
    const scales = layerLrScales(
      [
        'classifier.bias',
        'distilbert.transformer.layer.1.ffn.lin1.weight',
        'distilbert.embeddings.LayerNorm.bias',
      ],
      2,
      0.5,
    );
    expect(scales).toEqual({
      'classifier.bias': 1,
      'distilbert.transformer.layer.1.ffn.lin1.weight': 0.5,
      'distilbert.embeddings.LayerNorm.bias': 0.125,
    });
  });
});

describe('AdamW on the host and on the device', () => {
  const shapes: Record<string, number[]> = {
    // Sizes that are not multiples of 4 exercise the padded host layout.
    'distilbert.transformer.layer.0.ffn.lin1.weight': [5, 3],
    'distilbert.transformer.layer.0.ffn.lin1.bias': [5],
    'distilbert.embeddings.LayerNorm.weight': [3],
    'classifier.weight': [2, 5],
  };
  const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

  function setup(seed: number) {
    const rng = createRng(seed);
    const init: Record<string, number[]> = {};
    const grads: Record<string, number[]>[] = Array.from({ length: 4 }, () => ({}));
    for (const [name, shape] of Object.entries(shapes)) {
      init[name] = Array.from({ length: sizeOf(shape) }, () => rng.normal());
      for (const step of grads) step[name] = Array.from({ length: sizeOf(shape) }, () => rng.normal() * 2);
    }
    return { init, grads };
  }

  function run(onHost: boolean, init: Record<string, number[]>, grads: Record<string, number[]>[]) {
    const vars: Record<string, tf.Variable> = {};
    for (const [name, shape] of Object.entries(shapes))
      vars[name] = tf.tidy(() => tf.variable(tf.tensor(init[name]!, shape)));
    const scales = layerLrScales(Object.keys(shapes), 1, 0.8);
    const optimizer = new AdamW(vars, { lrScales: scales, engine: onHost ? 'host' : 'device' });
    const norms: number[] = [];
    for (const stepGrads of grads) {
      const g: Record<string, tf.Tensor> = {};
      for (const [name, shape] of Object.entries(shapes)) g[name] = tf.tensor(stepGrads[name]!, shape);
      const norm = optimizer.step(g, { ...DEFAULT_ADAMW, lr: 0.05, weightDecay: 0.1, maxGradNorm: 1 });
      norms.push(norm.dataSync()[0]!);
      norm.dispose();
      tf.dispose(g);
    }
    return { vars, optimizer, norms, scales };
  }

  it('both compute the float64 torch-semantics reference', () => {
    const { init, grads } = setup(5);
    const before = tf.memory().numTensors;
    for (const onHost of [true, false]) {
      const { vars, optimizer, norms, scales } = run(onHost, init, grads);
      expect(optimizer.engineName).toBe(onHost ? 'host' : 'device');
      const expected = referenceAdamW(init, grads, { lr: 0.05, wd: 0.1, maxNorm: 1, scales });
      for (const name of Object.keys(shapes)) {
        const got = Array.from(vars[name]!.dataSync());
        got.forEach((x, i) => expect(Math.abs(x - expected[name]![i]!), `${name}[${i}]`).toBeLessThan(1e-6));
      }
      let sq = 0;
      for (const g of Object.values(grads[0]!)) for (const x of g) sq += x * x;
      expect(Math.abs(norms[0]! - Math.sqrt(sq))).toBeLessThan(1e-5 * Math.sqrt(sq));
      optimizer.dispose();
      tf.dispose(Object.values(vars));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('picks up parameters changed between steps and restores its moments from a state', async () => {
    const { init, grads } = setup(9);
    const results: Record<string, Float32Array>[] = [];
    for (const onHost of [true, false]) {
      const { vars, optimizer } = run(onHost, init, grads.slice(0, 2));
      const state = await optimizer.getState();
      const copy = new AdamW(vars, { engine: onHost ? 'host' : 'device' });
      copy.setState(state);
      expect(copy.stepCount).toBe(2);
      const copied = await copy.getState();
      for (const name of Object.keys(shapes)) {
        expect(Array.from(copied.m[name]!)).toEqual(Array.from(state.m[name]!));
        expect(Array.from(copied.v[name]!)).toEqual(Array.from(state.v[name]!));
      }
      copy.dispose();
      // A restored checkpoint: the parameters change outside the optimizer, which goes on.
      for (const [name, shape] of Object.entries(shapes))
        tf.tidy(() => vars[name]!.assign(tf.tensor(init[name]!, shape)));
      for (const stepGrads of grads.slice(2)) {
        const g: Record<string, tf.Tensor> = {};
        for (const [name, shape] of Object.entries(shapes)) g[name] = tf.tensor(stepGrads[name]!, shape);
        optimizer.step(g, { ...DEFAULT_ADAMW, lr: 0.05, weightDecay: 0.1, maxGradNorm: 1 }).dispose();
        tf.dispose(g);
      }
      const moments = await optimizer.getState();
      results.push({
        ...Object.fromEntries(Object.entries(vars).map(([name, v]) => [name, v.dataSync() as Float32Array])),
        ...Object.fromEntries(Object.entries(moments.v).map(([name, v]) => [`v:${name}`, v])),
      });
      optimizer.dispose();
      tf.dispose(Object.values(vars));
    }
    const [host, device] = results as [Record<string, Float32Array>, Record<string, Float32Array>];
    expect(Object.keys(host).sort()).toEqual(Object.keys(device).sort());
    for (const key of Object.keys(device)) {
      const a = host[key]!;
      const b = device[key]!;
      expect(a.length).toBe(b.length);
      a.forEach((x, i) => expect(Math.abs(x - b[i]!), `${key}[${i}]`).toBeLessThan(1e-6));
    }
    // The restart from the initial weights moved them (the comparison is not between two no-ops).
    const name = 'classifier.weight';
    expect(Math.max(...host[name]!.map((x, i) => Math.abs(x - init[name]![i]!)))).toBeGreaterThan(1e-3);
  });
});
