// Model throughput in the browser: forward and forward+backward of a DistilBERT with random
// weights on one backend, the same steps as the Node model benchmark (src/bench/model.ts).
import * as tf from '@tensorflow/tfjs-core';
import { parseConfig, type DistilBertConfig } from '../../../src/core/model/config.ts';
import { forward, lossFn, type Params } from '../../../src/core/model/distilbert.ts';
import { disposeParams, initParams } from '../../../src/core/model/index.ts';
import { ensureGradients } from '../../../src/core/train/gradients.ts';
import type {
  BrowserModelMeasurement,
  ModelBenchReport,
  ModelBenchRequest,
  ModelDimsSpec,
} from '../types.ts';
import { useBackend } from './backends.ts';

export function benchModelConfig(dims: ModelDimsSpec): DistilBertConfig {
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

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Chromium's non-standard heap figure; 0 where the browser does not expose it. */
export function jsHeapBytes(): number {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return memory?.usedJSHeapSize ?? 0;
}

async function measure(
  config: DistilBertConfig,
  params: Params,
  mode: BrowserModelMeasurement['mode'],
  batch: number,
  seqLength: number,
  iterations: number,
  countDispatches: boolean,
): Promise<BrowserModelMeasurement> {
  let seed = 0;
  const ids = tf.tidy(() =>
    tf.randomUniform([batch, seqLength], 1000, config.vocabSize, 'int32', 1),
  ) as tf.Tensor2D;
  const mask = tf.ones([batch, seqLength], 'int32') as tf.Tensor2D;
  const labels = tf.tidy(() => tf.randomUniform([batch], 0, config.numLabels, 'int32', 2));
  // Each step ends by reading a value back, so an asynchronous backend has finished its work.
  const step = async (): Promise<void> => {
    if (mode === 'forward') {
      const logits = tf.tidy(() => forward(params, config, ids, mask, { training: false }).logits);
      await logits.data();
      logits.dispose();
      return;
    }
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = forward(params, config, ids, mask, { training: true, seed: seed++ });
      return lossFn(config, logits, labels);
    });
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
  };
  let peakJsHeapBytes = jsHeapBytes();
  try {
    // The untimed warm-up step runs under the profiler: kernel dispatches and the peak of
    // tf.memory come at no extra step (one step of distilbert-base on WASM takes minutes here).
    const warmStart = performance.now();
    const profile = countDispatches ? await tf.profile(step) : null;
    if (!profile) await step();
    const warmupMs = performance.now() - warmStart;
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const start = performance.now();
      await step();
      times.push(performance.now() - start);
      peakJsHeapBytes = Math.max(peakJsHeapBytes, jsHeapBytes());
    }
    const result: BrowserModelMeasurement = {
      mode,
      batch,
      seqLength,
      iterations,
      msPerStep: median(times),
      warmupMs,
      peakJsHeapBytes,
    };
    if (profile) {
      result.peakTensorBytes = profile.peakBytes;
      const byOp: Record<string, number> = {};
      for (const kernel of profile.kernels) byOp[kernel.name] = (byOp[kernel.name] ?? 0) + 1;
      result.dispatches = { total: profile.kernels.length, byOp };
    }
    return result;
  } finally {
    tf.dispose([ids, mask, labels]);
  }
}

export async function runModelBench(request: ModelBenchRequest): Promise<ModelBenchReport> {
  const backend = await useBackend(request.backend);
  await ensureGradients();
  const config = benchModelConfig(request.dims);
  const params = initParams(config, 0);
  const measurements: BrowserModelMeasurement[] = [];
  try {
    for (const c of request.cases) {
      for (const mode of request.modes) {
        measurements.push(
          await measure(
            config,
            params,
            mode,
            c.batch,
            c.seqLength,
            request.iterations,
            request.countDispatches,
          ),
        );
      }
    }
  } finally {
    disposeParams(params);
  }
  return { backend, measurements };
}
