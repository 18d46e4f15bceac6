// The threads suite: what more CPU threads buy. At one thread count (`npm run bench` runs this
// suite once per count, each in a process of its own, since a WASM module's threads are fixed
// when it starts): the forward pass (batch 8, 128 tokens) and the full fine-tuning step on WASM
// in Node and in Chromium, and the same two in transformers on PyTorch CPU with
// torch.set_num_threads at the same count, as ratios at equal threads against the goals.
import { chromium } from '@playwright/test';
import { buildHarness, callHarness, openHarness, startHarness } from '../../e2e/harness/host.ts';
import { CHROMIUM_ARGS, findChromium } from '../../e2e/support/browser.ts';
import { pythonAvailability } from '../node/python.ts';
import { DISTILBERT_BASE_DIMS, measureModel, measurePytorch, type ModelDims } from './model.ts';
import type { BenchRow } from './table.ts';
import { benchTrain, pytorchFullStep } from './train.ts';

/** The issue's goals at equal threads: ours / PyTorch CPU. */
export const THREAD_GOALS = { forward: 0.25, step: 0.15 } as const;

export interface ThreadsBenchOptions {
  threads: number;
  dims?: Partial<ModelDims>;
  batch?: number;
  seqLength?: number;
  /** Timed forward passes and optimizer steps per figure, after a warm-up (default 2). */
  iterations?: number;
  pytorch?: boolean;
  browser?: boolean;
  /** Build the harness page first (default true). */
  build?: boolean;
  onProgress?(message: string): void;
}

interface Figure {
  where: string;
  msPerStep: number;
  threads: number;
  note?: string;
}

/** Rows for one measure: ours with their ratio to PyTorch at the same threads, then PyTorch's. */
function rowsFor(
  name: string,
  unit: string,
  batch: number,
  goal: number,
  ours: Figure[],
  torch: Figure | null,
): BenchRow[] {
  const rows: BenchRow[] = ours.map((figure) => {
    const row: BenchRow = {
      suite: 'threads',
      name,
      where: figure.where,
      threads: figure.threads,
      value: (1000 * batch) / figure.msPerStep,
      unit,
      note: `${figure.msPerStep.toFixed(0)} ms/step; goal ≥ ${goal}× PyTorch CPU at equal threads${figure.note ? `; ${figure.note}` : ''}`,
    };
    if (torch && torch.threads === figure.threads) {
      row.ratio = {
        against: `PyTorch CPU (${torch.threads} thread${torch.threads === 1 ? '' : 's'})`,
        value: torch.msPerStep / figure.msPerStep,
      };
    }
    return row;
  });
  if (torch) {
    rows.push({
      suite: 'threads',
      name,
      where: 'pytorch cpu',
      threads: torch.threads,
      value: (1000 * batch) / torch.msPerStep,
      unit,
      note: `${torch.msPerStep.toFixed(0)} ms/step; ${torch.note ?? ''}`,
    });
  }
  return rows;
}

function failed(name: string, where: string, threads: number, error: unknown): BenchRow {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return { suite: 'threads', name, where, threads, value: NaN, unit: '', note: `failed: ${reason}` };
}

/** The suite at `options.threads` threads. */
export async function benchThreads(options: ThreadsBenchOptions): Promise<BenchRow[]> {
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims };
  const batch = options.batch ?? 8;
  const seqLength = options.seqLength ?? 128;
  const iterations = options.iterations ?? 2;
  const threads = options.threads;
  const log = options.onProgress ?? (() => undefined);
  const forwardName = `forward b=${batch} t=${seqLength}`;
  const stepName = `full fine-tuning step b=${batch} t=${seqLength}`;
  const forward: Figure[] = [];
  const step: Figure[] = [];
  const rows: BenchRow[] = [];

  log(`threads bench: node wasm forward, ${threads} thread(s)`);
  const measured = await measureModel({
    cases: [{ backend: 'wasm', batch, seqLength }],
    modes: ['forward'],
    dims,
    iterations,
    countDispatches: false,
    threads,
  });
  for (const m of measured) {
    forward.push({ where: 'node wasm', msPerStep: m.msPerStep, threads: m.threads ?? 1 });
  }
  log(`threads bench: node wasm full fine-tuning step, ${threads} thread(s)`);
  const trained = await benchTrain({
    dims,
    batchSize: batch,
    seqLength,
    steps: iterations,
    cases: ['full'],
    headEpochExamples: 0,
    pytorch: false,
    threads,
  });
  const full = trained.find((r) => r.unit === 'examples/s' && r.name.startsWith('full fine-tuning'));
  if (full && Number.isFinite(full.value)) {
    step.push({
      where: 'node wasm',
      msPerStep: (1000 * batch) / full.value,
      threads: full.threads ?? 1,
      note: 'forward, backward, AdamW through the training loop; gradient checkpointing (PyTorch too)',
    });
  }

  if (options.browser ?? true) {
    try {
      if (options.build ?? true) {
        log('threads bench: building the harness page');
        await buildHarness('bench');
      }
      const harness = await startHarness('bench');
      const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        await openHarness(page, harness);
        log(`threads bench: chromium wasm forward, ${threads} thread(s)`);
        const report = await callHarness(page, 'benchModel', {
          backend: 'wasm',
          threads,
          dims,
          cases: [{ batch, seqLength }],
          modes: ['forward'],
          iterations,
          countDispatches: false,
        });
        for (const m of report.measurements) {
          forward.push({
            where: 'chromium wasm',
            msPerStep: m.msPerStep,
            threads: report.backend.threads ?? 1,
            ...(report.backend.threadsNote ? { note: `one thread: ${report.backend.threadsNote}` } : {}),
          });
        }
        log(`threads bench: chromium wasm full fine-tuning step, ${threads} thread(s)`);
        const trainStep = await callHarness(page, 'benchTrainStep', {
          backend: 'wasm',
          threads,
          dims,
          batch,
          seqLength,
          steps: iterations,
        });
        const browserThreads = trainStep.backend.threads ?? 1;
        step.push({
          where: 'chromium wasm',
          msPerStep: trainStep.msPerStep,
          threads: browserThreads,
          note:
            browserThreads === 1
              ? 'the baseline: the step in the browser on one WASM thread, as the studio ran before threads; harness page'
              : 'the same step in the browser, on the harness page',
        });
      } finally {
        await browser.close();
        await harness.close();
      }
    } catch (error) {
      rows.push(failed('forward and full step', 'chromium wasm', threads, error));
    }
  }

  let torchForward: Figure | null = null;
  let torchStep: Figure | null = null;
  const python = pythonAvailability();
  if ((options.pytorch ?? true) && python.available) {
    log(`threads bench: PyTorch CPU, ${threads} thread(s)`);
    const [f] = await measurePytorch({
      cases: [{ backend: 'cpu', batch, seqLength }],
      modes: ['forward'],
      dims,
      iterations,
      threads,
    });
    if (f) {
      torchForward = {
        where: 'pytorch cpu',
        msPerStep: f.msPerStep,
        threads: f.threads,
        note: 'transformers DistilBertForSequenceClassification',
      };
    }
    const s = await pytorchFullStep(dims, batch, seqLength, iterations, threads);
    torchStep = {
      where: 'pytorch cpu',
      msPerStep: s.msPerStep,
      threads: s.threads,
      note: 'transformers + torch.optim.AdamW with clipping, gradient checkpointing',
    };
  } else if (options.pytorch ?? true) {
    rows.push(failed('PyTorch baseline', 'pytorch cpu', threads, new Error(`skipped: ${python.reason}`)));
  }
  return [
    ...rowsFor(forwardName, 'seq/s', batch, THREAD_GOALS.forward, forward, torchForward),
    ...rowsFor(stepName, 'examples/s', batch, THREAD_GOALS.step, step, torchStep),
    ...rows,
  ];
}
