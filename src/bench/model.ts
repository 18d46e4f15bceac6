// Model throughput: forward and forward+backward of a DistilBERT with random weights, per
// backend, with peak memory and kernel dispatch counts, and the same steps in Hugging Face
// transformers on PyTorch CPU as the baseline measured in the same run.
// forward+backward runs with gradient checkpointing on both sides (see model-step.ts).
import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, disposeParams, initParams } from '../core/model/index.ts';
import { describeAdapter } from '../core/backend/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { pythonAvailability, runPython } from '../node/python.ts';
import {
  benchConfig,
  DISTILBERT_BASE_DIMS,
  median,
  modelStep,
  type ModelBenchMode,
  type ModelDims,
} from './model-step.ts';
import type { BenchRow } from './table.ts';

export { benchConfig, DISTILBERT_BASE_DIMS, median, type ModelBenchMode, type ModelDims };

export interface ModelBenchCase {
  backend: 'wasm' | 'cpu' | 'webgpu';
  batch: number;
  seqLength: number;
}

export interface ModelBenchOptions {
  /** Default: wasm at seq 128 with batch 8 and 32; cpu at batch 1, seq 32. */
  cases?: ModelBenchCase[];
  modes?: ModelBenchMode[];
  /** Default: distilbert-base (768 wide, 6 layers, 12 heads, FFN 3072, 30,522 words), 2 labels. */
  dims?: Partial<ModelDims>;
  /** Timed steps per measurement, after one untimed warm-up step (default 3). */
  iterations?: number;
  /** Also count kernel dispatches in one profiled step (default true). */
  countDispatches?: boolean;
  /** Run the same steps in transformers on PyTorch CPU (default true; skipped without Python). */
  pytorch?: boolean;
  /** WASM threads (default min(cores, 4)); PyTorch runs on the same count when given. */
  threads?: number;
  onProgress?(message: string): void;
}

export interface ModelMeasurement {
  backend: string;
  /** WASM's thread count. */
  threads?: number;
  adapter?: string;
  mode: ModelBenchMode;
  batch: number;
  seqLength: number;
  iterations: number;
  /** Median wall time of one step. */
  msPerStep: number;
  sequencesPerSec: number;
  tokensPerSec: number;
  /** Peak tf.memory().numBytes during a step. */
  peakTensorBytes: number;
  /** Peak process.memoryUsage().heapUsed seen between steps. */
  peakJsHeapBytes: number;
  dispatches?: { total: number; byOp: Record<string, number> };
}

export const DEFAULT_MODEL_CASES: ModelBenchCase[] = [
  { backend: 'wasm', batch: 8, seqLength: 128 },
  { backend: 'wasm', batch: 32, seqLength: 128 },
  // The software backends are far slower: measured at a size they finish in reasonable time.
  { backend: 'cpu', batch: 1, seqLength: 32 },
];

/** Times `iterations` steps of one mode on the current backend. */
export async function measure(
  config: ModelConfig,
  params: ReturnType<typeof initParams>,
  mode: ModelBenchMode,
  batch: number,
  seqLength: number,
  iterations: number,
  countDispatches: boolean,
): Promise<Omit<ModelMeasurement, 'backend' | 'adapter'>> {
  const { step, dispose } = modelStep(config, params, mode, batch, seqLength);
  let peakJsHeapBytes = process.memoryUsage().heapUsed;
  let peakTensorBytes = tf.memory().numBytes;
  try {
    await step(); // warm-up: kernel compilation, buffer pools
    const times: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const start = performance.now();
      await step();
      times.push(performance.now() - start);
      peakJsHeapBytes = Math.max(peakJsHeapBytes, process.memoryUsage().heapUsed);
    }
    let dispatches: ModelMeasurement['dispatches'];
    if (countDispatches) {
      const profile = await tf.profile(step);
      peakTensorBytes = Math.max(peakTensorBytes, profile.peakBytes);
      const byOp: Record<string, number> = {};
      for (const kernel of profile.kernels) byOp[kernel.name] = (byOp[kernel.name] ?? 0) + 1;
      dispatches = { total: profile.kernels.length, byOp };
    }
    const msPerStep = median(times);
    const result: Omit<ModelMeasurement, 'backend' | 'adapter'> = {
      mode,
      batch,
      seqLength,
      iterations,
      msPerStep,
      sequencesPerSec: (1000 * batch) / msPerStep,
      tokensPerSec: (1000 * batch * seqLength) / msPerStep,
      peakTensorBytes,
      peakJsHeapBytes,
    };
    if (dispatches) result.dispatches = dispatches;
    return result;
  } finally {
    dispose();
  }
}

/** Every (case, mode) measurement on the tfjs backends, in order. */
export async function measureModel(options: ModelBenchOptions = {}): Promise<ModelMeasurement[]> {
  const dims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const config = benchConfig(dims);
  const modes = options.modes ?? ['forward', 'forward+backward'];
  const cases = options.cases ?? DEFAULT_MODEL_CASES;
  const log = options.onProgress ?? (() => undefined);
  if (modes.includes('forward+backward')) await registerNodeGradients();
  const out: ModelMeasurement[] = [];
  for (const backendName of [...new Set(cases.map((c) => c.backend))]) {
    const choice = await initNodeBackend(backendName, { threads: options.threads });
    if (choice.name !== backendName) {
      log(
        `model bench: ${backendName} is not available here (${choice.fallbacks.map((f) => f.reason).join('; ')}), skipped`,
      );
      continue;
    }
    const adapter = describeAdapter(choice.adapter);
    const params = initParams(config, 0);
    try {
      for (const c of cases.filter((x) => x.backend === backendName)) {
        for (const mode of modes) {
          log(`model bench: ${backendName} ${mode} batch ${c.batch} seq ${c.seqLength}`);
          const m = await measure(
            config,
            params,
            mode,
            c.batch,
            c.seqLength,
            options.iterations ?? 3,
            options.countDispatches ?? true,
          );
          out.push({
            backend: backendName,
            ...(adapter ? { adapter } : {}),
            ...(choice.threads !== undefined ? { threads: choice.threads } : {}),
            ...m,
          });
        }
      }
    } finally {
      disposeParams(params);
    }
  }
  return out;
}

/**
 * Python for the PyTorch baselines: `median_ms` times `step` after one untimed warm-up call, as
 * our side does; `classifier_step` is one forward pass, or forward and backward, of a sequence
 * classifier on fixed ids. The scripts import time and torch before it.
 */
export const PYTORCH_TIMING = `
def median_ms(step, iterations):
    step()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2

def classifier_step(model, mode, ids, mask, labels):
    def step():
        if mode == 'forward':
            model.eval()
            with torch.no_grad():
                model(input_ids=ids, attention_mask=mask)
        else:
            model.train()
            model.zero_grad(set_to_none=True)
            model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
    return step
`;

const PYTORCH_SCRIPT = `
import json, sys, time, torch
from transformers import DistilBertConfig, DistilBertForSequenceClassification
${PYTORCH_TIMING}
spec = json.loads(sys.stdin.read())
if spec.get('threads'):
    torch.set_num_threads(spec['threads'])
d = spec['dims']
config = DistilBertConfig(dim=d['dim'], n_layers=d['nLayers'], n_heads=d['nHeads'], hidden_dim=d['hiddenDim'],
                          vocab_size=d['vocabSize'], num_labels=d['numLabels'])
torch.manual_seed(0)
model = DistilBertForSequenceClassification(config)
model.gradient_checkpointing_enable()  # only takes effect in train mode, as in the studio's step
out = []
for case in spec['cases']:
    b, t = case['batch'], case['seqLength']
    ids = torch.randint(1000, d['vocabSize'], (b, t))
    mask = torch.ones(b, t, dtype=torch.long)
    labels = torch.randint(0, d['numLabels'], (b,))
    for mode in spec['modes']:
        ms = median_ms(classifier_step(model, mode, ids, mask, labels), spec['iterations'])
        out.append({'mode': mode, 'batch': b, 'seqLength': t, 'msPerStep': ms, 'threads': torch.get_num_threads()})
print(json.dumps(out))
`;

export interface PytorchMeasurement {
  mode: ModelBenchMode;
  batch: number;
  seqLength: number;
  msPerStep: number;
  threads: number;
}

/** The same steps in transformers' DistilBertForSequenceClassification on PyTorch CPU. */
export async function measurePytorch(
  options: Pick<ModelBenchOptions, 'cases' | 'modes' | 'dims' | 'iterations' | 'threads'> = {},
): Promise<PytorchMeasurement[]> {
  const dims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const sizes = new Map<string, { batch: number; seqLength: number }>();
  for (const c of options.cases ?? DEFAULT_MODEL_CASES)
    sizes.set(`${c.batch}x${c.seqLength}`, { batch: c.batch, seqLength: c.seqLength });
  const input = JSON.stringify({
    dims,
    cases: [...sizes.values()],
    modes: options.modes ?? ['forward', 'forward+backward'],
    iterations: options.iterations ?? 3,
    threads: options.threads ?? null,
  });
  const run = await runPython(['-c', PYTORCH_SCRIPT], { timeoutMs: 30 * 60_000, input });
  if (run.code !== 0)
    throw new Error(`the PyTorch baseline failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as PytorchMeasurement[];
}

export const mb = (bytes: number): number => bytes / 1e6;

/** The most dispatched kernels, "Add 89, Reshape 82, …". */
export function topOps(byOp: Record<string, number>, count = 6): string {
  return Object.entries(byOp)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
}

/** The PyTorch baseline's throughput as table rows of a suite. */
export function pytorchRows(suite: string, measured: readonly PytorchMeasurement[]): BenchRow[] {
  return measured.map((b) => ({
    suite,
    name: `${b.mode} b=${b.batch} t=${b.seqLength}`,
    where: 'pytorch cpu',
    value: (1000 * b.batch) / b.msPerStep,
    unit: 'seq/s',
    threads: b.threads,
    note: `${b.msPerStep.toFixed(0)} ms/step; transformers DistilBertForSequenceClassification, ${b.threads} thread(s)`,
  }));
}

/**
 * The model suite for `npm run bench`: throughput on each backend, the PyTorch CPU baseline and
 * the ratio ours/PyTorch in the same run, peak memory and kernel dispatches per step.
 */
export async function benchModel(options: ModelBenchOptions = {}): Promise<BenchRow[]> {
  const dims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const dimsNote = `dim ${dims.dim}, ${dims.nLayers} layers, ${dims.nHeads} heads, FFN ${dims.hiddenDim}, vocab ${dims.vocabSize}, random weights`;
  const ours = await measureModel(options);
  let baseline: PytorchMeasurement[] = [];
  let baselineNote: string | undefined;
  if (options.pytorch ?? true) {
    const python = pythonAvailability();
    if (!python.available) {
      baselineNote = `PyTorch baseline skipped: ${python.reason}`;
      options.onProgress?.(baselineNote);
    } else {
      options.onProgress?.('model bench: PyTorch CPU baseline');
      baseline = await measurePytorch(options);
    }
  }
  const rows: BenchRow[] = [];
  for (const m of ours) {
    const name = `${m.mode} b=${m.batch} t=${m.seqLength}`;
    const where = `node ${m.backend}${m.adapter ? ` (${m.adapter})` : ''}`;
    const torch = baseline.find(
      (b) => b.mode === m.mode && b.batch === m.batch && b.seqLength === m.seqLength,
    );
    const seqRow: BenchRow = {
      suite: 'model',
      name,
      where,
      value: m.sequencesPerSec,
      unit: 'seq/s',
      ...(m.threads !== undefined ? { threads: m.threads } : {}),
      note: `${m.msPerStep.toFixed(0)} ms/step, median of ${m.iterations}; ${dimsNote}${
        m.mode === 'forward+backward' ? '; gradient checkpointing (PyTorch too)' : ''
      }`,
    };
    if (torch) seqRow.ratio = { against: 'PyTorch CPU', value: torch.msPerStep / m.msPerStep };
    rows.push(seqRow);
    rows.push({ suite: 'model', name, where, value: m.tokensPerSec, unit: 'tokens/s' });
    rows.push({
      suite: 'model',
      name,
      where,
      value: mb(m.peakTensorBytes),
      unit: 'MB peak tf.memory (weights included)',
    });
    rows.push({ suite: 'model', name, where, value: mb(m.peakJsHeapBytes), unit: 'MB peak JS heap' });
    if (m.dispatches) {
      rows.push({
        suite: 'model',
        name,
        where,
        value: m.dispatches.total,
        unit: 'kernel dispatches/step',
        note: topOps(m.dispatches.byOp),
      });
    }
  }
  rows.push(...pytorchRows('model', baseline));
  if (baselineNote)
    rows.push({
      suite: 'model',
      name: 'PyTorch baseline',
      where: 'pytorch cpu',
      value: NaN,
      unit: '',
      note: baselineNote,
    });
  return rows;
}
