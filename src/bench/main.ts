// `npm run bench [-- --quick] [--only data,model,families,browser,train,engines,distill,quality,map,threads,serve,gpu-counts,gpu,soak] [--iterations N] [--minutes M] [--batches 8,32] [--threads 1,2] [--browser-parts gpu-counts,…]`:
// runs every benchmark suite, each in its own child process, prints one Markdown table and writes
// bench-results/bench.json (rows, the raw browser reports and the machine they ran on).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../node/paths.ts';
import { pythonAvailability } from '../node/python.ts';
import {
  BROWSER_PARTS,
  benchBrowser,
  type BrowserBenchOptions,
  type BrowserModelCase,
  type BrowserPart,
} from './browser.ts';
import { benchData, type DataBenchOptions } from './data.ts';
import { benchDistill, type DistillBenchOptions } from './distill.ts';
import { benchFamilies, quickFamilyBases, type FamiliesBenchOptions } from './families.ts';
import { benchEngines, type EnginesBenchOptions } from './engines.ts';
import { benchGpu, GPU_QUICK, type GpuBenchOptions } from './gpu.ts';
import { benchGpuCounts, type GpuCountsBenchOptions } from './gpu-counts.ts';
import { benchModel, measurePytorch, pytorchRows, type ModelBenchOptions } from './model.ts';
import { QUICK_DIMS } from './model-step.ts';
import { parseThreadCount } from '../core/backend/index.ts';
import { formatTable, type BenchRow } from './table.ts';
import { machine } from './machine.ts';
import { benchMap, type MapBenchOptions } from './map.ts';
import { benchQuality, type QualityBenchOptions } from './quality.ts';
import { benchSoakBrowser, type BrowserSoakOptions } from './soak-browser.ts';
import { benchSoak, type SoakBenchOptions } from './soak.ts';
import { benchServe, type ServeBenchOptions } from './serve.ts';
import { benchThreads, type ThreadsBenchOptions } from './threads.ts';
import { benchTrain, type TrainBenchOptions } from './train.ts';

// The browser suite runs after the model suite, whose PyTorch rows are its baseline.
const SUITES = [
  'data',
  'model',
  'families',
  'browser',
  'train',
  'engines',
  'distill',
  'quality',
  'map',
  'threads',
  'serve',
  'gpu-counts',
  'gpu',
  'soak',
] as const;
type Suite = (typeof SUITES)[number];
/**
 * `gpu` times distilbert-base on a real GPU: on a software adapter it would take hours; `soak` is a
 * 2,000-step run. Both run only when asked for.
 */
const DEFAULT_SUITES: readonly Suite[] = SUITES.filter((s) => s !== 'gpu' && s !== 'soak');

const USAGE = `usage: npm run bench -- [--quick] [--only ${SUITES.join(',')}] [--iterations N] [--batches 8,32] [--threads 1,2] [--browser-parts ${BROWSER_PARTS.join(',')}] [--no-pytorch]
  --quick        tiny sizes: checks that every suite runs, in a minute or two (figures mean nothing)
  --only         the suites to run, comma-separated (default: all but gpu, which needs a real GPU
                 at full size: Node + Dawn beside PyTorch CUDA when it is importable)
  --iterations   timed model and training steps per measurement (default 3; 2 in the browser and families;
                 soak: the Node run's steps, default 2,000)
  --minutes      soak: how long the studio trains in Chromium (default 20)
  --batches      WASM batch sizes at sequence length 128 (default 8,32 in Node; the browser runs the first)
  --threads      CPU thread counts: the threads suite runs once per count (default 1,2), WASM and
                 PyTorch at the same count; the other suites run on the largest (default: the
                 studio's, min(cores, 4), and PyTorch's own)
  --browser-parts  the browser suite's parts, comma-separated (default all: the data worker, the
                 head-only epochs, the data map's frames while panning, one training step's GPU
                 counts on WebGPU, the timed model)
  --no-pytorch   skip the transformers-on-PyTorch CPU baseline
  --out FILE     where the JSON results go (default bench-results/bench.json)`;

class UsageError extends Error {}

const THREADS_SUITE_DEFAULT = [1, 2];

function parseCommandLine(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      iterations: { type: 'string' },
      minutes: { type: 'string' },
      batches: { type: 'string' },
      threads: { type: 'string' },
      'no-pytorch': { type: 'boolean', default: false },
      'browser-parts': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
      // Internal: run one suite and hand its rows back through this file (see runInChild).
      'suite-result': { type: 'string' },
      'suite-baseline': { type: 'string' },
    },
    strict: true,
  });
  const only = values.only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only?.filter((s) => !(SUITES as readonly string[]).includes(s)) ?? [];
  if (unknown.length > 0) throw new UsageError(`unknown suite(s): ${unknown.join(', ')}`);
  const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
  if (iterations !== undefined && !(Number.isInteger(iterations) && iterations >= 1)) {
    throw new UsageError('--iterations must be a whole number ≥ 1');
  }
  const minutes = values.minutes === undefined ? undefined : Number(values.minutes);
  if (minutes !== undefined && !(Number.isFinite(minutes) && minutes > 0)) {
    throw new UsageError('--minutes must be a number > 0');
  }
  const batches = values.batches?.split(',').map(Number);
  if (batches && !batches.every((b) => Number.isInteger(b) && b >= 1)) {
    throw new UsageError('--batches must be whole numbers ≥ 1, comma-separated');
  }
  const browserParts = values['browser-parts']?.split(',').map((s) => s.trim());
  const unknownParts = browserParts?.filter((p) => !(BROWSER_PARTS as readonly string[]).includes(p)) ?? [];
  if (unknownParts.length > 0) {
    throw new UsageError(
      `unknown browser part(s): ${unknownParts.join(', ')} (known: ${BROWSER_PARTS.join(', ')})`,
    );
  }
  let threads: number[] | undefined;
  if (values.threads !== undefined) {
    try {
      threads = values.threads.split(',').map((t) => parseThreadCount(t.trim()));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return {
    quick: values.quick,
    threads,
    suites: (only ?? [...DEFAULT_SUITES]) as Suite[],
    iterations,
    minutes,
    batches,
    browserParts: browserParts as BrowserPart[] | undefined,
    pytorch: !values['no-pytorch'],
    out: resolve(values.out ?? resolve(repoRoot, 'bench-results', 'bench.json')),
    help: values.help,
    suiteResult: values['suite-result'],
    suiteBaseline: values['suite-baseline'],
  };
}

type Options = ReturnType<typeof parseCommandLine>;

const progress = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

function dataOptions(o: Options): DataBenchOptions {
  return o.quick ? { syntheticRows: 2000, tokenizeLimit: 500, rounds: 1 } : {};
}

/** The other suites' thread count: the largest asked for, else the studio's default. */
function suiteThreads(o: Options): { threads?: number } {
  return o.threads ? { threads: Math.max(...o.threads) } : {};
}

function modelOptions(o: Options): ModelBenchOptions {
  const base: ModelBenchOptions = { pytorch: o.pytorch, onProgress: progress, ...suiteThreads(o) };
  if (o.quick) {
    return {
      ...base,
      dims: QUICK_DIMS,
      cases: [
        { backend: 'wasm', batch: 2, seqLength: 16 },
        { backend: 'cpu', batch: 1, seqLength: 8 },
      ],
      iterations: o.iterations ?? 1,
    };
  }
  const batches = o.batches ?? [8, 32];
  return {
    ...base,
    cases: [
      ...batches.map((batch) => ({ backend: 'wasm' as const, batch, seqLength: 128 })),
      { backend: 'cpu', batch: 1, seqLength: 32 },
    ],
    ...(o.iterations ? { iterations: o.iterations } : {}),
  };
}

function familiesOptions(o: Options): FamiliesBenchOptions {
  const base: FamiliesBenchOptions = { pytorch: o.pytorch, onProgress: progress, ...suiteThreads(o) };
  if (o.quick) return { ...base, bases: quickFamilyBases(), batch: 2, seqLength: 16, iterations: 1 };
  return {
    ...base,
    ...(o.batches ? { batch: o.batches[0] } : {}),
    ...(o.iterations ? { iterations: o.iterations } : {}),
  };
}

function trainOptions(o: Options): TrainBenchOptions {
  const base: TrainBenchOptions = { pytorch: o.pytorch, onProgress: progress, ...suiteThreads(o) };
  if (o.quick) {
    return { ...base, dims: QUICK_DIMS, seqLength: 16, batchSize: 2, steps: 1, headEpochExamples: 500 };
  }
  return o.iterations ? { ...base, steps: o.iterations } : base;
}

function browserSoakOptions(o: Options): BrowserSoakOptions {
  const base: BrowserSoakOptions = { onProgress: progress };
  if (o.quick) return { ...base, minutes: 1.5, sampleEverySec: 15 };
  return o.minutes ? { ...base, minutes: o.minutes } : base;
}

function soakOptions(o: Options): SoakBenchOptions {
  const base: SoakBenchOptions = { onProgress: progress };
  if (o.quick) return { ...base, steps: 240 };
  return o.iterations ? { ...base, steps: o.iterations } : base;
}

function qualityOptions(o: Options): QualityBenchOptions {
  const base: QualityBenchOptions = { onProgress: progress };
  // The rows are tokenized with bert-base-uncased's vocabulary, so the toy model keeps its size.
  return o.quick
    ? { ...base, dims: { ...QUICK_DIMS, vocabSize: 30522 }, rows: 300, maxLength: 32, folds: 3 }
    : base;
}

function mapOptions(o: Options): MapBenchOptions {
  const base: MapBenchOptions = { onProgress: progress };
  return o.quick ? { ...base, sizes: [500], dim: 64, clusters: 5, sampleRows: 300 } : base;
}

function serveOptions(o: Options): ServeBenchOptions {
  const base: ServeBenchOptions = { onProgress: progress };
  // Full: 400 requests × (1 and 32 clients) × (PyTorch, ONNX Runtime) + the pipeline loop = 2,000.
  return o.quick ? { ...base, requests: 16, caseSeconds: 10 } : base;
}

function distillOptions(o: Options): DistillBenchOptions {
  const base: DistillBenchOptions = { onProgress: progress };
  if (o.quick) return { ...base, dims: QUICK_DIMS, batch: 2, seqLength: 16, iterations: 1 };
  return {
    ...base,
    ...(o.batches ? { batch: o.batches[0] } : {}),
    ...(o.iterations ? { iterations: o.iterations } : {}),
  };
}

function enginesOptions(o: Options): EnginesBenchOptions {
  const base: EnginesBenchOptions = { pytorch: o.pytorch, onProgress: progress, ...suiteThreads(o) };
  if (o.quick) {
    // The head-only run tokenizes real texts: the vocabulary stays bert-base's.
    const dims = { ...QUICK_DIMS, vocabSize: 30522 };
    return { ...base, dims, batches: [2], seqLength: 16, iterations: 1, headRows: 400 };
  }
  return {
    ...base,
    ...(o.batches ? { batches: o.batches } : {}),
    ...(o.iterations ? { iterations: o.iterations } : {}),
  };
}

function gpuCountsOptions(o: Options): GpuCountsBenchOptions {
  const base: GpuCountsBenchOptions = { onProgress: progress };
  return o.quick ? { ...base, dims: QUICK_DIMS, batch: 1, seqLength: 8 } : base;
}

function gpuOptions(o: Options): GpuBenchOptions {
  const base: GpuBenchOptions = { pytorch: o.pytorch, onProgress: progress };
  if (o.quick) return { ...base, ...GPU_QUICK };
  return {
    ...base,
    ...(o.batches ? { batches: o.batches } : {}),
    ...(o.iterations ? { steps: o.iterations } : {}),
  };
}

/** In the child of one thread count, `--threads` holds that count alone. */
function threadsOptions(o: Options): ThreadsBenchOptions {
  const threads = o.threads?.[0] ?? 1;
  const base: ThreadsBenchOptions = { threads, pytorch: o.pytorch, onProgress: progress };
  if (o.quick) return { ...base, dims: QUICK_DIMS, batch: 2, seqLength: 16, iterations: 1 };
  return { ...base, iterations: o.iterations ?? 2 };
}

function browserModelCases(o: Options): BrowserModelCase[] {
  if (o.quick) {
    return [
      { backend: 'wasm', batch: 2, seqLength: 16 },
      { backend: 'webgpu', batch: 1, seqLength: 8 },
      { backend: 'cpu', batch: 1, seqLength: 8 },
    ];
  }
  return [
    { backend: 'wasm', batch: o.batches?.[0] ?? 8, seqLength: 128 },
    { backend: 'webgpu', batch: 1, seqLength: 32 },
    { backend: 'cpu', batch: 1, seqLength: 32 },
  ];
}

function browserOptions(
  o: Options,
  baselineRows: BenchRow[],
  reports: Record<string, unknown>,
  onReport: () => void,
): BrowserBenchOptions {
  return {
    modelCases: browserModelCases(o),
    ...(o.browserParts ? { parts: o.browserParts } : {}),
    ...(o.quick
      ? {
          dims: QUICK_DIMS,
          iterations: 1,
          largeRows: 2000,
          tokenizeRounds: 1,
          headExamples: 500,
          mapPoints: 2000,
        }
      : { iterations: o.iterations ?? 2 }),
    baselineRows,
    onProgress: progress,
    onReport: (name, report) => {
      reports[name] = report;
      onReport();
    },
  };
}

/**
 * The PyTorch rows for the browser's model sizes when the model suite (which measures them) is
 * not part of this run: ratios are only reported against a baseline measured in the same run.
 */
async function browserBaseline(o: Options): Promise<BenchRow[]> {
  if (!o.pytorch) return [];
  const python = pythonAvailability();
  if (!python.available) {
    progress(`PyTorch baseline skipped: ${python.reason}`);
    return [];
  }
  progress('browser bench: PyTorch CPU baseline for the same sizes');
  const cases = browserModelCases(o).map((c) => ({
    backend: 'cpu' as const,
    batch: c.batch,
    seqLength: c.seqLength,
  }));
  const measured = await measurePytorch({
    cases,
    ...(o.quick ? { dims: QUICK_DIMS, iterations: 1 } : { iterations: o.iterations ?? 2 }),
  });
  return pytorchRows('browser', measured);
}

// NaN marks a skipped or failed figure: it must survive the trip from the child, which JSON's null would not.
const NON_FINITE = '\u0000number:';
const toTransport = (_key: string, value: unknown): unknown =>
  typeof value === 'number' && !Number.isFinite(value) ? `${NON_FINITE}${value}` : value;
const fromTransport = (_key: string, value: unknown): unknown =>
  typeof value === 'string' && value.startsWith(NON_FINITE) ? Number(value.slice(NON_FINITE.length)) : value;

/** What one suite measured, as its child process hands it back. */
interface SuiteOutcome {
  rows: BenchRow[];
  reports: Record<string, unknown>;
  failure?: string;
}

/** Runs one suite in this process. `earlier` holds the rows of the suites before it. */
async function runSuite(
  suite: Suite,
  options: Options,
  earlier: BenchRow[],
  onReports: (reports: Record<string, unknown>) => void,
): Promise<SuiteOutcome> {
  const rows: BenchRow[] = [];
  const reports: Record<string, unknown> = {};
  try {
    switch (suite) {
      case 'data':
        rows.push(...(await benchData(dataOptions(options))));
        break;
      case 'model':
        rows.push(...(await benchModel(modelOptions(options))));
        break;
      case 'families':
        rows.push(...(await benchFamilies(familiesOptions(options))));
        break;
      case 'train':
        rows.push(...(await benchTrain(trainOptions(options))));
        break;
      case 'threads':
        rows.push(...(await benchThreads(threadsOptions(options))));
        break;
      case 'quality':
        rows.push(...(await benchQuality(qualityOptions(options))));
        break;
      case 'soak':
        rows.push(...(await benchSoak(soakOptions(options))));
        rows.push(...(await benchSoakBrowser(browserSoakOptions(options))));
        break;
      case 'map':
        rows.push(...(await benchMap(mapOptions(options))));
        break;
      case 'engines':
        rows.push(...(await benchEngines(enginesOptions(options))));
        break;
      case 'distill':
        rows.push(...(await benchDistill(distillOptions(options))));
        break;
      case 'serve':
        rows.push(...(await benchServe(serveOptions(options))));
        break;
      case 'gpu-counts':
        rows.push(...(await benchGpuCounts(gpuCountsOptions(options))));
        break;
      case 'gpu':
        rows.push(...(await benchGpu(gpuOptions(options))));
        break;
      case 'browser': {
        const modelBaseline = earlier.filter((r) => r.suite === 'model' && r.where === 'pytorch cpu');
        // Only the model part's rows have a PyTorch ratio.
        const timesModel = options.browserParts?.includes('model') ?? true;
        const baseline =
          modelBaseline.length > 0 || !timesModel ? modelBaseline : await browserBaseline(options);
        if (modelBaseline.length === 0) rows.push(...baseline);
        rows.push(
          ...(await benchBrowser(browserOptions(options, baseline, reports, () => onReports(reports)))),
        );
        break;
      }
    }
    return { rows, reports };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { rows, reports, failure: message };
  }
}

/**
 * Runs one suite in a child process of its own. The WASM backend's 32-bit heap never shrinks and
 * an abort inside it (out of memory) leaves the backend unusable: in one process, a suite that
 * grows the heap or aborts takes the suites after it down. The child hands back its rows (and
 * the browser suite each report as it arrives) through a file.
 */
async function runInChild(
  suite: Suite,
  earlier: BenchRow[],
  onReports: (reports: Record<string, unknown>) => void,
  extraArgs: string[] = [],
): Promise<SuiteOutcome> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${suite}-`));
  const resultFile = join(dir, 'result.json');
  const baselineFile = join(dir, 'baseline.json');
  writeFileSync(baselineFile, JSON.stringify(earlier));
  const readResult = (): SuiteOutcome | null => {
    try {
      return JSON.parse(readFileSync(resultFile, 'utf8'), fromTransport) as SuiteOutcome;
    } catch {
      return null;
    }
  };
  try {
    const args = [
      ...process.execArgv,
      process.argv[1]!,
      ...process.argv.slice(2),
      '--only',
      suite,
      '--suite-result',
      resultFile,
      '--suite-baseline',
      baselineFile,
      ...extraArgs,
    ];
    let tail = '';
    const code = await new Promise<number | string>((resolveExit, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe'] });
      child.stderr.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        tail = (tail + chunk.toString()).slice(-2000);
        const partial = readResult();
        if (partial) onReports(partial.reports);
      });
      child.on('error', reject);
      child.on('close', (status, signal) => resolveExit(status ?? signal ?? 'unknown'));
    });
    const outcome = readResult();
    if (outcome && code === 0) return outcome;
    // A child that died without a word (killed, out of memory) fails its suite with its last words.
    const lastLines = tail.trim().split('\n').slice(-3).join(' ');
    return {
      rows: outcome?.rows ?? [],
      reports: outcome?.reports ?? {},
      failure: outcome?.failure ?? `the ${suite} suite's process exited with ${code}: ${lastLines}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Samples the 1-minute load average every few seconds until stopped; `stop` gives their mean. */
function loadSampler(intervalMs = 5000): { stop(): number } {
  const samples = [loadavg()[0]!];
  const timer = setInterval(() => samples.push(loadavg()[0]!), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(loadavg()[0]!);
      return samples.reduce((sum, x) => sum + x, 0) / samples.length;
    },
  };
}

/** The child side of runInChild: one suite, its outcome written to `resultFile`. */
async function childMain(options: Options, resultFile: string): Promise<void> {
  const suite = options.suites[0]!;
  const earlier = options.suiteBaseline
    ? (JSON.parse(readFileSync(options.suiteBaseline, 'utf8')) as BenchRow[])
    : [];
  const save = (outcome: SuiteOutcome) => {
    writeFileSync(`${resultFile}.part`, JSON.stringify(outcome, toTransport));
    renameSync(`${resultFile}.part`, resultFile);
  };
  const load = loadSampler();
  const outcome = await runSuite(suite, options, earlier, (reports) => save({ rows: [], reports }));
  const meanLoad = load.stop();
  for (const row of outcome.rows) row.load ??= meanLoad;
  save(outcome);
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (options.suiteResult) {
    await childMain(options, options.suiteResult);
    return;
  }
  const started = new Date();
  const host = machine();
  const rows: BenchRow[] = [];
  const reports: Record<string, unknown> = {};
  const seconds: Record<string, number> = {};
  const failures: Record<string, string> = {};
  // Written after every suite, so a long run that is interrupted keeps what it measured.
  const write = (): string => {
    const out = options.out;
    mkdirSync(dirname(out), { recursive: true });
    const document = {
      started: started.toISOString(),
      argv: process.argv.slice(2),
      quick: options.quick,
      machine: { ...host, loadAverageAtEnd: loadavg() },
      seconds,
      failures,
      rows,
      browser: reports,
      table: formatTable(rows),
    };
    const finite = (_key: string, value: unknown) =>
      typeof value === 'number' && !Number.isFinite(value) ? null : value;
    writeFileSync(out, JSON.stringify(document, finite, 2));
    return out;
  };
  for (const suite of SUITES) {
    if (!options.suites.includes(suite)) continue;
    progress(`== ${suite} ==`);
    const t0 = performance.now();
    const outcome = await runInChild(suite, rows, (partial) => {
      Object.assign(reports, partial);
      write();
    });
    // The threads suite once more per further thread count, each in a process of its own.
    if (suite === 'threads') {
      for (const threads of (options.threads ?? THREADS_SUITE_DEFAULT).slice(1)) {
        const more = await runInChild(suite, rows, () => undefined, ['--threads', String(threads)]);
        outcome.rows.push(...more.rows);
        if (more.failure !== undefined) outcome.failure = more.failure;
      }
    }
    rows.push(...outcome.rows);
    Object.assign(reports, outcome.reports);
    if (outcome.failure !== undefined) {
      // One broken suite must not hide the others' figures: it gets a row and a non-zero exit.
      failures[suite] = outcome.failure;
      rows.push({
        suite,
        name: 'suite failed',
        where: '',
        value: NaN,
        unit: '',
        note: outcome.failure.split('\n')[0] ?? '',
      });
      process.exitCode = 1;
    }
    seconds[suite] = (performance.now() - t0) / 1000;
    progress(`== ${suite}: ${seconds[suite]!.toFixed(0)} s ==`);
    write();
  }
  const table = formatTable(rows);
  process.stdout.write(`${table}\n`);
  progress(`wrote ${write()}`);
}

await main();
