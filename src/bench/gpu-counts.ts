// What a training step asks of a GPU, counted rather than timed: compute dispatches, GPU→CPU
// reads, buffer allocations and bytes uploaded per forward pass, backward pass and AdamW step, on
// tfjs-backend-webgpu in Node through Dawn (the `webgpu` package; here on whatever adapter Dawn
// finds, SwiftShader without a GPU driver). The counts do not depend on how fast the adapter is,
// so a software adapter gives the figures a real GPU would see; they are the baseline the fused
// kernels are measured against.
import * as tf from '@tensorflow/tfjs-core';
import {
  countGpuWork,
  gpuWorkBetween,
  type CountableDevice,
  type CountOptions,
  type GpuWorkCounts,
} from '../core/backend/gpu-counter.ts';
import { describeAdapter } from '../core/backend/select.ts';
import { forward, lossFn } from '../core/model/distilbert.ts';
import { disposeParams, initParams } from '../core/model/index.ts';
import { namedGradients } from '../core/train/gradients.ts';
import { AdamW, DEFAULT_ADAMW } from '../core/train/adamw/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { benchConfig, DISTILBERT_BASE_DIMS, type ModelDims } from './model-step.ts';
import type { BenchRow } from './table.ts';

export interface GpuCountsBenchOptions {
  dims?: Partial<ModelDims>;
  batch?: number;
  seqLength?: number;
  onProgress?(message: string): void;
}

type Phase = 'forward' | 'backward' | 'optimizer step' | 'whole step' | 'loss read';

function rowsOf(name: string, where: string, phase: Phase, counts: GpuWorkCounts): BenchRow[] {
  const row = (value: number, unit: string): BenchRow => ({
    suite: 'gpu-counts',
    name: `${phase}, ${name}`,
    where,
    value,
    unit,
  });
  return [
    row(counts.dispatches, 'dispatches'),
    row(counts.reads, 'GPU→CPU reads'),
    row(counts.syncReads, 'synchronous reads'),
    row(counts.bufferAllocations, 'buffer allocations'),
    row(counts.bytesUploaded / 1e6, 'MB uploaded'),
  ];
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

/** The counts of one forward, backward and AdamW step on the WebGPU backend in Node. */
export async function benchGpuCounts(options: GpuCountsBenchOptions = {}): Promise<BenchRow[]> {
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const batch = options.batch ?? 1;
  const seqLength = options.seqLength ?? 32;
  const log = options.onProgress ?? (() => undefined);
  const choice = await initNodeBackend('webgpu');
  if (choice.name !== 'webgpu') {
    return [
      {
        suite: 'gpu-counts',
        name: 'WebGPU in Node',
        where: 'node webgpu (dawn)',
        value: NaN,
        unit: '',
        note: `skipped: ${choice.fallbacks.map((f) => f.reason).join('; ') || 'no WebGPU adapter'}`,
      },
    ];
  }
  await registerNodeGradients();
  const where = `node webgpu (dawn, ${describeAdapter(choice.adapter)})`;
  const device = (
    tf.backend() as unknown as {
      device: CountableDevice & {
        pushErrorScope(filter: 'validation'): void;
        popErrorScope(): Promise<{ message: string } | null>;
      };
    }
  ).device;
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
  // One step as the training loop takes it: forward and backward on the tape, then AdamW. The
  // loop reads losses asynchronously, batched at most at the UI's update rate, never inside a
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
    const forwardAndBackward = gpuWorkBetween(beforeGrads, afterGrads);
    return {
      forward: forwardCounts,
      // The backward pass: the taped step less one forward (the tape's own forward; with gradient
      // checkpointing each block's forward runs once more inside it, and that counts as backward).
      backward: gpuWorkBetween(forwardCounts, forwardAndBackward),
      optimizer: gpuWorkBetween(afterGrads, afterOptimizer),
      whole: gpuWorkBetween(beforeGrads, afterOptimizer),
      lossRead: gpuWorkBetween(afterOptimizer, afterRead),
      tapedByPipeline,
    };
  };
  try {
    log(`gpu-counts bench: warm-up step (${where})`);
    await step();
    log('gpu-counts bench: counted step');
    const bufferPrototype = (globalThis as { GPUBuffer?: { prototype: CountOptions['bufferPrototype'] } })
      .GPUBuffer?.prototype;
    const backend = tf.backend() as unknown as CountOptions['backend'];
    const counter = countGpuWork(device, { ...(bufferPrototype ? { bufferPrototype } : {}), backend });
    let counted;
    device.pushErrorScope('validation');
    try {
      counted = await step(counter);
    } finally {
      counter.restore();
    }
    const invalid = await device.popErrorScope();
    if (!counted) throw new Error('the counted step returned no counts');
    const name = `b=${batch} t=${seqLength}, dim ${dims.dim}, ${dims.nLayers} layers`;
    const rows = [
      ...rowsOf(name, where, 'forward', counted.forward),
      ...rowsOf(name, where, 'backward', counted.backward),
      ...rowsOf(name, where, 'optimizer step', counted.optimizer),
      ...rowsOf(name, where, 'whole step', counted.whole),
      ...rowsOf(name, where, 'loss read', counted.lossRead),
    ];
    const backward = rows.find((r) => r.name.startsWith('backward') && r.unit === 'dispatches');
    if (backward) {
      const taped = counted.tapedByPipeline.map(([label, count]) => `${label} ${count}`).join(', ');
      backward.note = `forward+backward on the tape by pipeline: ${taped}`;
      log(`gpu-counts bench: ${backward.note}`);
    }
    const whole = rows.find((r) => r.name.startsWith('whole step') && r.unit === 'dispatches');
    if (whole) {
      whole.note = `forward and backward on the tape (gradient checkpointing), AdamW (${optimizer.engineName} engine); the loss is read after the step, asynchronously; after one warm-up step`;
    }
    if (invalid && whole) {
      // The counts are what was encoded; a pipeline the adapter refused never ran.
      whole.note += `; the adapter refused part of the step: ${invalid.message.split('\n')[0]}`;
    }
    return rows;
  } finally {
    tf.dispose([ids, mask, labels]);
    optimizer.dispose();
    disposeParams(params);
  }
}
