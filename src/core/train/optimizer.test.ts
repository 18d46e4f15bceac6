import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../util/random.ts';
import { AdamW } from './optimizer.ts';
import { isNoDecay, layerDepth, layerLrScales } from './param-groups.ts';

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
    const optimizer = new AdamW(vars, { weightDecay: 0.1, maxGradNorm: 1, lrScales: scales });
    const norms: number[] = [];
    for (const stepGrads of grads) {
      const g: Record<string, tf.Tensor> = {};
      for (const [name, shape] of Object.entries(shapes)) g[name] = tf.tensor(stepGrads[name]!, shape);
      const norm = optimizer.step(g, 0.05);
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
