// The inference engines side by side: the frozen encoder's forward pass (first-token features, the
// head-only cache) on tfjs, onnxruntime-web's wasm build in Node and onnxruntime-node, at sequence
// length 128 and batch 8 and 32, against transformers' DistilBertModel on PyTorch CPU in the same
// run; and head-only training end to end as a user meets it (Banking77 texts, max length 64,
// feature caching then 3 epochs) on each engine against PyTorch doing the same job.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { readCsvTable } from '../core/csv/parse.ts';
import { bytesFromArray } from '../core/csv/source.ts';
import { encodeTexts } from '../core/tokenize/encode.ts';
import { loadTokenizer } from '../core/tokenize/tokenizer.ts';
import type { EncodedSplit } from '../core/tokenize/types.ts';
import { defaultTrainConfig } from '../core/train/config.ts';
import { padBatch, rowsByLength } from '../core/train/data.ts';
import { MemoryFeatureCache } from '../core/train/feature-cache.ts';
import { trainModel } from '../core/train/trainer/index.ts';
import { bertTokenizerDir, dataDir } from '../node/paths.ts';
import type { DistilBertConfig } from '../core/model/config.ts';
import { disposeParams, initParams } from '../core/model/index.ts';
import {
  ModelGraphs,
  openForwardEngine,
  type EngineKind,
  type ForwardEngine,
  type TokenBatch,
} from '../core/infer/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { loadNodeOrt } from '../node/ort-runtime.ts';
import { pythonAvailability, runPython } from '../node/python.ts';
import { createRng } from '../core/util/random.ts';
import { benchConfig, DISTILBERT_BASE_DIMS, median, type ModelDims } from './model.ts';
import type { BenchRow } from './table.ts';

export interface EnginesBenchOptions {
  dims?: Partial<ModelDims>;
  /** Forward-pass batch sizes at `seqLength` (default 8 and 32). */
  batches?: number[];
  seqLength?: number;
  /** Timed forward passes per figure, after one untimed warm-up (default 3). */
  iterations?: number;
  engines?: EngineKind[];
  /** Threads for the ONNX Runtime engines (default: every core, as PyTorch uses). */
  threads?: number;
  pytorch?: boolean;
  /** Banking77 train rows of the head-only run, evenly spaced over the file (default 2,000; 0 skips it). */
  headRows?: number;
  /** Max length of the head-only run (default 64). */
  headMaxLength?: number;
  onProgress?(message: string): void;
}

const ENGINES: EngineKind[] = ['tfjs', 'onnxruntime-web-wasm', 'onnxruntime-node'];

function randomBatch(batchSize: number, seqLength: number, vocabSize: number, seed: string): TokenBatch {
  const rng = createRng(seed);
  const ids = new Int32Array(batchSize * seqLength);
  for (let i = 0; i < ids.length; i++) ids[i] = 1000 + rng.int(vocabSize - 1000);
  return { ids, mask: new Int32Array(ids.length).fill(1), batchSize, seqLength };
}

/** Opens the engine of `kind` over the model's features graph; tfjs runs on the WASM backend. */
export async function benchEngine(
  kind: EngineKind,
  model: { config: DistilBertConfig; params: ReturnType<typeof initParams> },
  graphs: ModelGraphs,
  threads: number,
): Promise<ForwardEngine> {
  const loaded = await loadNodeOrt({ engine: kind, threads });
  return openForwardEngine({ runtime: loaded.runtime, ...model, graphs, output: { kind: 'features' } });
}

const PYTORCH_FORWARD = `
import json, sys, time, torch
from transformers import DistilBertConfig, DistilBertModel
spec = json.loads(sys.stdin.read())
d = spec['dims']
config = DistilBertConfig(dim=d['dim'], n_layers=d['nLayers'], n_heads=d['nHeads'], hidden_dim=d['hiddenDim'],
                          vocab_size=d['vocabSize'])
torch.manual_seed(0)
model = DistilBertModel(config).eval()
out = []
for b in spec['batches']:
    t = spec['seqLength']
    ids = torch.randint(1000, d['vocabSize'], (b, t))
    mask = torch.ones(b, t, dtype=torch.long)
    def step():
        with torch.no_grad():
            model(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0]
    step()
    times = []
    for _ in range(spec['iterations']):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    n = len(times)
    ms = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    out.append({'batch': b, 'msPerStep': ms, 'threads': torch.get_num_threads()})
print(json.dumps(out))
`;

async function pytorchForward(
  dims: ModelDims,
  batches: number[],
  seqLength: number,
  iterations: number,
): Promise<{ batch: number; msPerStep: number; threads: number }[]> {
  const input = JSON.stringify({ dims, batches, seqLength, iterations });
  const run = await runPython(['-c', PYTORCH_FORWARD], { timeoutMs: 30 * 60_000, input });
  if (run.code !== 0) {
    throw new Error(`the PyTorch baseline failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    batch: number;
    msPerStep: number;
    threads: number;
  }[];
}

/** The forward pass alone, per engine and batch size. */
async function benchForward(options: EnginesBenchOptions): Promise<BenchRow[]> {
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const seqLength = options.seqLength ?? 128;
  const batches = options.batches ?? [8, 32];
  const iterations = options.iterations ?? 3;
  const threads = options.threads ?? cpus().length;
  const log = options.onProgress ?? (() => undefined);
  const dimsNote = `dim ${dims.dim}, ${dims.nLayers} layers, ${dims.nHeads} heads, FFN ${dims.hiddenDim}, vocab ${dims.vocabSize}, random weights`;
  await initNodeBackend('wasm');
  const config = benchConfig(dims);
  const model = { config, params: initParams(config, 0) };
  const graphs = new ModelGraphs(config, model.params);
  const rows: BenchRow[] = [];
  const measured: { engine: string; batch: number; ms: number }[] = [];
  try {
    for (const kind of options.engines ?? ENGINES) {
      const engine = await benchEngine(kind, model, graphs, threads);
      try {
        for (const batch of batches) {
          log(`engines bench: ${engine.description} forward batch ${batch} seq ${seqLength}`);
          const input = randomBatch(batch, seqLength, dims.vocabSize, `forward ${batch}`);
          await engine.run(input);
          const times: number[] = [];
          for (let i = 0; i < iterations; i++) {
            const start = performance.now();
            await engine.run(input);
            times.push(performance.now() - start);
          }
          const ms = median(times);
          measured.push({ engine: kind, batch, ms });
          rows.push({
            suite: 'engines',
            name: `forward b=${batch} t=${seqLength} (first-token features)`,
            where: `node ${kind === 'tfjs' ? 'tfjs wasm' : kind}`,
            value: (1000 * batch) / ms,
            unit: 'seq/s',
            note: `${ms.toFixed(0)} ms/step, median of ${iterations}; ${engine.description}; ${dimsNote}`,
          });
        }
      } finally {
        await engine.dispose();
      }
    }
  } finally {
    disposeParams(model.params);
  }
  if (options.pytorch ?? true) {
    const python = pythonAvailability();
    if (!python.available) {
      rows.push({
        suite: 'engines',
        name: 'PyTorch baseline',
        where: 'pytorch cpu',
        value: NaN,
        unit: '',
        note: `skipped: ${python.reason}`,
      });
      return rows;
    }
    log('engines bench: PyTorch CPU forward baseline');
    const torch = await pytorchForward(dims, batches, seqLength, iterations);
    for (const t of torch) {
      rows.push({
        suite: 'engines',
        name: `forward b=${t.batch} t=${seqLength} (first-token features)`,
        where: 'pytorch cpu',
        value: (1000 * t.batch) / t.msPerStep,
        unit: 'seq/s',
        note: `${t.msPerStep.toFixed(0)} ms/step; transformers DistilBertModel, ${t.threads} thread(s)`,
      });
      for (const m of measured.filter((x) => x.batch === t.batch)) {
        const row = rows.find(
          (r) =>
            r.name.startsWith(`forward b=${t.batch} `) &&
            r.where.endsWith(m.engine === 'tfjs' ? 'tfjs wasm' : m.engine),
        );
        if (row) row.ratio = { against: 'PyTorch CPU', value: t.msPerStep / m.ms };
      }
    }
  }
  return rows;
}

interface HeadOnlyData {
  split: EncodedSplit;
  labels: string[];
  maxLength: number;
  tokens: number;
}

/** `rows` Banking77 train rows, evenly spaced over the file, tokenized as the studio does. */
async function bankingRows(rows: number, maxLength: number): Promise<HeadOnlyData> {
  const table = await readCsvTable(
    bytesFromArray(readFileSync(resolve(dataDir(), 'banking77', 'train.csv'))),
    {},
  );
  const all = table.rows.map(([text, label]) => ({ text: String(text), label: String(label) }));
  const take = Math.min(rows, all.length);
  const picked = Array.from({ length: take }, (_, i) => all[Math.floor((i * all.length) / take)]!);
  const labels = [...new Set(picked.map((r) => r.label))].sort();
  const bertDir = bertTokenizerDir();
  const tokenizer = await loadTokenizer({
    'tokenizer.json': readFileSync(resolve(bertDir, 'tokenizer.json'), 'utf8'),
    'tokenizer_config.json': readFileSync(resolve(bertDir, 'tokenizer_config.json'), 'utf8'),
  });
  const encoded = await encodeTexts(
    tokenizer,
    picked.map((r) => r.text),
    { maxLength },
  );
  return {
    split: {
      ids: encoded.ids,
      offsets: encoded.offsets,
      labels: Int32Array.from(picked, (r) => labels.indexOf(r.label)),
      rows: Int32Array.from({ length: take }, (_, i) => i + 1),
    },
    labels,
    maxLength,
    tokens: encoded.ids.length,
  };
}

const emptySplit = (): EncodedSplit => ({
  ids: new Int32Array(0),
  offsets: new Int32Array(1),
  labels: new Int32Array(0),
  rows: new Int32Array(0),
});

/**
 * Head-only training as the user meets it, on one engine: the graph written from the model's
 * weights and its session opened, the frozen encoder run once over the rows (sorted by length,
 * padded per batch, evaluation batch size), then 3 epochs of the head through the training loop.
 */
async function headOnlyRun(
  kind: EngineKind,
  dims: ModelDims,
  data: HeadOnlyData,
  threads: number,
): Promise<{ seconds: number; featureSeconds: number; description: string }> {
  const config = benchConfig({ ...dims, numLabels: data.labels.length });
  const model = { config, params: initParams(config, 0) };
  const train = defaultTrainConfig('head');
  const started = performance.now();
  const cache = new MemoryFeatureCache(new Int32Array(data.split.offsets.length - 1).fill(1), config.dim);
  let description: string;
  try {
    const engine = await benchEngine(kind, model, new ModelGraphs(config, model.params), threads);
    description = engine.description;
    try {
      const order = rowsByLength(data.split);
      for (let start = 0; start < order.length; start += train.evalBatchSize) {
        const rows = order.subarray(start, start + train.evalBatchSize);
        const padded = padBatch(data.split, rows, 0, data.maxLength);
        const features = await engine.run({
          ids: padded.ids,
          mask: padded.mask,
          batchSize: rows.length,
          seqLength: padded.length,
        });
        cache.write(rows, features, 1);
      }
    } finally {
      await engine.dispose();
    }
    const featureSeconds = (performance.now() - started) / 1000;
    await trainModel({
      model,
      data: {
        labels: data.labels,
        multiLabel: false,
        maxLength: data.maxLength,
        padTokenId: 0,
        train: data.split,
        validation: emptySplit(),
        test: emptySplit(),
      },
      config: { ...train, epochs: 3, maxLength: data.maxLength },
      featureCaches: { train: cache },
    });
    return { seconds: (performance.now() - started) / 1000, featureSeconds, description };
  } finally {
    cache.dispose();
    disposeParams(model.params);
  }
}

const PYTORCH_HEAD_ONLY = `
import json, sys, time, torch
from transformers import DistilBertConfig, DistilBertForSequenceClassification
spec = json.loads(sys.stdin.read())
d = spec['dims']
config = DistilBertConfig(dim=d['dim'], n_layers=d['nLayers'], n_heads=d['nHeads'], hidden_dim=d['hiddenDim'],
                          vocab_size=d['vocabSize'], num_labels=spec['numLabels'])
rows = spec['rows']
labels = torch.tensor(spec['labels'])
torch.manual_seed(0)
model = DistilBertForSequenceClassification(config)
start = time.perf_counter()
# Frozen-encoder features once, batches sorted by length and padded to their longest row.
order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
features = torch.empty(len(rows), config.dim)
model.distilbert.eval()
with torch.no_grad():
    for s in range(0, len(order), spec['evalBatchSize']):
        batch = order[s:s + spec['evalBatchSize']]
        t = max(len(rows[i]) for i in batch)
        ids = torch.zeros(len(batch), t, dtype=torch.long)
        mask = torch.zeros(len(batch), t, dtype=torch.long)
        for j, i in enumerate(batch):
            ids[j, :len(rows[i])] = torch.tensor(rows[i])
            mask[j, :len(rows[i])] = 1
        features[batch] = model.distilbert(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0]
feature_seconds = time.perf_counter() - start
# The head's epochs: pre_classifier, ReLU, dropout, classifier; AdamW with clipping.
head = [model.pre_classifier, model.classifier]
params = [p for m in head for p in m.parameters()]
optimizer = torch.optim.AdamW(params, lr=spec['learningRate'], weight_decay=0.01)
model.train()
generator = torch.Generator().manual_seed(0)
for epoch in range(spec['epochs']):
    perm = torch.randperm(len(rows), generator=generator)
    for s in range(0, len(rows), spec['batchSize']):
        idx = perm[s:s + spec['batchSize']]
        optimizer.zero_grad(set_to_none=True)
        x = model.dropout(torch.relu(model.pre_classifier(features[idx])))
        loss = torch.nn.functional.cross_entropy(model.classifier(x), labels[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
print(json.dumps({'seconds': time.perf_counter() - start, 'featureSeconds': feature_seconds, 'threads': torch.get_num_threads()}))
`;

async function pytorchHeadOnly(
  dims: ModelDims,
  data: HeadOnlyData,
): Promise<{ seconds: number; featureSeconds: number; threads: number }> {
  const train = defaultTrainConfig('head');
  const rows: number[][] = [];
  for (let i = 0; i + 1 < data.split.offsets.length; i++) {
    rows.push(Array.from(data.split.ids.subarray(data.split.offsets[i]!, data.split.offsets[i + 1]!)));
  }
  const input = JSON.stringify({
    dims,
    numLabels: data.labels.length,
    rows,
    labels: Array.from(data.split.labels),
    evalBatchSize: train.evalBatchSize,
    batchSize: train.batchSize,
    learningRate: train.learningRate,
    epochs: 3,
  });
  const run = await runPython(['-c', PYTORCH_HEAD_ONLY], { timeoutMs: 30 * 60_000, input });
  if (run.code !== 0) {
    throw new Error(`the PyTorch baseline failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    seconds: number;
    featureSeconds: number;
    threads: number;
  };
}

/** Head-only end to end per engine, against PyTorch doing the same job. */
async function benchHeadOnly(options: EnginesBenchOptions): Promise<BenchRow[]> {
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const rowsWanted = options.headRows ?? 2000;
  const maxLength = options.headMaxLength ?? 64;
  const threads = options.threads ?? cpus().length;
  const log = options.onProgress ?? (() => undefined);
  await registerNodeGradients();
  await initNodeBackend('wasm');
  const data = await bankingRows(rowsWanted, maxLength);
  const n = data.split.labels.length;
  const name = `head-only end to end, Banking77 train ${n.toLocaleString('en')} rows, max length ${maxLength}, 3 epochs`;
  const dataNote = `${data.tokens.toLocaleString('en')} tokens, ${data.labels.length} labels; dim ${dims.dim}, ${dims.nLayers} layers, random weights`;
  const rows: BenchRow[] = [];
  const ours: { kind: EngineKind; seconds: number }[] = [];
  for (const kind of options.engines ?? ENGINES) {
    log(`engines bench: ${name} on ${kind}`);
    const result = await headOnlyRun(kind, dims, data, threads);
    ours.push({ kind, seconds: result.seconds });
    rows.push({
      suite: 'engines',
      name,
      where: `node ${kind === 'tfjs' ? 'tfjs wasm' : kind}`,
      value: result.seconds,
      unit: 's',
      note: `features ${result.featureSeconds.toFixed(1)} s (graph written, session opened, encoder run once; ${result.description}), head epochs ${(result.seconds - result.featureSeconds).toFixed(1)} s (tfjs wasm); ${dataNote}`,
    });
  }
  if (options.pytorch ?? true) {
    const python = pythonAvailability();
    if (python.available) {
      log(`engines bench: ${name} on PyTorch`);
      const torch = await pytorchHeadOnly(dims, data);
      rows.push({
        suite: 'engines',
        name,
        where: 'pytorch cpu',
        value: torch.seconds,
        unit: 's',
        note: `features ${torch.featureSeconds.toFixed(1)} s (DistilBertModel, no_grad, length-sorted batches of 64 with dynamic padding), head epochs ${(torch.seconds - torch.featureSeconds).toFixed(1)} s; ${torch.threads} thread(s)`,
      });
      for (const row of rows.filter((r) => r.name === name && r.where !== 'pytorch cpu')) {
        // Wall time: above 1 we are faster, as every other "× PyTorch CPU" ratio.
        row.ratio = { against: 'PyTorch CPU', value: torch.seconds / row.value };
      }
    }
  }
  return rows;
}

/** The engines suite for `npm run bench`. */
export async function benchEngines(options: EnginesBenchOptions = {}): Promise<BenchRow[]> {
  const rows = await benchForward(options);
  if ((options.headRows ?? 2000) > 0) rows.push(...(await benchHeadOnly(options)));
  return rows;
}
