// A 200 MB file, streamed: built in the test from Banking77's real rows, each made unique, then
// parsed from disk in chunks while heap use is watched. If any stage held the file as one string
// (or kept the rows), memory would grow by at least the file size.
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDir } from '../../node/paths.ts';
import { parseCsv } from './parse.ts';
import { readCsvTable } from './parse.ts';
import { bytesFromArray } from './source.ts';

const TARGET_BYTES = 200 * 1024 * 1024;
let dir = '';
let path = '';
let written = 0;
let labels = new Set<string>();

/** Real rows of Banking77 train, quoted the way the source file quotes them. */
async function realRows(): Promise<{ text: string; label: string }[]> {
  const bytes = readFileSync(resolve(dataDir(), 'banking77', 'train.csv'));
  const table = await readCsvTable(bytesFromArray(bytes), {});
  return table.rows.map(([text, label]) => ({ text: text as string, label: label as string }));
}

const quote = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

beforeAll(async () => {
  const rows = await realRows();
  labels = new Set(rows.map((r) => r.label));
  dir = mkdtempSync(join(tmpdir(), 'finetune-large-'));
  path = join(dir, 'large.csv');
  const out = createWriteStream(path, { highWaterMark: 4 << 20 });
  const write = (chunk: string): Promise<void> =>
    new Promise((done, fail) => {
      if (out.write(chunk)) done();
      else out.once('drain', done).once('error', fail);
    });
  await write('text,label\n');
  written = 0;
  let size = 11;
  let buffer: string[] = [];
  let bufferSize = 0;
  // Each row: a real text with its running number appended (so all rows differ), and its label.
  while (size < TARGET_BYTES) {
    const row = rows[written % rows.length] as { text: string; label: string };
    written++;
    const line = `${quote(`${row.text} #${written}`)},${row.label}\n`;
    buffer.push(line);
    bufferSize += line.length;
    size += Buffer.byteLength(line);
    if (bufferSize > 1 << 20) {
      await write(buffer.join(''));
      buffer = [];
      bufferSize = 0;
    }
  }
  await write(buffer.join(''));
  await new Promise<void>((done, fail) => out.end(() => done()).once('error', fail));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a 200 MB CSV', () => {
  it('streams through the parser with bounded memory and every row accounted for', async () => {
    const fileBytes = statSync(path).size;
    expect(fileBytes).toBeGreaterThanOrEqual(TARGET_BYTES);
    // Measure what stays alive, not garbage waiting for collection: collect, then read the heap.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const retained = (): number => {
      collect();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const baseline = retained();
    let peak = baseline;
    let batches = 0;
    let expectedRow = 1;
    let outOfOrder = 0;
    let wrongNumber = 0;
    let unknownLabel = 0;
    const summary = await parseCsv(createReadStream(path, { highWaterMark: 1 << 20 }), {
      totalBytes: fileBytes,
      onRows: ({ rows, rowNumbers }) => {
        for (let i = 0; i < rows.length; i++) {
          const [text, label] = rows[i] as [string, string];
          if (rowNumbers[i] !== expectedRow) outOfOrder++;
          // The number appended to each text is its row number: proves each row arrived once, whole.
          if (!text.endsWith(` #${expectedRow}`)) wrongNumber++;
          if (!labels.has(label)) unknownLabel++;
          expectedRow++;
        }
        if (++batches % 40 === 0) peak = Math.max(peak, retained());
      },
    });
    expect(summary.rows).toBe(written);
    expect(summary.goodRows).toBe(written);
    expect(summary.malformed).toEqual([]);
    expect(summary.bytes).toBe(fileBytes);
    expect(expectedRow - 1).toBe(written);
    expect(outOfOrder).toBe(0);
    expect(wrongNumber).toBe(0);
    expect(unknownLabel).toBe(0);
    expect(batches).toBeGreaterThan(100);
    // A file-sized string alone would keep 200 MB alive; streaming keeps about one chunk.
    expect(peak - baseline).toBeLessThan(32 * 1024 * 1024);
  }, 300_000);
});
