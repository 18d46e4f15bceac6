// The exported serve.py under load on loopback: requests per second and p50/p95 latency at 1 and
// 32 concurrent clients (one text per request), with PyTorch and with ONNX Runtime behind it,
// against a plain transformers pipeline called once per text in one Python process (no HTTP).
// Bounded: at most `requests` requests per case (2,000 in all by default) and `caseSeconds` each.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Papa from 'papaparse';
import { buildExportFiles, readExportInput } from '../core/export/index.ts';
import { dataDir, fixtureModelDir, type FixtureModelName } from '../node/paths.ts';
import { pythonAvailability, runPython, startPython } from '../node/python.ts';
import type { BenchRow } from './table.ts';

export interface ServeBenchOptions {
  model?: FixtureModelName;
  /** Requests per (backend, clients) case. */
  requests?: number;
  clients?: readonly number[];
  /** A case stops sending after this many seconds, whatever is left. */
  caseSeconds?: number;
  onProgress?: (message: string) => void;
}

const DEFAULTS = {
  model: 'distilbert-tiny-seqcls',
  requests: 400,
  clients: [1, 32],
  caseSeconds: 12,
} as const;

const PIPELINE_LOOP = `
import json, sys, time
from transformers import pipeline
folder, texts = sys.argv[1], json.load(sys.stdin)
classify = pipeline("text-classification", model=folder, tokenizer=folder, top_k=None)
classify(texts[0])
latencies, start = [], time.perf_counter()
for text in texts:
    began = time.perf_counter()
    classify(text, truncation=True)
    latencies.append(time.perf_counter() - began)
    if time.perf_counter() - start > float(sys.argv[2]):
        break
print(json.dumps({"seconds": time.perf_counter() - start, "latencies": latencies}))
`;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The q-quantile of ascending `sorted` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function texts(count: number): string[] {
  const parsed = Papa.parse<Record<string, string>>(
    readFileSync(join(dataDir(), 'uci_sentiment/yelp.csv'), 'utf8'),
    { header: true, skipEmptyLines: true },
  );
  const all = parsed.data.map((row) => row.text ?? '').filter((t) => t.length > 0);
  return Array.from({ length: count }, (_, i) => all[i % all.length] as string);
}

async function waitReady(base: string, output: () => string): Promise<void> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    try {
      if ((await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`serve.py was not ready within 120 s:\n${output().slice(-2000)}`);
}

interface Load {
  seconds: number;
  latencies: number[];
}

/** `clients` loops each sending one-text requests until `total` are sent or time runs out. */
async function load(
  base: string,
  inputs: readonly string[],
  clients: number,
  seconds: number,
): Promise<Load> {
  let next = 0;
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const client = async () => {
    while (next < inputs.length && performance.now() < deadline) {
      const text = inputs[next++] as string;
      const began = performance.now();
      const response = await fetch(`${base}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts: [text] }),
        signal: AbortSignal.timeout(60_000),
      });
      if (!response.ok) throw new Error(`serve.py answered ${response.status}: ${await response.text()}`);
      await response.json();
      latencies.push((performance.now() - began) / 1000);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { seconds: (performance.now() - start) / 1000, latencies };
}

function rows(name: string, where: string, result: Load, note: string, baseline?: number): BenchRow[] {
  const sorted = [...result.latencies].sort((a, b) => a - b);
  const perSecond = result.latencies.length / result.seconds;
  return [
    {
      suite: 'serve',
      name: `${name} req/s`,
      where,
      value: perSecond,
      unit: 'req/s',
      ...(baseline ? { ratio: { against: 'pipeline loop', value: perSecond / baseline } } : {}),
      note: `${result.latencies.length} requests; ${note}`,
    },
    { suite: 'serve', name: `${name} p50`, where, value: quantile(sorted, 0.5) * 1000, unit: 'ms' },
    { suite: 'serve', name: `${name} p95`, where, value: quantile(sorted, 0.95) * 1000, unit: 'ms' },
  ];
}

export async function benchServe(options: ServeBenchOptions = {}): Promise<BenchRow[]> {
  const python = pythonAvailability();
  if (!python.available) throw new Error(`the serve suite needs Python: ${python.reason}`);
  const model = options.model ?? DEFAULTS.model;
  const requests = options.requests ?? DEFAULTS.requests;
  const clientCounts = options.clients ?? DEFAULTS.clients;
  const caseSeconds = options.caseSeconds ?? DEFAULTS.caseSeconds;
  const progress = options.onProgress ?? (() => {});
  const root = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  const out: BenchRow[] = [];
  try {
    // The model as the studio exports it: serve.py, onnx/model.onnx and the Hugging Face folder.
    const input = await readExportInput(async (name) => {
      try {
        return new Uint8Array(readFileSync(join(fixtureModelDir(model), name)));
      } catch {
        return undefined;
      }
    });
    for (const file of buildExportFiles(input).files) {
      const path = join(root, file.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file.bytes);
    }
    const inputs = texts(requests);
    const note = `${model}, loopback, one text per request`;

    progress('serve: transformers pipeline loop');
    const loop = await runPython(['-c', PIPELINE_LOOP, root, String(caseSeconds)], {
      input: JSON.stringify(inputs),
      timeoutMs: (caseSeconds + 120) * 1000,
    });
    if (loop.code !== 0) throw new Error(`the pipeline loop failed:\n${loop.stderr.slice(-2000)}`);
    const baseline = JSON.parse(loop.stdout) as Load;
    const baselineRate = baseline.latencies.length / baseline.seconds;
    out.push(...rows('pipeline loop, 1 client', 'python transformers', baseline, `${model}, in-process`));

    for (const [backend, flags] of [
      ['pytorch', []],
      ['onnxruntime', ['--onnx']],
    ] as const) {
      const port = await freePort();
      const server = startPython([join(root, 'serve.py'), '--port', String(port), ...flags], {
        cwd: root,
        maxLifetimeMs: (caseSeconds * clientCounts.length + 180) * 1000,
      });
      try {
        const base = `http://127.0.0.1:${port}`;
        await waitReady(base, server.output);
        for (const clients of clientCounts) {
          progress(`serve: ${backend}, ${clients} client${clients === 1 ? '' : 's'}`);
          const result = await load(base, inputs, clients, caseSeconds);
          const stats = (await (await fetch(`${base}/stats`)).json()) as { largest_batch_texts?: number };
          out.push(
            ...rows(
              `serve.py, ${clients} client${clients === 1 ? '' : 's'}`,
              `serve.py ${backend}`,
              result,
              `${note}; largest batch so far ${stats.largest_batch_texts ?? 0} texts`,
              baselineRate,
            ),
          );
        }
      } finally {
        await server.stop();
      }
    }
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
