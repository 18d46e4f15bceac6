// Data step throughput in Node: parse + check (+ split) and tokenization, on Banking77 train and on
// a 100,000-row CSV built from its real rows; the tokenizer library called directly is the
// baseline the tokenization pipeline is compared with.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readCsvTable, bytesFromArray } from '../core/csv/index.ts';
import { buildDataset, guessColumns, resolveMapping, splitDataset } from '../core/dataset/index.ts';
import { encodeTexts, loadTokenizer, type TextTokenizer } from '../core/tokenize/index.ts';
import { bertTokenizerDir, dataDir } from '../node/paths.ts';
import type { BenchRow } from './table.ts';

export interface DataBenchOptions {
  /** Rows of the synthetic CSV (default 100,000). */
  syntheticRows?: number;
  /** Texts tokenized per measurement (default: all rows of the file). */
  tokenizeLimit?: number;
  maxLength?: number;
  /** Interleaved timing rounds of direct and pipeline tokenization; the best of each counts (default 3). */
  rounds?: number;
}

const quote = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** A CSV of `rows` unique rows: Banking77's texts in turn, each with its row number appended. */
export function syntheticCsv(source: { text: string; label: string }[], rows: number): Uint8Array {
  const lines = ['text,label'];
  for (let i = 0; i < rows; i++) {
    const row = source[i % source.length] as { text: string; label: string };
    lines.push(`${quote(`${row.text} (${i + 1})`)},${row.label}`);
  }
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

function seconds(start: number): number {
  return (performance.now() - start) / 1000;
}

interface Measured {
  rows: number;
  parseSeconds: number;
  checkSeconds: number;
  splitSeconds: number;
  texts: string[];
}

async function parseAndCheck(bytes: Uint8Array): Promise<Measured> {
  let start = performance.now();
  const table = await readCsvTable(bytesFromArray(bytes), {});
  const parseSeconds = seconds(start);
  start = performance.now();
  const mapping = resolveMapping(table.columns, guessColumns(table.columns, table.rows.slice(0, 5000)));
  const dataset = buildDataset(table, mapping);
  const checkSeconds = seconds(start);
  start = performance.now();
  splitDataset(dataset, { seed: 1 });
  const splitSeconds = seconds(start);
  return { rows: table.summary.rows, parseSeconds, checkSeconds, splitSeconds, texts: dataset.texts };
}

function tokenizeDirect(
  tokenizer: TextTokenizer,
  texts: readonly string[],
): { seconds: number; tokens: number } {
  const start = performance.now();
  let tokens = 0;
  for (const text of texts) tokens += tokenizer.encodeDirect(text).length;
  return { seconds: seconds(start), tokens };
}

async function tokenizePipeline(
  tokenizer: TextTokenizer,
  texts: readonly string[],
  maxLength: number,
): Promise<{ seconds: number; tokens: number }> {
  const start = performance.now();
  const encoded = await encodeTexts(tokenizer, texts, { maxLength });
  return { seconds: seconds(start), tokens: encoded.ids.length };
}

export async function benchData(options: DataBenchOptions = {}): Promise<BenchRow[]> {
  const maxLength = options.maxLength ?? 128;
  const bankingBytes = readFileSync(resolve(dataDir(), 'banking77', 'train.csv'));
  const banking = await readCsvTable(bytesFromArray(bankingBytes), {});
  const source = banking.rows.map(([text, label]) => ({ text: text as string, label: label as string }));
  const synthetic = syntheticCsv(source, options.syntheticRows ?? 100_000);
  const bertDir = bertTokenizerDir();
  const tokenizer = await loadTokenizer({
    'tokenizer.json': readFileSync(resolve(bertDir, 'tokenizer.json'), 'utf8'),
    'tokenizer_config.json': readFileSync(resolve(bertDir, 'tokenizer_config.json'), 'utf8'),
  });

  // One untimed pass so the first timed figures do not include JIT warm-up.
  await parseAndCheck(bankingBytes.subarray(0, 200_000));

  const rows: BenchRow[] = [];
  const sets: [string, Uint8Array][] = [
    ['Banking77 train', bankingBytes],
    [`synthetic ${(options.syntheticRows ?? 100_000).toLocaleString('en')} rows`, synthetic],
  ];
  for (const [name, bytes] of sets) {
    const measured = await parseAndCheck(bytes);
    const mb = bytes.length / 1048576;
    rows.push({
      suite: 'data',
      name: `parse ${name}`,
      where: 'node',
      value: measured.rows / measured.parseSeconds,
      unit: 'rows/s',
      note: `${(mb / measured.parseSeconds).toFixed(1)} MB/s`,
    });
    rows.push({
      suite: 'data',
      name: `parse+check ${name}`,
      where: 'node',
      value: measured.rows / (measured.parseSeconds + measured.checkSeconds),
      unit: 'rows/s',
    });
    rows.push({
      suite: 'data',
      name: `split ${name}`,
      where: 'node',
      value: measured.rows / measured.splitSeconds,
      unit: 'rows/s',
    });
    const texts = measured.texts.slice(0, options.tokenizeLimit ?? measured.texts.length);
    // Warm up both paths once so neither pays for compilation in the timed run.
    tokenizeDirect(tokenizer, texts.slice(0, 200));
    await tokenizePipeline(tokenizer, texts.slice(0, 200), maxLength);
    // Interleaved rounds, best of each: on a shared machine the fastest round is the least disturbed.
    let direct = { seconds: Infinity, tokens: 0 };
    let pipeline = { seconds: Infinity, tokens: 0 };
    for (let round = 0; round < (options.rounds ?? 3); round++) {
      const d = tokenizeDirect(tokenizer, texts);
      if (d.seconds < direct.seconds) direct = d;
      const p = await tokenizePipeline(tokenizer, texts, maxLength);
      if (p.seconds < pipeline.seconds) pipeline = p;
    }
    const directRate = texts.length / direct.seconds;
    const pipelineRate = texts.length / pipeline.seconds;
    rows.push({
      suite: 'data',
      name: `tokenizer direct ${name}`,
      where: 'node',
      value: directRate,
      unit: 'rows/s',
      note: `${Math.round(direct.tokens / direct.seconds).toLocaleString('en')} tokens/s`,
    });
    rows.push({
      suite: 'data',
      name: `tokenize pipeline ${name} (max_length ${maxLength})`,
      where: 'node',
      value: pipelineRate,
      unit: 'rows/s',
      ratio: { against: 'tokenizer direct', value: pipelineRate / directRate },
      note: `${Math.round(pipeline.tokens / pipeline.seconds).toLocaleString('en')} tokens/s`,
    });
  }
  return rows;
}
