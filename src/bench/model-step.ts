// The model benchmark's pieces that run anywhere: the random-weight config and one timed step.
// Node (src/bench/model.ts) and the browser harness (e2e/harness/page/bench-model.ts) both time
// exactly this step, so their figures compare.
import * as tf from '@tensorflow/tfjs-core';
import { parseConfig, type ModelConfig, forward, lossFn, type Params } from '../core/model/index.ts';

export type ModelBenchMode = 'forward' | 'forward+backward';

export interface ModelDims {
  dim: number;
  nLayers: number;
  nHeads: number;
  hiddenDim: number;
  vocabSize: number;
  numLabels: number;
}

export const DISTILBERT_BASE_DIMS: ModelDims = {
  dim: 768,
  nLayers: 6,
  nHeads: 12,
  hiddenDim: 3072,
  vocabSize: 30522,
  numLabels: 2,
};

/** Toy dimensions for --quick: every code path, none of the cost. */
export const QUICK_DIMS: ModelDims = {
  dim: 64,
  nLayers: 2,
  nHeads: 4,
  hiddenDim: 128,
  vocabSize: 2000,
  numLabels: 2,
};

/** A config of the given dimensions with placeholder labels, for random-weight benchmarks. */
export function benchConfig(dims: ModelDims): ModelConfig {
  return parseConfig({
    model_type: 'distilbert',
    dim: dims.dim,
    n_layers: dims.nLayers,
    n_heads: dims.nHeads,
    hidden_dim: dims.hiddenDim,
    vocab_size: dims.vocabSize,
    max_position_embeddings: 512,
    id2label: Object.fromEntries(Array.from({ length: dims.numLabels }, (_, i) => [String(i), `LABEL_${i}`])),
  });
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * One benchmark step on random ids: a forward pass, or forward and backward. forward+backward
 * uses gradient checkpointing, as the studio trains: taped activations of a distilbert-base batch
 * of 8 × 128 tokens alone approach the 4 GB a WASM module can address. Each step ends by reading
 * a value back, so asynchronous backends have finished their work.
 */
export function modelStep(
  config: ModelConfig,
  params: Params,
  mode: ModelBenchMode,
  batch: number,
  seqLength: number,
): { step: () => Promise<void>; dispose: () => void } {
  let seed = 0;
  const ids = tf.tidy(() =>
    tf.randomUniform([batch, seqLength], 1000, config.vocabSize, 'int32', 1),
  ) as tf.Tensor2D;
  const mask = tf.ones([batch, seqLength], 'int32') as tf.Tensor2D;
  const labels = tf.tidy(() => tf.randomUniform([batch], 0, config.numLabels, 'int32', 2));
  const step = async (): Promise<void> => {
    if (mode === 'forward') {
      const logits = tf.tidy(() => forward(params, config, ids, mask, { training: false }).logits);
      await logits.data();
      logits.dispose();
      return;
    }
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = forward(params, config, ids, mask, {
        training: true,
        seed: seed++,
        gradientCheckpointing: true,
      });
      return lossFn(config, logits, labels);
    });
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  return { step, dispose: () => tf.dispose([ids, mask, labels]) };
}
