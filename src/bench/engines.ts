// The inference engines side by side: the frozen encoder's forward pass (first-token features, the
// head-only cache) on tfjs, onnxruntime-web's wasm build in Node and onnxruntime-node, at sequence
// length 128 and batch 8 and 32, against transformers' DistilBertModel on PyTorch CPU in the same
// run at the same thread count; and head-only training end to end as a user meets it:
// `finetune-studio train --mode head` on Banking77 texts (max length 64, feature caching then 3
// epochs) with whatever engine the CLI computes features on, and the same job in a Chromium page
// (features on onnxruntime-web's wasm build, the head on tfjs' WASM), against PyTorch doing it.
import { chromium } from '@playwright/test';
import Papa from 'papaparse';
import { CHROMIUM_ARGS, findChromium } from '../../e2e/support/browser.ts';
import { buildHarness, callHarness, openHarness, startHarness } from '../../e2e/harness/host.ts';
import type { HeadOnlyRunReport } from '../../e2e/harness/types.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCsvTable, bytesFromArray } from '../core/csv/index.ts';
import { defaultTrainConfig } from '../core/train/index.ts';
import { bertTokenizerDir, dataDir, repoRoot } from '../node/paths.ts';
import { type ModelConfig, disposeParams, initParams } from '../core/model/index.ts';
import {
  ModelGraphs,
  openForwardEngine,
  type EngineKind,
  type ForwardEngine,
  type TokenBatch,
} from '../core/infer/index.ts';
import { initNodeBackend, nodeWasmThreads } from '../node/backend.ts';
import { loadNodeOrt } from '../node/ort-runtime.ts';
import { pythonAvailability, runPython } from '../node/python.ts';
import { createRng } from '../core/util/index.ts';
import { benchConfig, DISTILBERT_BASE_DIMS, median, PYTORCH_TIMING, type ModelDims } from './model.ts';
import type { BenchRow } from './table.ts';

export interface EnginesBenchOptions {
  dims?: Partial<ModelDims>;
  /** Forward-pass batch sizes at `seqLength` (default 8 and 32). */
  batches?: number[];
  seqLength?: number;
  /** Timed forward passes per figure, after one untimed warm-up (default 3). */
  iterations?: number;
  engines?: EngineKind[];
  /** Threads of every engine, tfjs' WASM and PyTorch alike (default: every core, PyTorch's own default). */
  threads?: number;
  pytorch?: boolean;
  /** Banking77 train rows of the head-only run, evenly spaced over the file (default 2,000; 0 skips it). */
  headRows?: number;
  /** Max length of the head-only run (default 64). */
  headMaxLength?: number;
  /** Also run the head-only job in Chromium (default true). */
  chromium?: boolean;
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
  model: { config: ModelConfig; params: ReturnType<typeof initParams> },
  graphs: ModelGraphs,
  threads: number,
): Promise<ForwardEngine> {
  const loaded = await loadNodeOrt({ engine: kind, threads });
  return openForwardEngine({ runtime: loaded.runtime, ...model, graphs, output: { kind: 'features' } });
}

const PYTORCH_FORWARD = `
import json, sys, time, torch
from transformers import DistilBertConfig, DistilBertModel
${PYTORCH_TIMING}
spec = json.loads(sys.stdin.read())
torch.set_num_threads(spec['threads'])
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
    ms = median_ms(step, spec['iterations'])
    out.append({'batch': b, 'msPerStep': ms, 'threads': torch.get_num_threads()})
print(json.dumps(out))
`;

async function pytorchForward(
  dims: ModelDims,
  batches: number[],
  seqLength: number,
  iterations: number,
  threads: number,
): Promise<{ batch: number; msPerStep: number; threads: number }[]> {
  const input = JSON.stringify({ dims, batches, seqLength, iterations, threads });
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
  await initNodeBackend('wasm', { threads });
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
            threads: kind === 'tfjs' ? nodeWasmThreads() : threads,
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
    const torch = await pytorchForward(dims, batches, seqLength, iterations, threads);
    for (const t of torch) {
      rows.push({
        suite: 'engines',
        name: `forward b=${t.batch} t=${seqLength} (first-token features)`,
        where: 'pytorch cpu',
        threads: t.threads,
        value: (1000 * t.batch) / t.msPerStep,
        unit: 'seq/s',
        note: `${t.msPerStep.toFixed(0)} ms/step, median of ${iterations}; transformers DistilBertModel`,
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

/** `rows` Banking77 train rows, evenly spaced over the file, written as the CSV a user would give. */
async function bankingSubset(rows: number, file: string): Promise<{ rows: number; labels: string[] }> {
  const table = await readCsvTable(
    bytesFromArray(readFileSync(resolve(dataDir(), 'banking77', 'train.csv'))),
    {},
  );
  const all = table.rows.map(([text, label]) => ({ text: String(text), label: String(label) }));
  const take = Math.min(rows, all.length);
  const picked = Array.from({ length: take }, (_, i) => all[Math.floor((i * all.length) / take)]!);
  writeFileSync(file, Papa.unparse(picked));
  return { rows: take, labels: [...new Set(picked.map((r) => r.label))].sort() };
}

// A distilbert-base-sized checkpoint with random weights and bert-base-uncased's tokenizer: the
// model folder both sides start from.
const PYTORCH_CHECKPOINT = `
import json, shutil, sys, torch
from transformers import DistilBertConfig, DistilBertForSequenceClassification
spec = json.loads(sys.stdin.read())
d = spec['dims']
labels = spec['labels']
config = DistilBertConfig(dim=d['dim'], n_layers=d['nLayers'], n_heads=d['nHeads'], hidden_dim=d['hiddenDim'],
                          vocab_size=d['vocabSize'], num_labels=len(labels),
                          id2label={i: l for i, l in enumerate(labels)}, label2id={l: i for i, l in enumerate(labels)})
torch.manual_seed(0)
DistilBertForSequenceClassification(config).save_pretrained(spec['out'])
for name in ('tokenizer.json', 'tokenizer_config.json', 'vocab.txt'):
    shutil.copy(spec['tokenizerDir'] + '/' + name, spec['out'] + '/' + name)
`;

// The same job in transformers: read the file, tokenize (max length 64), load the checkpoint,
// frozen-encoder features once (batches sorted by length, padded to their longest row), then the
// head's 3 epochs (pre_classifier, ReLU, dropout, classifier; AdamW with clipping).
const PYTORCH_HEAD_ONLY = `
import csv, json, sys, time, torch
spec = json.loads(sys.stdin.read())
torch.set_num_threads(spec['threads'])
start = time.perf_counter()
from transformers import AutoTokenizer, DistilBertForSequenceClassification
with open(spec['file'], newline='', encoding='utf-8') as f:
    table = list(csv.DictReader(f))
labels = sorted({r['label'] for r in table})
y = torch.tensor([labels.index(r['label']) for r in table])
tokenizer = AutoTokenizer.from_pretrained(spec['model'])
rows = tokenizer([r['text'] for r in table], truncation=True, max_length=spec['maxLength'])['input_ids']
model = DistilBertForSequenceClassification.from_pretrained(spec['model'])
feature_start = time.perf_counter()
order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
features = torch.empty(len(rows), model.config.dim)
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
feature_seconds = time.perf_counter() - feature_start
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
        loss = torch.nn.functional.cross_entropy(model.classifier(x), y[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
print(json.dumps({'seconds': time.perf_counter() - start, 'featureSeconds': feature_seconds, 'threads': torch.get_num_threads()}))
`;

async function runScript(script: string, spec: unknown, what: string): Promise<string> {
  const run = await runPython(['-c', script], { timeoutMs: 30 * 60_000, input: JSON.stringify(spec) });
  if (run.code !== 0) {
    throw new Error(`${what} failed: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  return run.stdout.trim().split('\n').at(-1)!;
}

/** Every string in a JSON document that names an ONNX Runtime engine. */
function engineNames(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string' && /onnxruntime/i.test(value)) found.add(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) engineNames(v, found);
  return found;
}

interface CliRun {
  seconds: number;
  featureSeconds: number | null;
  backend: string;
  engine: string;
}

/**
 * `finetune-studio train --mode head` as a user runs it, in a process of its own, timed from
 * start to exit: whatever engine the CLI computes the frozen features with. The engine is the one
 * its run folder or its progress names; a run that names none computed them in tfjs.
 */
async function cliHeadOnly(
  file: string,
  model: string,
  out: string,
  maxLength: number,
  threads: number,
): Promise<CliRun> {
  const bin = resolve(repoRoot, 'src', 'cli', 'bin.mjs');
  const args = [
    ...['--backend', 'wasm', '--threads', String(threads)],
    ...['train', file, '--model', model, '--mode', 'head', '--epochs', '3'],
    ...['--max-length', String(maxLength), '--split', '100/0/0', '--out', out],
  ];
  const started = performance.now();
  let featuresFrom: number | null = null;
  let featuresTo: number | null = null;
  let stderr = '';
  const code = await new Promise<number | null>((resolveExit, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, HF_ENDPOINT: '' },
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      for (const match of chunk.matchAll(/caching frozen \w+ features: (\d+)\/(\d+)/g)) {
        featuresFrom ??= performance.now();
        if (match[1] === match[2]) featuresTo = performance.now();
      }
    });
    child.on('error', reject);
    child.on('close', resolveExit);
  });
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    throw new Error(`finetune-studio train failed (${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`);
  }
  const backend = /^backend: (.+)$/m.exec(stderr)?.[1] ?? 'unknown';
  const named = new Set<string>();
  for (const line of stderr.split('\n')) if (/engine|onnxruntime/i.test(line)) named.add(line.trim());
  try {
    engineNames(JSON.parse(readFileSync(join(out, 'training_args.json'), 'utf8')), named);
  } catch {
    // No training_args.json: the engine stays the one stderr named.
  }
  const from = featuresFrom as number | null;
  const to = featuresTo as number | null;
  return {
    seconds,
    featureSeconds: from !== null && to !== null ? (to - from) / 1000 : null,
    backend,
    engine: named.size > 0 ? [...named].join('; ') : `tfjs (${backend})`,
  };
}

/** The head-only job in a Chromium page on the hub's `repo`, wasm on `threads` threads. */
async function chromiumHeadOnly(
  modelsDir: string,
  repo: string,
  rows: number,
  maxLength: number,
  threads: number,
): Promise<HeadOnlyRunReport> {
  await buildHarness('bench');
  const harness = await startHarness('bench', { modelsDir });
  const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await openHarness(page, harness);
    return await callHarness(page, 'benchHeadOnly', {
      hubUrl: harness.hubUrl,
      repo,
      csvUrl: harness.banking77Url,
      rows,
      maxLength,
      backend: 'wasm',
      threads,
    });
  } finally {
    await browser.close();
    await harness.close();
  }
}

/** Head-only end to end through the CLI, against PyTorch doing the same job on the same checkpoint. */
async function benchHeadOnly(options: EnginesBenchOptions): Promise<BenchRow[]> {
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const rowsWanted = options.headRows ?? 2000;
  const maxLength = options.headMaxLength ?? 64;
  const threads = options.threads ?? cpus().length;
  const log = options.onProgress ?? (() => undefined);
  const python = pythonAvailability();
  if (!python.available) {
    return [
      {
        suite: 'engines',
        name: 'head-only end to end',
        where: 'node cli',
        value: NaN,
        unit: '',
        note: `skipped: the checkpoint is written by transformers; ${python.reason}`,
      },
    ];
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-head-only-'));
  try {
    const file = join(dir, 'banking77-subset.csv');
    const data = await bankingSubset(rowsWanted, file);
    const repo = 'distilbert-base-random';
    const model = join(dir, repo);
    log('engines bench: writing a distilbert-base-sized checkpoint with random weights');
    await runScript(
      PYTORCH_CHECKPOINT,
      { dims, labels: data.labels, out: model, tokenizerDir: bertTokenizerDir() },
      'writing the checkpoint',
    );
    const name = `head-only end to end, Banking77 train ${data.rows.toLocaleString('en')} rows, max length ${maxLength}, 3 epochs`;
    const dataNote = `${data.labels.length} labels; dim ${dims.dim}, ${dims.nLayers} layers, random weights`;
    log(`engines bench: ${name}, finetune-studio train`);
    const ours = await cliHeadOnly(file, model, join(dir, 'run'), maxLength, threads);
    const rows: BenchRow[] = [
      {
        suite: 'engines',
        name,
        where: 'node cli train',
        threads,
        value: ours.seconds,
        unit: 's',
        note: `wall time of the process (load, tokenize, features, 3 epochs, run folder written); features ${ours.featureSeconds === null ? '?' : ours.featureSeconds.toFixed(1)} s on ${ours.engine}; goal ≤ 1.5× PyTorch's time (ratio ≥ 0.67); ${dataNote}`,
      },
    ];
    if (options.chromium ?? true) {
      log(`engines bench: ${name}, Chromium`);
      try {
        const page = await chromiumHeadOnly(dir, repo, data.rows, maxLength, threads);
        const wasm = page.backend.threads === undefined ? 'WASM' : `WASM · ${page.backend.threads} threads`;
        rows.push({
          suite: 'engines',
          name,
          where: 'chromium page',
          threads,
          value: page.seconds,
          unit: 's',
          note: `from the file's bytes to the third epoch's end (import, tokenize, load, features, 3 epochs on ${wasm}); features ${page.featuresSeconds.toFixed(1)} s on ${page.engine}; goal ≤ 4× PyTorch's time (ratio ≥ 0.25); ${dataNote}${page.leakedTensors ? `; ${page.leakedTensors} tensors left` : ''}`,
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        rows.push({
          suite: 'engines',
          name,
          where: 'chromium page',
          value: NaN,
          unit: '',
          note: `failed: ${reason}`,
        });
      }
    }
    if (options.pytorch ?? true) {
      log(`engines bench: ${name}, PyTorch`);
      const train = defaultTrainConfig('head');
      const torch = JSON.parse(
        await runScript(
          PYTORCH_HEAD_ONLY,
          {
            file,
            model,
            maxLength,
            threads,
            evalBatchSize: train.evalBatchSize,
            batchSize: train.batchSize,
            learningRate: train.learningRate,
            epochs: 3,
          },
          'the PyTorch head-only run',
        ),
      ) as { seconds: number; featureSeconds: number; threads: number };
      // Wall time: above 1 we are faster, as every other "× PyTorch CPU" ratio.
      for (const row of rows) {
        if (Number.isFinite(row.value))
          row.ratio = { against: 'PyTorch CPU', value: torch.seconds / row.value };
      }
      rows.push({
        suite: 'engines',
        name,
        where: 'pytorch cpu',
        threads: torch.threads,
        value: torch.seconds,
        unit: 's',
        note: `read, tokenize, load, features ${torch.featureSeconds.toFixed(1)} s (DistilBertModel, no_grad, length-sorted batches of ${train.evalBatchSize} with dynamic padding), head epochs; Python start-up not counted`,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The engines suite for `npm run bench`. */
export async function benchEngines(options: EnginesBenchOptions = {}): Promise<BenchRow[]> {
  const rows = await benchForward(options);
  if ((options.headRows ?? 2000) > 0) rows.push(...(await benchHeadOnly(options)));
  return rows;
}
