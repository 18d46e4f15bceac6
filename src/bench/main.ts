// `npm run bench [-- --quick] [--only data,model,train,browser] [--iterations N] [--batches 8,32]`:
// runs every benchmark suite in one process, prints one Markdown table and writes
// bench-results/bench.json (rows, the raw browser reports and the machine they ran on).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../node/paths.ts';
import { pythonForTests } from '../node/python.ts';
import { benchBrowser, type BrowserBenchOptions, type BrowserModelCase } from './browser.ts';
import { benchData, type DataBenchOptions } from './data.ts';
import { benchModel, measurePytorch, type ModelBenchOptions, type ModelDims } from './model.ts';
import { formatTable, type BenchRow } from './table.ts';
import { benchTrain, type TrainBenchOptions } from './train.ts';

// The browser suite runs after the model suite, whose PyTorch rows are its baseline.
const SUITES = ['data', 'model', 'browser', 'train'] as const;
type Suite = (typeof SUITES)[number];

const USAGE = `usage: npm run bench -- [--quick] [--only ${SUITES.join(',')}] [--iterations N] [--batches 8,32] [--no-pytorch]
  --quick        tiny sizes: checks that every suite runs, in a minute or two (figures mean nothing)
  --only         the suites to run, comma-separated (default: all)
  --iterations   timed model and training steps per measurement (default 3; 2 in the browser)
  --batches      WASM batch sizes at sequence length 128 (default 8,32 in Node; the browser runs the first)
  --no-pytorch   skip the transformers-on-PyTorch CPU baseline
  --out FILE     where the JSON results go (default bench-results/bench.json)`;

/** Toy dimensions for --quick: every code path, none of the cost. */
const QUICK_DIMS: ModelDims = {
  dim: 64,
  nLayers: 2,
  nHeads: 4,
  hiddenDim: 128,
  vocabSize: 2000,
  numLabels: 2,
};

class UsageError extends Error {}

function parseCommandLine(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      iterations: { type: 'string' },
      batches: { type: 'string' },
      'no-pytorch': { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
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
  const batches = values.batches?.split(',').map(Number);
  if (batches && !batches.every((b) => Number.isInteger(b) && b >= 1)) {
    throw new UsageError('--batches must be whole numbers ≥ 1, comma-separated');
  }
  return {
    quick: values.quick,
    suites: (only ?? [...SUITES]) as Suite[],
    iterations,
    batches,
    pytorch: !values['no-pytorch'],
    out: resolve(values.out ?? resolve(repoRoot, 'bench-results', 'bench.json')),
    help: values.help,
  };
}

type Options = ReturnType<typeof parseCommandLine>;

const progress = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

function dataOptions(o: Options): DataBenchOptions {
  return o.quick ? { syntheticRows: 2000, tokenizeLimit: 500, rounds: 1 } : {};
}

function modelOptions(o: Options): ModelBenchOptions {
  const base: ModelBenchOptions = { pytorch: o.pytorch, onProgress: progress };
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

function trainOptions(o: Options): TrainBenchOptions {
  const base: TrainBenchOptions = { pytorch: o.pytorch, onProgress: progress };
  if (o.quick) {
    return { ...base, dims: QUICK_DIMS, seqLength: 16, batchSize: 2, steps: 1, headEpochExamples: 500 };
  }
  return o.iterations ? { ...base, steps: o.iterations } : base;
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
    ...(o.quick
      ? {
          dims: QUICK_DIMS,
          iterations: 1,
          largeRows: 2000,
          tokenizeRounds: 1,
          headExamples: 500,
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
  const python = pythonForTests();
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
  return measured.map((b) => ({
    suite: 'browser',
    name: `${b.mode} b=${b.batch} t=${b.seqLength}`,
    where: 'pytorch cpu',
    value: (1000 * b.batch) / b.msPerStep,
    unit: 'seq/s',
    note: `${b.msPerStep.toFixed(0)} ms/step; transformers DistilBertForSequenceClassification, ${b.threads} thread(s)`,
  }));
}

function machine(): Record<string, unknown> {
  const cpu = cpus()[0];
  return {
    cpus: availableParallelism(),
    cpuModel: cpu?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 1e9),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    loadAverageAtStart: loadavg(),
  };
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
    try {
      switch (suite) {
        case 'data':
          rows.push(...(await benchData(dataOptions(options))));
          break;
        case 'model':
          rows.push(...(await benchModel(modelOptions(options))));
          break;
        case 'train':
          rows.push(...(await benchTrain(trainOptions(options))));
          break;
        case 'browser': {
          const modelBaseline = rows.filter((r) => r.suite === 'model' && r.where === 'pytorch cpu');
          const baseline = modelBaseline.length > 0 ? modelBaseline : await browserBaseline(options);
          if (modelBaseline.length === 0) rows.push(...baseline);
          rows.push(...(await benchBrowser(browserOptions(options, baseline, reports, write))));
          break;
        }
      }
    } catch (error) {
      // One broken suite must not hide the others' figures: it gets a row and a non-zero exit.
      const message = error instanceof Error ? error.message : String(error);
      failures[suite] = message;
      rows.push({
        suite,
        name: 'suite failed',
        where: '',
        value: NaN,
        unit: '',
        note: message.split('\n')[0] ?? '',
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
