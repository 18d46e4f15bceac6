// One training step counted at the WebGPU device, as the training loop takes it: forward and
// backward on the tape (gradient checkpointing), AdamW on the device, the loss read after the
// step. Runs wherever tfjs-backend-webgpu runs (Node with Dawn: gpu-counts.ts; Chromium: the
// harness page), so both count the same step.
import * as tf from '@tensorflow/tfjs-core';
import {
  countGpuWork,
  gpuWorkBetween,
  type CountableDevice,
  type CountOptions,
  type GpuWorkCounts,
} from '../core/backend/index.ts';
import { forward, lossFn, disposeParams, initParams } from '../core/model/index.ts';
import { AdamW, DEFAULT_ADAMW, namedGradients } from '../core/train/index.ts';
import { benchConfig, type ModelDims } from './model-step.ts';

export type CountingDevice = CountableDevice & {
  pushErrorScope(filter: 'validation'): void;
  popErrorScope(): Promise<{ message: string } | null>;
};

export interface CountedStep {
  forward: GpuWorkCounts;
  /** The taped step less one forward: with gradient checkpointing each block's forward runs once more in it. */
  backward: GpuWorkCounts;
  optimizer: GpuWorkCounts;
  whole: GpuWorkCounts;
  lossRead: GpuWorkCounts;
  /** Dispatches of the taped forward+backward per pipeline label, most first. */
  tapedByPipeline: [label: string, dispatches: number][];
  optimizerEngine: string;
  /** The first line of the validation error the device raised during the counted step, if any. */
  refused?: string;
}

export interface CountStepOptions extends Pick<CountOptions, 'bufferPrototype' | 'backend'> {
  device: CountingDevice;
  dims: ModelDims;
  batch: number;
  seqLength: number;
  log?(message: string): void;
}

/** Dispatches per pipeline label between two breakdowns, most first. */
function pipelineDifference(
  before: [string, number][],
  after: [string, number][],
): [label: string, dispatches: number][] {
  const earlier = new Map(before);
  return after
    .map(([label, count]): [string, number] => [label, count - (earlier.get(label) ?? 0)])
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Counts one step of a random-weight model of `dims` after one warm-up step, on the current webgpu backend. */
export async function countTrainingStep(options: CountStepOptions): Promise<CountedStep> {
  const { device, dims, batch, seqLength } = options;
  const log = options.log ?? (() => undefined);
  const config = benchConfig(dims);
  const params = initParams(config, 0);
  const optimizer = new AdamW(params);
  const ids = tf.tidy(() => tf.randomUniform([batch, seqLength], 1000, config.vocabSize, 'int32', 1));
  const mask = tf.ones([batch, seqLength], 'int32');
  const labels = tf.tidy(() => tf.randomUniform([batch], 0, config.numLabels, 'int32', 2));
  let seed = 0;
  const trainingForward = () =>
    forward(params, config, ids as tf.Tensor2D, mask as tf.Tensor2D, {
      training: true,
      seed: seed++,
      gradientCheckpointing: true,
    }).logits;
  // The loop reads losses asynchronously, batched at most at the UI's update rate, never inside a
  // step; that read is counted on its own.
  const step = async (counter?: ReturnType<typeof countGpuWork>) => {
    const at = () => counter?.counts();
    const start = at();
    const logits = tf.tidy(trainingForward);
    const afterForward = at();
    logits.dispose();
    const beforeGrads = at();
    const pipelinesBefore = counter?.dispatchesByPipeline() ?? [];
    const { value, grads } = namedGradients(() => lossFn(config, trainingForward(), labels), params);
    const afterGrads = at();
    const tapedByPipeline = pipelineDifference(pipelinesBefore, counter?.dispatchesByPipeline() ?? []);
    const norm = optimizer.step(grads, { ...DEFAULT_ADAMW, lr: 5e-5 });
    const afterOptimizer = at();
    await value.data();
    const afterRead = at();
    tf.dispose([value, norm, ...Object.values(grads)]);
    if (!start || !afterForward || !beforeGrads || !afterGrads || !afterOptimizer || !afterRead) return null;
    const forwardCounts = gpuWorkBetween(start, afterForward);
    return {
      forward: forwardCounts,
      backward: gpuWorkBetween(forwardCounts, gpuWorkBetween(beforeGrads, afterGrads)),
      optimizer: gpuWorkBetween(afterGrads, afterOptimizer),
      whole: gpuWorkBetween(beforeGrads, afterOptimizer),
      lossRead: gpuWorkBetween(afterOptimizer, afterRead),
      tapedByPipeline,
      optimizerEngine: optimizer.engineName,
    };
  };
  try {
    log('warm-up step');
    await step();
    log('counted step');
    const counter = countGpuWork(device, {
      ...(options.bufferPrototype ? { bufferPrototype: options.bufferPrototype } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
    });
    let counted;
    device.pushErrorScope('validation');
    try {
      counted = await step(counter);
    } finally {
      counter.restore();
    }
    const invalid = await device.popErrorScope();
    if (!counted) throw new Error('the counted step returned no counts');
    log(`forward+backward by pipeline: ${counted.tapedByPipeline.map(([l, n]) => `${l} ${n}`).join(', ')}`);
    return invalid ? { ...counted, refused: invalid.message.split('\n')[0] ?? '' } : counted;
  } finally {
    tf.dispose([ids, mask, labels]);
    optimizer.dispose();
    disposeParams(params);
  }
}
