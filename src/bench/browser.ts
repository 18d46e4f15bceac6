// The browser suite of `npm run bench`: the same measurements as the Node suites, in Chromium,
// through the test harness page (e2e/harness): model throughput per backend with kernel dispatch
// counts, the data worker's parse + tokenize throughput against the tokenizer called directly,
// the longest main-thread task during a large import, and the head-only epoch on cached features.
// @playwright/test re-exports playwright-core's launcher (the declared dependency).
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from '../../e2e/support/browser.ts';
import { buildHarness, callHarness, openHarness, startHarness } from '../../e2e/harness/host.ts';
import { gpuCountRows } from './gpu-counts.ts';
import type {
  DataBenchReport,
  HarnessBackend,
  HeadEpochReport,
  MapFramesReport,
  ModelBenchReport,
  ModelDimsSpec,
} from '../../e2e/harness/types.ts';
import { DISTILBERT_BASE_DIMS, mb, topOps } from './model.ts';
import type { BenchRow } from './table.ts';

export interface BrowserModelCase {
  backend: HarnessBackend;
  batch: number;
  seqLength: number;
}

/** The browser suite's parts, in the order they run; all of them unless `--browser-parts` picks. */
export const BROWSER_PARTS = ['data', 'head', 'map-frames', 'gpu-counts', 'model'] as const;
export type BrowserPart = (typeof BROWSER_PARTS)[number];

export interface BrowserBenchOptions {
  /** Default: wasm at seq 128 batch 8; webgpu and cpu at batch 1, seq 32. */
  modelCases?: BrowserModelCase[];
  dims?: Partial<ModelDimsSpec>;
  /** Timed steps per model measurement, after one warm-up step (default 3). */
  iterations?: number;
  /** Points of the data map's panning frames (default 100,000). */
  mapPoints?: number;
  /** Rows of the large import built from Banking77's rows (default 100,000; 0 skips it). */
  largeRows?: number;
  /** Tokenization rounds, worker and direct interleaved; the best of each counts (default 3). */
  tokenizeRounds?: number;
  /** Backends of the head-only epoch (default wasm and webgpu). */
  headBackends?: HarnessBackend[];
  /** Examples in the head-only epoch (default 10,000). */
  headExamples?: number;
  /** Which parts run (default all). */
  parts?: BrowserPart[];
  /** The step counted on WebGPU by the gpu-counts part (default distilbert-base dims, b=1 t=32). */
  gpuCounts?: { batch: number; seqLength: number };
  /** Rebuild the harness page first (default true). */
  build?: boolean;
  /**
   * PyTorch CPU rows of the model suite from the same run (`where: 'pytorch cpu'`, seq/s): model
   * rows of the same mode and size get the ratio ours/PyTorch.
   */
  baselineRows?: readonly BenchRow[];
  onProgress?(message: string): void;
  /** Receives each raw harness report, for the JSON results. */
  onReport?(name: string, report: unknown): void;
}

export const DEFAULT_BROWSER_MODEL_CASES: BrowserModelCase[] = [
  { backend: 'wasm', batch: 8, seqLength: 128 },
  // The software backends (SwiftShader's WebGPU, the JS cpu backend) at a size they finish.
  { backend: 'webgpu', batch: 1, seqLength: 32 },
  { backend: 'cpu', batch: 1, seqLength: 32 },
];

function whereOf(report: { backend: { name: string; adapter: string } }): string {
  return `chromium ${report.backend.name}${report.backend.adapter ? ` (${report.backend.adapter})` : ''}`;
}

function modelRows(report: ModelBenchReport, dims: ModelDimsSpec, baseline: readonly BenchRow[]): BenchRow[] {
  const where = whereOf(report);
  const dimsNote = `dim ${dims.dim}, ${dims.nLayers} layers, ${dims.nHeads} heads, FFN ${dims.hiddenDim}, vocab ${dims.vocabSize}, random weights`;
  const rows: BenchRow[] = [];
  for (const m of report.measurements) {
    const name = `${m.mode} b=${m.batch} t=${m.seqLength}`;
    const seqPerSec = (1000 * m.batch) / m.msPerStep;
    const seqRow: BenchRow = {
      suite: 'browser',
      name,
      where,
      value: seqPerSec,
      unit: 'seq/s',
      note: `${m.msPerStep.toFixed(0)} ms/step, median of ${m.iterations}; first step (profiled) ${m.warmupMs.toFixed(0)} ms; ${dimsNote}`,
    };
    const torch = baseline.find((b) => b.where === 'pytorch cpu' && b.unit === 'seq/s' && b.name === name);
    if (torch && Number.isFinite(torch.value) && torch.value > 0) {
      seqRow.ratio = { against: 'PyTorch CPU', value: seqPerSec / torch.value };
    }
    rows.push(seqRow);
    rows.push({ suite: 'browser', name, where, value: seqPerSec * m.seqLength, unit: 'tokens/s' });
    if (m.peakTensorBytes !== undefined) {
      rows.push({
        suite: 'browser',
        name,
        where,
        value: mb(m.peakTensorBytes),
        unit: 'MB peak tf.memory (weights included)',
      });
    }
    if (m.peakJsHeapBytes > 0) {
      rows.push({ suite: 'browser', name, where, value: mb(m.peakJsHeapBytes), unit: 'MB peak JS heap' });
    }
    if (m.dispatches) {
      rows.push({
        suite: 'browser',
        name,
        where,
        value: m.dispatches.total,
        unit: 'kernel dispatches/step',
        note: topOps(m.dispatches.byOp),
      });
    }
  }
  return rows;
}

function dataRows(report: DataBenchReport, maxLength: number): BenchRow[] {
  const rows: BenchRow[] = [];
  const b = report.banking77;
  const directRate = (1000 * report.directRows) / report.directTokenizeMs;
  const tokenizeRate = (1000 * b.rows) / b.tokenizeMs;
  const pipelineRate = (1000 * b.rows) / (b.parseMs + b.checkMs + b.tokenizeMs);
  rows.push({
    suite: 'browser',
    name: 'parse+check Banking77 train',
    where: 'chromium data worker',
    value: (1000 * b.rows) / (b.parseMs + b.checkMs),
    unit: 'rows/s',
    note: `parse ${b.parseMs.toFixed(0)} ms, checks + split ${b.checkMs.toFixed(0)} ms, ${(b.bytes / 1e6).toFixed(1)} MB`,
  });
  rows.push({
    suite: 'browser',
    name: 'tokenizer direct Banking77 train',
    where: 'chromium main thread',
    value: directRate,
    unit: 'rows/s',
    note: `the tokenizer library called directly; best of ${report.directTokenizeRunsMs.length}`,
  });
  rows.push({
    suite: 'browser',
    name: `tokenize pipeline Banking77 train (max_length ${maxLength})`,
    where: 'chromium data worker',
    value: tokenizeRate,
    unit: 'rows/s',
    ratio: { against: 'tokenizer direct', value: tokenizeRate / directRate },
    note: `${Math.round((1000 * b.tokens) / b.tokenizeMs).toLocaleString('en')} tokens/s; best of ${b.tokenizeRunsMs.length}, round trip to the page included`,
  });
  rows.push({
    suite: 'browser',
    name: 'parse+check+tokenize Banking77 train',
    where: 'chromium data worker',
    value: pipelineRate,
    unit: 'rows/s',
    ratio: { against: 'tokenizer direct', value: pipelineRate / directRate },
  });
  const large = report.large;
  if (large) {
    const label = `${large.rows.toLocaleString('en')}-row import`;
    rows.push({
      suite: 'browser',
      name: `parse+check ${label}`,
      where: 'chromium data worker',
      value: (1000 * large.rows) / (large.parseMs + large.checkMs),
      unit: 'rows/s',
      note: `${(large.bytes / 1e6).toFixed(1)} MB built from Banking77 rows, each made unique`,
    });
    rows.push({
      suite: 'browser',
      name: `tokenize ${label} (max_length ${maxLength})`,
      where: 'chromium data worker',
      value: (1000 * large.rows) / large.tokenizeMs,
      unit: 'rows/s',
      note: `${Math.round((1000 * large.tokens) / large.tokenizeMs).toLocaleString('en')} tokens/s`,
    });
    const tasks = large.longTasks.map((t) => `${t.ms} ms (${t.stage})`).join(', ');
    rows.push({
      suite: 'browser',
      name: `longest main-thread task during the ${label}`,
      where: 'chromium page',
      value: large.longestLongTaskMs,
      unit: 'ms',
      note: `${large.longTasks.length === 0 ? 'no task reached 50 ms' : `long tasks: ${tasks}`}; goal < 50 ms; timers ran up to ${large.longestTickGapMs.toFixed(0)} ms late (CPU contention included)`,
    });
  }
  return rows;
}

function headRows(report: HeadEpochReport): BenchRow[] {
  const timed = report.epochSeconds.slice(1);
  const seconds = timed.length > 0 ? Math.min(...timed) : (report.epochSeconds[0] ?? NaN);
  return [
    {
      suite: 'browser',
      name: `head-only epoch, ${report.examples.toLocaleString('en')} cached [${report.examples}, ${report.dim}] features, b=${report.batchSize}`,
      where: whereOf(report),
      value: seconds,
      unit: 's/epoch',
      note: `${report.stepsPerEpoch} steps, ${(report.examples / seconds).toFixed(0)} examples/s; first epoch ${report.epochSeconds[0]?.toFixed(2)} s (warm-up); goal < 2 s on WASM, < 0.5 s on a GPU${report.leakedTensors ? `; ${report.leakedTensors} tensors left` : ''}`,
    },
  ];
}

/** The data map's frame time while panning: the p95 between frames, with the drawing's own time. */
export function mapFrameRows(report: MapFramesReport): BenchRow[] {
  return [
    {
      suite: 'browser',
      name: `data map panning, ${report.points.toLocaleString('en')} points, ${report.frames} frames`,
      where: 'chromium canvas 2d',
      value: report.frameMs.p95,
      unit: 'ms p95 frame',
      note: `frame p50 ${report.frameMs.p50.toFixed(1)} ms, max ${report.frameMs.max.toFixed(1)} ms; drawing p50 ${report.drawMs.p50.toFixed(1)} ms, p95 ${report.drawMs.p95.toFixed(1)} ms; goal ≤ 33 ms`,
    },
  ];
}

/** Runs the browser measurements in one Chromium and returns them as table rows. */
export async function benchBrowser(options: BrowserBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.onProgress ?? (() => undefined);
  const parts = options.parts ?? [...BROWSER_PARTS];
  const dims: ModelDimsSpec = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const maxLength = 128;
  if (options.build ?? true) {
    log('browser bench: building the harness page');
    await buildHarness('bench');
  }
  const harness = await startHarness('bench');
  // Precise memory info: performance.memory otherwise reports coarse, delayed buckets.
  const args = [...CHROMIUM_ARGS, '--enable-precise-memory-info'];
  const browser = await chromium.launch({ executablePath: findChromium(), args });
  const rows: BenchRow[] = [];
  try {
    const page = await browser.newPage();
    await openHarness(page, harness);
    options.onReport?.('browser', { chromium: browser.version(), args });

    if (parts.includes('data')) {
      log('browser bench: data worker on Banking77 train and a large import');
      const report = await callHarness(page, 'benchData', {
        hubUrl: harness.hubUrl,
        repo: 'distilbert-tiny-seqcls',
        csvUrl: harness.banking77Url,
        csvName: 'train.csv',
        maxLength,
        largeRows: options.largeRows ?? 100_000,
        repeats: options.tokenizeRounds ?? 3,
      });
      options.onReport?.('data', report);
      rows.push(...dataRows(report, maxLength));
    }

    if (parts.includes('head')) {
      for (const backend of options.headBackends ?? (['wasm', 'webgpu'] as HarnessBackend[])) {
        log(`browser bench: head-only epochs on ${backend}`);
        try {
          const report = await callHarness(page, 'benchHeadEpoch', {
            backend,
            examples: options.headExamples ?? 10_000,
            dim: dims.dim,
            numLabels: dims.numLabels,
            epochs: 2,
            batchSize: 16,
          });
          options.onReport?.(`head-${backend}`, report);
          rows.push(...headRows(report));
        } catch (error) {
          rows.push(skipped('head-only epoch', `chromium ${backend}`, error));
        }
      }
    }
    if (parts.includes('map-frames')) {
      const points = options.mapPoints ?? 100_000;
      log(`browser bench: data map frames while panning ${points} points`);
      const report = await callHarness(page, 'benchMapFrames', { points, frames: 120 });
      options.onReport?.('map-frames', report);
      rows.push(...mapFrameRows(report));
    }
    if (parts.includes('gpu-counts')) {
      const { batch, seqLength } = options.gpuCounts ?? { batch: 1, seqLength: 32 };
      log(`browser bench: one training step counted on WebGPU (b=${batch} t=${seqLength})`);
      try {
        const report = await callHarness(page, 'gpuCounts', { dims, batch, seqLength });
        options.onReport?.('gpu-counts', report);
        rows.push(
          ...gpuCountRows(report.counted, whereOf(report), dims, batch, seqLength).map((row) => ({
            ...row,
            suite: 'browser',
          })),
        );
      } catch (error) {
        rows.push(skipped('gpu counts', 'chromium webgpu', error));
      }
    }
    if (parts.includes('model')) {
      const cases = options.modelCases ?? DEFAULT_BROWSER_MODEL_CASES;
      // The large WASM case last: an interrupted run keeps the quicker figures.
      const order = [...new Set(cases.map((c) => c.backend))].sort(
        (x, y) => Number(x === 'wasm') - Number(y === 'wasm'),
      );
      for (const backend of order) {
        const sizes = cases
          .filter((c) => c.backend === backend)
          .map(({ batch, seqLength }) => ({ batch, seqLength }));
        log(
          `browser bench: model on ${backend} (${sizes.map((s) => `b=${s.batch} t=${s.seqLength}`).join(', ')})`,
        );
        try {
          const report = await callHarness(page, 'benchModel', {
            backend,
            dims,
            cases: sizes,
            modes: ['forward', 'forward+backward'],
            iterations: options.iterations ?? 3,
            countDispatches: true,
          });
          options.onReport?.(`model-${backend}`, report);
          rows.push(...modelRows(report, dims, options.baselineRows ?? []));
        } catch (error) {
          rows.push(skipped(`model on ${backend}`, `chromium ${backend}`, error));
        }
      }
    }
  } finally {
    await browser.close();
    await harness.close();
  }
  return rows;
}

function skipped(name: string, where: string, error: unknown): BenchRow {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return { suite: 'browser', name, where, value: NaN, unit: '', note: `failed: ${reason}` };
}
