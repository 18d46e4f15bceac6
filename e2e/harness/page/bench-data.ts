// The Data step's throughput in the browser: the studio's own data worker parses, checks, splits
// and tokenizes a CSV; the same texts through the same tokenizer, called directly on the page, are
// the baseline. A large import (rows of the real file, each made unique) also records how long the
// main thread was ever blocked meanwhile.
import Papa from 'papaparse';
import { loadTokenizer } from '../../../src/core/tokenize/tokenizer.ts';
import type {
  ColumnMapping,
  DataCommand,
  DataEvent,
  DataInput,
  DatasetAnalysis,
  EncodedDataset,
  OpenedDataset,
} from '../../../src/workers/protocol.ts';
import type { DataBenchReport, DataBenchRequest, ImportTiming } from '../types.ts';

const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
  'special_tokens_map.json',
  'config.json',
];

type Distribute<T> = T extends unknown ? Omit<T, 'requestId'> : never;

/** The data worker behind request/response promises (progress events are ignored). */
class DataWorker {
  private readonly worker = new Worker(new URL('../../../src/workers/data.worker.ts', import.meta.url), {
    type: 'module',
    name: 'data',
  });
  private next = 0;
  private readonly waiting = new Map<
    string,
    { resolve(e: DataEvent): void; reject(e: Error): void; until: string }
  >();

  constructor() {
    this.worker.addEventListener('message', (message: MessageEvent<DataEvent>) => {
      const event = message.data;
      const pending = this.waiting.get(event.requestId);
      if (!pending) return;
      if (event.type === 'error') {
        this.waiting.delete(event.requestId);
        pending.reject(new Error(`data worker: ${event.message}`));
      } else if (event.type === pending.until) {
        this.waiting.delete(event.requestId);
        pending.resolve(event);
      }
    });
    this.worker.addEventListener('error', (event) => {
      for (const pending of this.waiting.values())
        pending.reject(new Error(`data worker failed: ${event.message}`));
      this.waiting.clear();
    });
  }

  request<T extends DataEvent['type']>(
    command: Distribute<DataCommand>,
    until: T,
  ): Promise<Extract<DataEvent, { type: T }>> {
    const requestId = `bench-${this.next++}`;
    return new Promise((resolve, reject) => {
      this.waiting.set(requestId, {
        resolve: (event) => resolve(event as Extract<DataEvent, { type: T }>),
        reject,
        until,
      });
      this.worker.postMessage({ ...command, requestId } as DataCommand);
    });
  }

  terminate(): void {
    this.worker.terminate();
  }
}

async function tokenizerFiles(hubUrl: string, repo: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of TOKENIZER_FILES) {
    const response = await fetch(`${hubUrl}/${repo}/resolve/main/${name}`);
    if (response.ok) files[name] = await response.text();
  }
  if (!files['tokenizer.json'] && !files['vocab.txt'])
    throw new Error(`${repo} on ${hubUrl} has no tokenizer files`);
  return files;
}

const SPLIT = { train: 0.8, validation: 0.1, test: 0.1, seed: 42, dropDuplicates: false };

function tokenCount(data: EncodedDataset): number {
  return [data.train, data.validation, data.test].reduce((sum, split) => sum + split.ids.length, 0);
}

/** Open → checks and split → tokenize, each stage timed as the page sees it. */
async function importThroughWorker(
  worker: DataWorker,
  input: DataInput,
  bytes: number,
  maxLength: number,
  repeats: number,
  options: {
    onStage?: (stage: string) => void;
    /** A baseline timed after each tokenization round (interleaved, so both see the same load). */
    baseline?: (analysis: DatasetAnalysis) => number;
  } = {},
): Promise<ImportTiming & { analysis: DatasetAnalysis; baselineRunsMs: number[] }> {
  const onStage = options.onStage ?? (() => undefined);
  onStage('parse');
  let start = performance.now();
  const opened = await worker.request({ type: 'open', input }, 'opened');
  const parseMs = performance.now() - start;
  const dataset: OpenedDataset = opened.dataset;
  const mapping: ColumnMapping = dataset.guess;
  onStage('check');
  start = performance.now();
  const analyzed = await worker.request(
    { type: 'analyze', mapping, split: SPLIT, edits: [], dataVersion: 0 },
    'analyzed',
  );
  const checkMs = performance.now() - start;
  if (analyzed.analysis.fatal)
    throw new Error(`the benchmark file cannot be used: ${analyzed.analysis.fatal}`);
  const tokenizeRunsMs: number[] = [];
  const baselineRunsMs: number[] = [];
  let tokens = 0;
  onStage('tokenize');
  for (let run = 0; run < repeats; run++) {
    start = performance.now();
    const encoded = await worker.request({ type: 'encode', maxLength }, 'encoded');
    tokenizeRunsMs.push(performance.now() - start);
    tokens = tokenCount(encoded.data);
    if (options.baseline) baselineRunsMs.push(options.baseline(analyzed.analysis));
  }
  onStage('done');
  return {
    rows: analyzed.analysis.kept,
    bytes,
    parseMs,
    checkMs,
    tokenizeMs: Math.min(...tokenizeRunsMs),
    tokenizeRunsMs,
    tokens,
    analysis: analyzed.analysis,
    baselineRunsMs,
  };
}

interface MainThreadWatch {
  /** 'longtask' entries (main-thread tasks of 50 ms or more) that started during the watch. */
  longTasks: { atMs: number; ms: number; stage: string }[];
  /**
   * Timer ticks 50 ms or more late. Without a long task at the same time they measure CPU
   * contention (the worker, the GPU process and other programs on few cores), not blocking.
   */
  lateTicks: { atMs: number; ms: number; stage: string }[];
  longestTickGap: number;
}

/** Watches the main thread, each event tagged with the import stage in progress (from `stageAt`). */
function watchMainThread(stageAt: (time: number) => string): () => MainThreadWatch {
  const began = performance.now();
  const watch: MainThreadWatch = { longTasks: [], lateTicks: [], longestTickGap: 0 };
  const take = (entries: PerformanceEntryList) => {
    for (const entry of entries) {
      if (entry.startTime < began) continue;
      watch.longTasks.push({
        atMs: Math.round(entry.startTime - began),
        ms: Math.round(entry.duration),
        stage: stageAt(entry.startTime),
      });
    }
  };
  const observer = new PerformanceObserver((list) => take(list.getEntries()));
  observer.observe({ type: 'longtask', buffered: false });
  const interval = 10;
  let last = performance.now();
  let timer = 0;
  const tick = () => {
    const now = performance.now();
    const gap = now - last;
    watch.longestTickGap = Math.max(watch.longestTickGap, gap);
    if (gap >= 50)
      watch.lateTicks.push({ atMs: Math.round(last - began), ms: Math.round(gap), stage: stageAt(last) });
    last = now;
    timer = window.setTimeout(tick, interval);
  };
  timer = window.setTimeout(tick, interval);
  return () => {
    window.clearTimeout(timer);
    take(observer.takeRecords());
    observer.disconnect();
    return watch;
  };
}

export async function runDataBench(request: DataBenchRequest): Promise<DataBenchReport> {
  const files = await tokenizerFiles(request.hubUrl, request.repo);
  const csvText = await (await fetch(request.csvUrl)).text();
  const csvBytes = new TextEncoder().encode(csvText).length;

  const worker = new DataWorker();
  try {
    await worker.request({ type: 'loadTokenizer', source: request.repo, files }, 'tokenizerLoaded');
    // The baseline: the file's texts through the same tokenizer library, called directly on this
    // thread (no worker, no truncation, no typed arrays), as the Node benchmark does.
    const parsed = Papa.parse<string[]>(csvText, { skipEmptyLines: true });
    const header = parsed.data[0] ?? [];
    const body = parsed.data.slice(1);
    const tokenizer = await loadTokenizer(files);
    let texts: string[] = [];
    const direct = (): number => {
      const start = performance.now();
      for (const text of texts) tokenizer.encodeDirect(text);
      return performance.now() - start;
    };
    const { analysis, baselineRunsMs, ...banking77 } = await importThroughWorker(
      worker,
      { kind: 'url', name: request.csvName, url: request.csvUrl },
      csvBytes,
      request.maxLength,
      request.repeats,
      {
        baseline: (analysis) => {
          if (texts.length === 0) {
            const columns = analysis.mapping.textColumns;
            texts = body.map((row) => columns.map((c) => row[c] ?? '').join(' '));
          }
          return direct();
        },
      },
    );
    const textColumns = analysis.mapping.textColumns;
    const labelColumn = analysis.mapping.labelColumn;
    const report: DataBenchReport = {
      banking77,
      directTokenizeMs: Math.min(...baselineRunsMs),
      directTokenizeRunsMs: baselineRunsMs,
      directRows: texts.length,
    };

    if (request.largeRows > 0) {
      // Rows of the real file, each made unique, in the file's own layout.
      const rows: string[][] = [header];
      for (let i = 0; i < request.largeRows; i++) {
        const source = body[i % body.length]!;
        const row = [...source];
        row[textColumns[0]!] = `${source[textColumns[0]!] ?? ''} (${i + 1})`;
        row[labelColumn] = source[labelColumn] ?? '';
        rows.push(row);
      }
      const largeText = Papa.unparse(rows, { newline: '\n' });
      const file = new File([largeText], `large-${request.largeRows}.csv`, { type: 'text/csv' });
      // Let the task that built the file end, so that only the import's own work is watched.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const stages: { stage: string; at: number }[] = [{ stage: 'start', at: performance.now() }];
      const stageAt = (time: number) => stages.findLast((s) => s.at <= time)?.stage ?? 'start';
      const stop = watchMainThread(stageAt);
      const {
        analysis: _analysis,
        baselineRunsMs: _baseline,
        ...large
      } = await importThroughWorker(worker, { kind: 'file', file }, file.size, request.maxLength, 1, {
        onStage: (stage) => stages.push({ stage, at: performance.now() }),
      });
      const watched = stop();
      report.large = {
        ...large,
        longestLongTaskMs: Math.max(0, ...watched.longTasks.map((t) => t.ms)),
        longTasks: watched.longTasks,
        longestTickGapMs: watched.longestTickGap,
        lateTicks: watched.lateTicks,
      };
    }
    return report;
  } finally {
    worker.terminate();
  }
}
