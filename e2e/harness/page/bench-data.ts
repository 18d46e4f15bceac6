// The Data step's throughput in the browser: the studio's own data worker parses, checks, splits
// and tokenizes a CSV; the same texts through the same tokenizer, called directly on the page, are
// the baseline. A large import (rows of the real file, each made unique) also records how long the
// main thread was ever blocked meanwhile.
import Papa from 'papaparse';
import { encodeTexts } from '../../../src/core/tokenize/encode.ts';
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
  return Object.values(data.splits).reduce((sum, split) => sum + split.ids.length, 0);
}

/** Open → checks and split → tokenize, each stage timed as the page sees it. */
async function importThroughWorker(
  worker: DataWorker,
  input: DataInput,
  bytes: number,
  maxLength: number,
): Promise<ImportTiming & { analysis: DatasetAnalysis }> {
  let start = performance.now();
  const opened = await worker.request({ type: 'open', input }, 'opened');
  const parseMs = performance.now() - start;
  const dataset: OpenedDataset = opened.dataset;
  const mapping: ColumnMapping = dataset.guess;
  start = performance.now();
  const analyzed = await worker.request({ type: 'analyze', mapping, split: SPLIT }, 'analyzed');
  const checkMs = performance.now() - start;
  if (analyzed.analysis.fatal)
    throw new Error(`the benchmark file cannot be used: ${analyzed.analysis.fatal}`);
  start = performance.now();
  const encoded = await worker.request({ type: 'encode', maxLength }, 'encoded');
  const tokenizeMs = performance.now() - start;
  return {
    rows: analyzed.analysis.kept,
    bytes,
    parseMs,
    checkMs,
    tokenizeMs,
    tokens: tokenCount(encoded.data),
    analysis: analyzed.analysis,
  };
}

/** Watches the main thread: 'longtask' entries and the largest gap between timer ticks. */
function watchMainThread(): () => { longest: number; count: number; longestGap: number } {
  let longest = 0;
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      longest = Math.max(longest, entry.duration);
      count++;
    }
  });
  observer.observe({ type: 'longtask', buffered: false });
  const interval = 10;
  let last = performance.now();
  let longestGap = 0;
  let timer = 0;
  const tick = () => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    timer = window.setTimeout(tick, interval);
  };
  timer = window.setTimeout(tick, interval);
  return () => {
    window.clearTimeout(timer);
    for (const entry of observer.takeRecords()) {
      longest = Math.max(longest, entry.duration);
      count++;
    }
    observer.disconnect();
    return { longest, count, longestGap };
  };
}

export async function runDataBench(request: DataBenchRequest): Promise<DataBenchReport> {
  const files = await tokenizerFiles(request.hubUrl, request.repo);
  const csvText = await (await fetch(request.csvUrl)).text();
  const csvBytes = new TextEncoder().encode(csvText).length;

  const worker = new DataWorker();
  try {
    await worker.request({ type: 'loadTokenizer', source: request.repo, files }, 'tokenizerLoaded');
    const { analysis, ...banking77 } = await importThroughWorker(
      worker,
      { kind: 'url', name: request.csvName, url: request.csvUrl },
      csvBytes,
      request.maxLength,
    );

    // The baseline: the kept texts through the same tokenizer, directly on this thread.
    const parsed = Papa.parse<string[]>(csvText, { skipEmptyLines: true });
    const header = parsed.data[0] ?? [];
    const textColumns = analysis.mapping.textColumns;
    const labelColumn = analysis.mapping.labelColumn;
    const body = parsed.data.slice(1);
    const texts = body.map((row) => textColumns.map((c) => row[c] ?? '').join(' '));
    const tokenizer = await loadTokenizer(files);
    const directStart = performance.now();
    await encodeTexts(tokenizer, texts, { maxLength: request.maxLength });
    const directTokenizeMs = performance.now() - directStart;
    const report: DataBenchReport = { banking77, directTokenizeMs, directRows: texts.length };

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
      const stop = watchMainThread();
      const { analysis: _unused, ...large } = await importThroughWorker(
        worker,
        { kind: 'file', file },
        file.size,
        request.maxLength,
      );
      const watched = stop();
      report.large = {
        ...large,
        longestLongTaskMs: watched.longest,
        longTasks: watched.count,
        longestTickGapMs: watched.longestGap,
      };
    }
    return report;
  } finally {
    worker.terminate();
  }
}
