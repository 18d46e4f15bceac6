// The GPU benchmark: the studio's model and training steps on tfjs-backend-webgpu in Node through
// Dawn (the `webgpu` package), on whatever adapter the machine has, beside the same steps in
// Hugging Face transformers on PyTorch CUDA when PyTorch sees a CUDA device. PyTorch's reference
// is fp32 with TF32 off (the precision tfjs computes in); TF32 and bf16 autocast are extra rows.
// `--quick` runs it at toy sizes, on SwiftShader without a GPU, to check that every path runs.
import * as tf from '@tensorflow/tfjs-core';
import { describeAdapter } from '../core/backend/index.ts';
import { disposeParams, initParams } from '../core/model/index.ts';
import type { TrainModel } from '../core/train/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { pythonAvailability, runPython } from '../node/python.ts';
import {
  benchConfig,
  DISTILBERT_BASE_DIMS,
  median,
  modelStep,
  QUICK_DIMS,
  type ModelDims,
} from './model-step.ts';
import type { BenchRow } from './table.ts';
import { headEpoch } from './train.ts';
import { timeSteps } from './train-step.ts';

export interface GpuBenchOptions {
  /** Default: distilbert-base (768 wide, 6 layers, 12 heads, FFN 3072, 30,522 words), 2 labels. */
  dims?: Partial<ModelDims>;
  /** Batch sizes of the forward and full fine-tuning steps (default 8 and 32). */
  batches?: number[];
  /** Tokens per example (default 128). */
  seqLength?: number;
  /** Timed steps per figure, after a warm-up step (default 5). */
  steps?: number;
  /** Examples in the head-only epoch over random cached features (default 10,000; 0 skips it). */
  headEpochExamples?: number;
  /** Compare with transformers on PyTorch CUDA when it is importable (default true). */
  pytorch?: boolean;
  onProgress?(message: string): void;
}

/** `--quick`: toy sizes that a software adapter runs in a minute, to check every path. */
export const GPU_QUICK: GpuBenchOptions = {
  dims: QUICK_DIMS,
  batches: [2],
  seqLength: 16,
  steps: 1,
  headEpochExamples: 500,
};

export type TorchPrecision = 'fp32' | 'tf32' | 'bf16';

export interface TorchMeasurement {
  precision: TorchPrecision;
  mode: 'forward' | 'full';
  batch: number;
  seqLength: number;
  msPerStep: number;
}

export type TorchResult =
  | { available: true; device: string; torch: string; rows: TorchMeasurement[] }
  | { available: false; reason: string };

const TORCH_SCRIPT = `
import contextlib, json, sys, time
spec = json.loads(sys.stdin.read())
try:
    import torch
    from transformers import DistilBertConfig, DistilBertForSequenceClassification
except Exception as error:
    print(json.dumps({'available': False, 'reason': f'PyTorch or transformers cannot be imported: {error}'}))
    sys.exit(0)
device = torch.device(spec['device'])
if device.type == 'cuda' and not torch.cuda.is_available():
    print(json.dumps({'available': False, 'reason': 'PyTorch sees no CUDA device'}))
    sys.exit(0)
sync = torch.cuda.synchronize if device.type == 'cuda' else (lambda: None)
d = spec['dims']
config = DistilBertConfig(dim=d['dim'], n_layers=d['nLayers'], n_heads=d['nHeads'], hidden_dim=d['hiddenDim'],
                          vocab_size=d['vocabSize'], num_labels=d['numLabels'])
def timed(fn, steps):
    fn()
    sync()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    n = len(times)
    return times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
rows = []
for precision in spec['precisions']:
    torch.backends.cuda.matmul.allow_tf32 = precision == 'tf32'
    torch.backends.cudnn.allow_tf32 = precision == 'tf32'
    torch.manual_seed(0)
    model = DistilBertForSequenceClassification(config).to(device)
    model.gradient_checkpointing_enable()  # as the studio trains
    named = list(model.named_parameters())
    no_decay = lambda n: n.endswith('bias') or 'LayerNorm' in n or 'layer_norm' in n
    optimizer = torch.optim.AdamW([
        {'params': [p for n, p in named if not no_decay(n)], 'weight_decay': 0.01},
        {'params': [p for n, p in named if no_decay(n)], 'weight_decay': 0.0},
    ], lr=5e-5)
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if precision == 'bf16' else contextlib.nullcontext
    for b in spec['batches']:
        t = spec['seqLength']
        ids = torch.randint(1000, d['vocabSize'], (b, t), device=device)
        mask = torch.ones(b, t, dtype=torch.long, device=device)
        labels = torch.randint(0, d['numLabels'], (b,), device=device)
        def forward():
            model.eval()
            with torch.no_grad(), autocast():
                model(input_ids=ids, attention_mask=mask)
        def full():
            model.train()
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        for mode, fn in (('forward', forward), ('full', full)):
            rows.append({'precision': precision, 'mode': mode, 'batch': b, 'seqLength': t,
                         'msPerStep': timed(fn, spec['steps'])})
    del model, optimizer
    if device.type == 'cuda':
        torch.cuda.empty_cache()
name = torch.cuda.get_device_name(0) if device.type == 'cuda' else 'cpu'
print(json.dumps({'available': True, 'device': name, 'torch': torch.__version__, 'rows': rows}))
`;

/**
 * The forward pass and the full fine-tuning step (with clipping and AdamW) in transformers on
 * PyTorch CUDA. `device: 'cpu'` runs the same script on the CPU, so that it is tested where no GPU is.
 */
export async function measureTorch(
  dims: ModelDims,
  batches: number[],
  seqLength: number,
  steps: number,
  precisions: TorchPrecision[] = ['fp32', 'tf32', 'bf16'],
  device: 'cuda' | 'cpu' = 'cuda',
): Promise<TorchResult> {
  const python = pythonAvailability();
  if (!python.available) return { available: false, reason: python.reason };
  const input = JSON.stringify({ dims, batches, seqLength, steps, precisions, device });
  const run = await runPython(['-c', TORCH_SCRIPT], { timeoutMs: 10 * 60_000, input });
  if (run.code !== 0) {
    return {
      available: false,
      reason: `the PyTorch CUDA steps failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`,
    };
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

const STEP_NAMES = { forward: 'forward (frozen)', full: 'full fine-tuning step' } as const;

/** The GPU suite for `npm run bench -- --only gpu`. */
export async function benchGpu(options: GpuBenchOptions = {}): Promise<BenchRow[]> {
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const batches = options.batches ?? [8, 32];
  const seqLength = options.seqLength ?? 128;
  const steps = options.steps ?? 5;
  const headExamples = options.headEpochExamples ?? 10_000;
  const log = options.onProgress ?? (() => undefined);
  const rows: BenchRow[] = [];

  await registerNodeGradients();
  const choice = await initNodeBackend('webgpu');
  if (choice.name !== 'webgpu') {
    return [
      {
        suite: 'gpu',
        name: 'WebGPU in Node',
        where: 'node webgpu (dawn)',
        value: NaN,
        unit: '',
        note: `skipped: ${choice.fallbacks.map((f) => f.reason).join('; ') || 'no WebGPU adapter'}`,
      },
    ];
  }
  const where = `node webgpu (dawn, ${describeAdapter(choice.adapter)})`;
  const dimsNote = `dim ${dims.dim}, ${dims.nLayers} layers, vocab ${dims.vocabSize}, random weights`;
  const config = benchConfig(dims);
  const model: TrainModel = { config, params: initParams(config, 0) };
  const ours = new Map<string, number>();
  const key = (mode: 'forward' | 'full', batch: number) => `${mode} ${batch}`;
  try {
    for (const batch of batches) {
      log(`gpu bench: forward b=${batch} t=${seqLength} (${where})`);
      const { step, dispose } = modelStep(config, model.params, 'forward', batch, seqLength);
      try {
        await step();
        const times: number[] = [];
        for (let i = 0; i < steps; i++) {
          const start = performance.now();
          await step();
          times.push(performance.now() - start);
        }
        const ms = median(times);
        ours.set(key('forward', batch), ms);
        rows.push({
          suite: 'gpu',
          name: `${STEP_NAMES.forward} b=${batch} t=${seqLength}`,
          where,
          value: (1000 * batch) / ms,
          unit: 'seq/s',
          note: `${ms.toFixed(1)} ms/step, median of ${steps}, logits read back; ${dimsNote}`,
        });
      } finally {
        dispose();
      }

      log(`gpu bench: full fine-tuning b=${batch} t=${seqLength} (${where})`);
      const timing = await timeSteps(model, 'full', config.nLayers, batch, seqLength, steps);
      ours.set(key('full', batch), timing.msPerStep);
      rows.push({
        suite: 'gpu',
        name: `${STEP_NAMES.full} b=${batch} t=${seqLength}`,
        where,
        value: timing.examplesPerSec,
        unit: 'examples/s',
        note: `${timing.msPerStep.toFixed(1)} ms/step (forward, backward, clipping, AdamW) through the training loop, median of ${steps}; gradient checkpointing (PyTorch too); ${dimsNote}`,
      });
    }
    if (headExamples > 0) {
      log(`gpu bench: head-only epoch over ${headExamples} cached features (${where})`);
      const epoch = await headEpoch(model, headExamples, 16, 3);
      rows.push({
        suite: 'gpu',
        name: `head-only epoch, ${headExamples.toLocaleString('en')} cached [${headExamples}, ${dims.dim}] features, b=16`,
        where,
        value: epoch.seconds,
        unit: 's/epoch',
        note: `${epoch.steps} steps; fastest of 3 epochs after a warm-up one (median ${epoch.median.toFixed(3)} s); goal < 0.5 s on a GPU`,
      });
    }
  } finally {
    disposeParams(model.params);
    tf.disposeVariables();
  }

  if (options.pytorch ?? true) {
    log('gpu bench: the same steps in transformers on PyTorch CUDA');
    const torch = await measureTorch(dims, batches, seqLength, steps);
    if (!torch.available) {
      rows.push({
        suite: 'gpu',
        name: 'PyTorch CUDA baseline',
        where: 'pytorch cuda',
        value: NaN,
        unit: '',
        note: `skipped: ${torch.reason}`,
      });
      return rows;
    }
    for (const m of torch.rows) {
      const name = `${STEP_NAMES[m.mode]} b=${m.batch} t=${m.seqLength}`;
      const precision =
        m.precision === 'fp32' ? 'fp32, TF32 off' : m.precision === 'tf32' ? 'TF32 matmuls' : 'bf16 autocast';
      rows.push({
        suite: 'gpu',
        name,
        where: `pytorch cuda ${m.precision} (${torch.device})`,
        value: (1000 * m.batch) / m.msPerStep,
        unit: m.mode === 'forward' ? 'seq/s' : 'examples/s',
        note: `${m.msPerStep.toFixed(1)} ms/step, median of ${steps}; torch ${torch.torch}, ${precision}`,
      });
      const ourMs = ours.get(key(m.mode, m.batch));
      const ourRow = rows.find((r) => r.name === name && r.where === where);
      if (m.precision === 'fp32' && ourMs !== undefined && ourRow) {
        ourRow.ratio = { against: 'PyTorch CUDA fp32', value: m.msPerStep / ourMs };
      }
    }
  }
  return rows;
}
