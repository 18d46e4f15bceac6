// Training throughput through the real training loop (TrainController): head-only on cached
// features, top-2 with a cached bottom, and full fine-tuning, at distilbert-base dims and
// sequence length 128 on WASM in Node; the head-only epoch over 10,000 cached examples; and the
// same full fine-tuning step in Hugging Face transformers on PyTorch CPU as the baseline.
import { describeAdapter } from '../core/backend/index.ts';
import { disposeParams, initParams } from '../core/model/index.ts';
import {
  type TrainMode,
  defaultTrainConfig,
  MemoryFeatureCache,
  trainModel,
  type TrainModel,
} from '../core/train/index.ts';
import { createRng } from '../core/util/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { pythonAvailability, runPython } from '../node/python.ts';
import { benchConfig, DISTILBERT_BASE_DIMS, median, PYTORCH_TIMING, type ModelDims } from './model.ts';
import type { BenchRow } from './table.ts';
import { dataset, randomSplit, timeSteps } from './train-step.ts';

export type TrainBenchCase = 'head' | 'top-2' | 'full';

export interface TrainBenchOptions {
  /** Default: distilbert-base (768 wide, 6 layers, 12 heads, FFN 3072, 30,522 words), 2 labels. */
  dims?: Partial<ModelDims>;
  backend?: 'wasm' | 'cpu' | 'webgpu';
  seqLength?: number;
  /** Batch of the top-2 and full steps (default 8: a distilbert-base step on WASM takes seconds). */
  batchSize?: number;
  /**
   * The full fine-tuning step may run its batch as micro-batches of this size with gradient
   * accumulation (default: the whole batch at once). The step trains as the studio does, with
   * gradient checkpointing; without it a distilbert-base batch of 8 at seq 128 needs more than the
   * 4 GB a 32-bit WebAssembly heap can address. The optimizer updates once per `batchSize`
   * examples either way, like the PyTorch baseline.
   */
  fullMicroBatch?: number;
  /** Timed optimizer steps per case, after one untimed warm-up step (default 3). */
  steps?: number;
  cases?: TrainBenchCase[];
  /** Examples in the head-only epoch over random cached features (default 10,000). */
  headEpochExamples?: number;
  /** Batch of the head-only epoch (default 16, the training default). */
  headBatchSize?: number;
  /**
   * Timed head-only epochs after an untimed warm-up epoch; the fastest is reported, since other
   * work on a shared machine only ever adds time (default 3).
   */
  headEpochs?: number;
  /** Run the full fine-tuning step in transformers on PyTorch CPU (default true; skipped without Python). */
  pytorch?: boolean;
  /** WASM threads (default min(cores, 4)); PyTorch runs on the same count when given. */
  threads?: number;
  onProgress?(message: string): void;
}

/**
 * Head-only epochs over `n` random cached features: the "retrain feels instant" number. One
 * warm-up epoch (kernels compile, buffer pools fill), then `timed` epochs in the same run.
 */
export async function headEpoch(
  model: TrainModel,
  n: number,
  batch: number,
  timed: number,
): Promise<{ seconds: number; median: number; steps: number }> {
  const dim = model.config.dim;
  const cache = new MemoryFeatureCache(new Int32Array(n).fill(1), dim);
  const rng = createRng('head-features');
  const values = new Float32Array(n * dim);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  cache.write(
    Int32Array.from({ length: n }, (_, i) => i),
    values,
    1,
  );
  const data = dataset(randomSplit(n, 2, model.config, 'head-epoch'), model.config, 8);
  const epochs: number[] = [];
  const result = await trainModel(
    {
      model,
      data,
      config: { ...defaultTrainConfig('head'), batchSize: batch, epochs: 1 + timed },
      featureCaches: { train: cache },
    },
    (event) => event.type === 'epoch' && epochs.push(event.seconds),
  );
  cache.dispose();
  const times = epochs.slice(1);
  return { seconds: Math.min(...times), median: median(times), steps: result.steps / (1 + timed) };
}

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
model = DistilBertForSequenceClassification(config).train()
model.gradient_checkpointing_enable()  # as the studio trains
decay = [p for n, p in model.named_parameters() if not (n.endswith('bias') or 'LayerNorm' in n or 'layer_norm' in n)]
no_decay = [p for n, p in model.named_parameters() if n.endswith('bias') or 'LayerNorm' in n or 'layer_norm' in n]
optimizer = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': no_decay, 'weight_decay': 0.0}], lr=5e-5)
b, t = spec['batch'], spec['seqLength']
ids = torch.randint(1000, d['vocabSize'], (b, t))
mask = torch.ones(b, t, dtype=torch.long)
labels = torch.randint(0, d['numLabels'], (b,))
def step():
    optimizer.zero_grad(set_to_none=True)
    model(input_ids=ids, attention_mask=mask, labels=labels).loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
ms = median_ms(step, spec['steps'])
print(json.dumps({'msPerStep': ms, 'threads': torch.get_num_threads()}))
`;

/** The full fine-tuning step (forward, backward, clipping, AdamW) in transformers on PyTorch CPU. */
export async function pytorchFullStep(
  dims: ModelDims,
  batch: number,
  seqLength: number,
  steps: number,
  threads?: number,
): Promise<{ msPerStep: number; threads: number }> {
  const input = JSON.stringify({ dims, batch, seqLength, steps, threads: threads ?? null });
  const run = await runPython(['-c', PYTORCH_SCRIPT], { timeoutMs: 30 * 60_000, input });
  if (run.code !== 0) {
    throw new Error(`the PyTorch baseline failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { msPerStep: number; threads: number };
}

/** The training suite for `npm run bench`. */
export async function benchTrain(options: TrainBenchOptions = {}): Promise<BenchRow[]> {
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const seqLength = options.seqLength ?? 128;
  const batch = options.batchSize ?? 8;
  const fullMicroBatch = Math.min(batch, options.fullMicroBatch ?? batch);
  if (!(Number.isInteger(fullMicroBatch) && fullMicroBatch >= 1 && batch % fullMicroBatch === 0)) {
    throw new Error(`the full step's micro-batch (${fullMicroBatch}) must divide its batch (${batch})`);
  }
  const steps = options.steps ?? 3;
  const cases = options.cases ?? ['head', 'top-2', 'full'];
  const headExamples = options.headEpochExamples ?? 10_000;
  const headBatch = options.headBatchSize ?? 16;
  const headEpochs = options.headEpochs ?? 3;
  const log = options.onProgress ?? (() => undefined);
  const backendName = options.backend ?? 'wasm';
  const rows: BenchRow[] = [];

  await registerNodeGradients();
  const choice = await initNodeBackend(backendName, { threads: options.threads });
  if (choice.name !== backendName) {
    return [
      {
        suite: 'train',
        name: 'training throughput',
        where: `node ${backendName}`,
        value: NaN,
        unit: '',
        note: `skipped: ${choice.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`,
      },
    ];
  }
  const adapter = describeAdapter(choice.adapter);
  const where = `node ${backendName}${adapter ? ` (${adapter})` : ''}`;
  const dimsNote = `dim ${dims.dim}, ${dims.nLayers} layers, vocab ${dims.vocabSize}, random weights`;
  const config = benchConfig(dims);
  const model: TrainModel = { config, params: initParams(config, 0) };
  let fullMs: number | null = null;
  try {
    for (const c of cases) {
      const mode: TrainMode = c === 'top-2' ? 'top-k' : c;
      const caseBatch = c === 'head' ? headBatch : batch;
      const micro = c === 'full' ? fullMicroBatch : caseBatch;
      const inParts = micro < caseBatch ? ` (${caseBatch / micro} × ${micro} accumulated)` : '';
      log(`train bench: ${c} batch ${caseBatch}${inParts} seq ${seqLength} on ${backendName}`);
      const timing = await timeSteps(model, mode, 2, caseBatch, seqLength, steps, micro);
      const name = `${c === 'head' ? 'head-only (cached)' : c === 'top-2' ? 'top-2 + head (cached bottom)' : 'full fine-tuning'} b=${caseBatch}${inParts} t=${seqLength}`;
      const row: BenchRow = {
        suite: 'train',
        name,
        where,
        value: timing.examplesPerSec,
        unit: 'examples/s',
        ...(choice.threads !== undefined ? { threads: choice.threads } : {}),
        note:
          `${timing.msPerStep.toFixed(0)} ms/step (forward, backward, AdamW), median of ${steps}; ${dimsNote}` +
          (c === 'head' ? '' : '; gradient checkpointing (PyTorch too)') +
          (inParts ? `; in micro-batches of ${micro} with gradient accumulation` : ''),
      };
      if (c === 'full') fullMs = timing.msPerStep;
      rows.push(row);
      rows.push({ suite: 'train', name, where, value: timing.tokensPerSec, unit: 'tokens/s' });
      if (c !== 'full') {
        rows.push({
          suite: 'train',
          name,
          where,
          value: (caseBatch * (steps + 1)) / timing.prepareSec,
          unit: 'examples/s cached',
          note: `frozen ${c === 'head' ? 'encoder' : 'bottom'} run once over the examples before training`,
        });
      }
    }
    if (headExamples > 0) {
      log(`train bench: head-only epoch over ${headExamples} cached examples`);
      const epoch = await headEpoch(model, headExamples, headBatch, headEpochs);
      rows.push({
        suite: 'train',
        name: `head-only epoch, ${headExamples.toLocaleString('en')} cached [${headExamples}, ${dims.dim}] features, b=${headBatch}`,
        where,
        value: epoch.seconds,
        unit: 's/epoch',
        note: `${epoch.steps} steps, ${(headExamples / epoch.seconds).toFixed(0)} examples/s; fastest of ${headEpochs} epochs after a warm-up one (median ${epoch.median.toFixed(2)} s); goal < 2 s on WASM, < 0.5 s on a GPU`,
      });
    }
  } finally {
    disposeParams(model.params);
  }

  if (cases.includes('full') && (options.pytorch ?? true)) {
    const python = pythonAvailability();
    if (!python.available) {
      rows.push({
        suite: 'train',
        name: 'PyTorch baseline',
        where: 'pytorch cpu',
        value: NaN,
        unit: '',
        note: `skipped: ${python.reason}`,
      });
    } else {
      log('train bench: PyTorch CPU baseline');
      const torch = await pytorchFullStep(dims, batch, seqLength, steps, options.threads);
      rows.push({
        suite: 'train',
        name: `full fine-tuning b=${batch} t=${seqLength}`,
        where: 'pytorch cpu',
        value: (1000 * batch) / torch.msPerStep,
        unit: 'examples/s',
        threads: torch.threads,
        note: `${torch.msPerStep.toFixed(0)} ms/step; transformers + torch.optim.AdamW with clipping, ${torch.threads} thread(s)`,
      });
      const full = rows.find(
        (r) => r.name.startsWith('full fine-tuning') && r.unit === 'examples/s' && r.where === where,
      );
      if (full && fullMs !== null) full.ratio = { against: 'PyTorch CPU', value: torch.msPerStep / fullMs };
    }
  }
  return rows;
}
