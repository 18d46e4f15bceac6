// Model throughput in the browser: forward and forward+backward of a DistilBERT with random
// weights on one backend, the same steps as the Node model benchmark (src/bench/model.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../../../src/core/model/config.ts';
import type { Params } from '../../../src/core/model/encoder.ts';
import { disposeParams, initParams } from '../../../src/core/model/index.ts';
import { ensureGradients } from '../../../src/core/train/gradients.ts';
import type {
  BrowserModelMeasurement,
  ModelBenchReport,
  ModelBenchRequest,
  ModelDimsSpec,
} from '../types.ts';
import { benchConfig, median, modelStep } from '../../../src/bench/model-step.ts';
import { useBackend } from './backends.ts';

export const benchModelConfig = (dims: ModelDimsSpec): ModelConfig => benchConfig(dims);

/** Chromium's non-standard heap figure; 0 where the browser does not expose it. */
export function jsHeapBytes(): number {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return memory?.usedJSHeapSize ?? 0;
}

async function measure(
  config: ModelConfig,
  params: Params,
  mode: BrowserModelMeasurement['mode'],
  batch: number,
  seqLength: number,
  iterations: number,
  countDispatches: boolean,
): Promise<BrowserModelMeasurement> {
  const { step, dispose } = modelStep(config, params, mode, batch, seqLength);
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
    dispose();
  }
}

export async function runModelBench(request: ModelBenchRequest): Promise<ModelBenchReport> {
  const backend = await useBackend(request.backend, request.threads);
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
