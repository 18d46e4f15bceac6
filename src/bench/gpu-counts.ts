// What a training step asks of a GPU, counted rather than timed: compute dispatches, GPU→CPU
// reads, buffer allocations and bytes uploaded per forward pass, backward pass and AdamW step, on
// tfjs-backend-webgpu in Node through Dawn (the `webgpu` package; here on whatever adapter Dawn
// finds, SwiftShader without a GPU driver). The counts do not depend on how fast the adapter is,
// so a software adapter gives the figures a real GPU would see; they are the baseline the fused
// kernels are measured against.
import * as tf from '@tensorflow/tfjs-core';
import { type CountOptions, type GpuWorkCounts, describeAdapter } from '../core/backend/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { countTrainingStep, type CountedStep, type CountingDevice } from './gpu-count-step.ts';
import { DISTILBERT_BASE_DIMS, type ModelDims } from './model-step.ts';
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
  const device = (tf.backend() as unknown as { device: CountingDevice }).device;
  const bufferPrototype = (globalThis as { GPUBuffer?: { prototype: CountOptions['bufferPrototype'] } })
    .GPUBuffer?.prototype;
  const counted = await countTrainingStep({
    device,
    backend: tf.backend() as unknown as CountOptions['backend'],
    ...(bufferPrototype ? { bufferPrototype } : {}),
    dims,
    batch,
    seqLength,
    log: (message) => log(`gpu-counts bench: ${message} (${where})`),
  });
  return gpuCountRows(counted, where, dims, batch, seqLength);
}

/** The bench rows of one counted step, wherever it was counted. */
export function gpuCountRows(
  counted: CountedStep,
  where: string,
  dims: ModelDims,
  batch: number,
  seqLength: number,
): BenchRow[] {
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
  }
  const whole = rows.find((r) => r.name.startsWith('whole step') && r.unit === 'dispatches');
  if (whole) {
    whole.note = `forward and backward on the tape (gradient checkpointing), AdamW (${counted.optimizerEngine} engine); the loss is read after the step, asynchronously; after one warm-up step`;
  }
  if (counted.refused && whole) {
    // The counts are what was encoded; a pipeline the adapter refused never ran.
    whole.note += `; the adapter refused part of the step: ${counted.refused}`;
  }
  return rows;
}
