// `inspect` and `tokenize` as a user runs them: real child processes through the bin entry.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Papa from 'papaparse';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsvTable } from '../../core/csv/parse.ts';
import { bytesFromString } from '../../core/csv/source.ts';
import { guessColumns } from '../../core/dataset/columns.ts';
import { buildEditedDataset } from '../../core/dataset/edits.ts';
import { rowsDownloadCsv } from '../../core/dataset/export.ts';
import { dataDir, fixtureModelDir, tokenizationReference } from '../../node/paths.ts';

const bin = new URL('../bin.mjs', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, HF_ENDPOINT: '' },
  });

const dir = mkdtempSync(join(tmpdir(), 'finetune-cli-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('files that cannot be used exit non-zero with one line on stderr', () => {
  const png = Uint8Array.from([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
  ]);
  const idRows = ['text,label', ...Array.from({ length: 60 }, (_, i) => `row ${i},ID-${i}`)].join('\n');
  it.each([
    ['empty', file('empty.csv', ''), /is empty/],
    ['binary', file('picture.csv', png), /PNG image, not a text file/],
    ['one column', file('one.csv', 'text\nhello\nworld\n'), /single column, so there is no label column/],
    [
      'one class',
      file('oneclass.csv', 'text,label\na,spam\nb,spam\nc,spam\n'),
      /every row has the label "spam"/,
    ],
    ['id-like labels', file('ids.csv', idRows), /looks like an id/],
  ])('%s', (_name, path, reason) => {
    const result = cli('inspect', path);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(reason);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\bat \S+ \(/);
  });
});

describe('inspect', () => {
  it('reports columns, labels, checks, dropped rows and splits as JSON', () => {
    const path = file(
      'messy.csv',
      'text;label\n Hello there ; Positive\nbad;row;here\n;negative\nfine;NEGATIVE \nfine too;negative\n"open;positive\n',
    );
    const result = cli(
      '--json',
      'inspect',
      path,
      '--case-fold',
      '--export-dropped',
      join(dir, 'dropped.csv'),
    );
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      dialect: { delimiter: string };
      rows: number;
      kept: number;
      labels: { label: string; count: number }[];
      droppedRows: { row: number; reason: string }[];
      checks: { id: string; rows: number[] }[];
      split: { sizes: Record<string, number> };
    };
    expect(report.dialect.delimiter).toBe(';');
    expect(report.rows).toBe(6);
    expect(report.kept).toBe(3);
    expect(report.labels).toEqual([
      { label: 'negative', count: 2 },
      { label: 'positive', count: 1 },
    ]);
    expect(report.droppedRows.map((d) => [d.row, d.reason])).toEqual([
      [2, 'malformed'],
      [3, 'empty-text'],
      [6, 'malformed'],
    ]);
    expect(report.checks.find((c) => c.id === 'malformed-row')?.rows).toEqual([2, 6]);
    expect(Object.values(report.split.sizes).reduce((a, b) => a + b, 0)).toBe(3);
    const droppedCsv = readFileSync(join(dir, 'dropped.csv'), 'utf8');
    expect(droppedCsv.startsWith('\ufeff')).toBe(true);
    const dropped = Papa.parse<string[]>(droppedCsv.slice(1).trim()).data;
    expect(dropped.map((r) => r[0])).toEqual(['row', '2', '3', '6']);
  });

  it('measures token lengths and the too-long check with --model', () => {
    const result = cli(
      '--json',
      'inspect',
      resolve(dataDir(), 'uci_sentiment', 'yelp.csv'),
      '--model',
      fixtureModelDir('distilbert-tiny-seqcls'),
      '--max-length',
      '24',
    );
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      tokens: { maxLength: number; suggestedMaxLength: number; p95: number };
      checks: { id: string; rows: number[]; details: string[] }[];
    };
    expect(report.tokens.maxLength).toBe(24);
    expect(report.tokens.suggestedMaxLength).toBe(Math.ceil(report.tokens.p95 / 8) * 8);
    const tooLong = report.checks.find((c) => c.id === 'too-long');
    expect(tooLong?.rows.length).toBeGreaterThan(0);
    expect(tooLong?.details[0]).toMatch(/^\d+ tokens, \d+ cut$/);
  });

  it('writes the dropped rows byte for byte as the studio Data step downloads them', async () => {
    // An unmapped column, rows with more fields than the header, formula-looking cells in a
    // malformed row and in an unlabelled row, which is not a dropped one.
    const text = [
      'text,label,note',
      'good film,pos,a',
      'bad film,neg,b',
      'fine film,pos,c',
      'awful film,neg,d',
      'too,many,fields,=1+2,here',
      '=HYPERLINK("http://x"),,e',
      'nice film,pos,f',
      'dull film,neg,g',
    ].join('\n');
    const path = file('extra-fields.csv', text);
    const out = join(dir, 'extra-fields-dropped.csv');
    const result = cli('inspect', path, '--export-dropped', out);
    expect(result.status, result.stderr).toBe(0);
    const fromCli = readFileSync(out);

    // The studio's path: the kept table, the guessed mapping as the data worker confirms it, the
    // dataset under no edits, the row download.
    const table = await readCsvTable(bytesFromString(text), {});
    const guess = guessColumns(table.columns, table.rows.slice(0, 1000));
    const dataset = buildEditedDataset(
      table,
      {
        textColumns: guess.textColumns,
        labelColumn: guess.labelColumn ?? -1,
        splitColumn: guess.splitColumn,
        idColumn: guess.idColumn,
        multiLabel: false,
        labelSeparator: null,
        caseFold: false,
        dropDuplicates: false,
      },
      new Map(),
    );
    const fromStudio = new TextEncoder().encode(rowsDownloadCsv('dropped', table, dataset));
    expect(Buffer.from(fromStudio).equals(fromCli)).toBe(true);

    const rows = Papa.parse<string[]>(fromCli.toString('utf8').slice(1).trim()).data;
    expect(rows[0]).toEqual([
      'row',
      'reason',
      'detail',
      'text',
      'label',
      'note',
      'extra field 1',
      'extra field 2',
    ]);
    expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual([['5', 'malformed']]);
    expect(rows[1]?.slice(3)).toEqual(['too', 'many', 'fields', "'=1+2", 'here']);
  });

  it('reports the unlabelled rows, in words and as JSON, and leaves them out of the dropped rows', () => {
    const path = file(
      'unlabelled.csv',
      'text,label\ngood film,pos\nbad film,neg\nnot seen yet,\nfine film,pos\n,\nawful film,neg\nlater,\n',
    );
    const out = join(dir, 'unlabelled-dropped.csv');
    const json = cli('--json', 'inspect', path, '--export-dropped', out);
    expect(json.status, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      kept: number;
      unlabelled: number;
      dropped: number;
      checks: { id: string; severity: string; rows: number[] }[];
      droppedRows: { row: number; reason: string }[];
      split: { sizes: Record<string, number> };
    };
    expect(report).toMatchObject({ kept: 4, unlabelled: 2, dropped: 1 });
    expect(report.checks.find((c) => c.id === 'missing-label')).toMatchObject({
      severity: 'info',
      rows: [3, 7],
    });
    expect(report.droppedRows).toEqual([{ row: 5, reason: 'empty-text', detail: expect.any(String) }]);
    expect(Object.values(report.split.sizes).reduce((a, b) => a + b, 0)).toBe(4);
    const dropped = Papa.parse<string[]>(readFileSync(out, 'utf8').slice(1).trim()).data;
    expect(dropped.map((r) => r[0])).toEqual(['row', '5']);

    const words = cli('inspect', path);
    expect(words.status, words.stderr).toBe(0);
    expect(words.stdout).toMatch(/kept 4 labelled rows of 7; 2 unlabelled \(not trained on\); dropped 1/);
    expect(words.stdout).toMatch(/\[info\] Unlabelled rows: 2 rows have no label: kept as unlabelled/);
  });

  it('prints a readable report for NLU++ (multi-label)', () => {
    const result = cli('inspect', resolve(dataDir(), 'nlu_plus_plus', 'banking.csv'));
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/multi-label, separated by "\|", 48 classes/);
    expect(result.stdout).toMatch(/Rows with no label: 88 rows/);
    expect(result.stdout).toMatch(/split \(stratified, seed 42, 80\/10\/10\): train \d/);
  });
});

describe('tokenize', () => {
  it('writes one line per kept row with ids equal to the Hugging Face reference', () => {
    const out = join(dir, 'banking-test.jsonl');
    const result = cli(
      'tokenize',
      resolve(dataDir(), 'banking77', 'test.csv'),
      '--model',
      fixtureModelDir('distilbert-tiny-seqcls'),
      '--out',
      out,
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/wrote 3,080 rows/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3080);
    const rows = lines.map(
      (l) =>
        JSON.parse(l) as {
          row: number;
          split: string;
          text: string;
          input_ids: number[];
          attention_mask: number[];
          label: string;
        },
    );
    expect(rows.map((r) => r.row)).toEqual(Array.from({ length: 3080 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.split))).toEqual(new Set(['train', 'validation', 'test']));
    expect(rows[0]).toMatchObject({ text: 'How do I locate my card?', label: 'card_arrival' });
    const reference = readFileSync(tokenizationReference('hf-tokenizers'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { source: string; text: string; input_ids: number[] })
      .filter((r) => r.source === 'banking77/test.csv');
    expect(reference.length).toBeGreaterThan(0);
    for (const ref of reference) {
      const row = rows.find((r) => r.text === ref.text);
      expect(row?.input_ids).toEqual(ref.input_ids);
      expect(row?.attention_mask).toEqual(ref.input_ids.map(() => 1));
    }
  });

  it('keeps text exactly as decoded, truncates to --max-length and writes label arrays for multi-label', () => {
    const path = file(
      'multi.csv',
      'text,labels\n"  Spaced out, kept as is  ",a|b\nno labels here,\nsome words here and a few more words to cut,b\n',
    );
    const out = join(dir, 'multi.jsonl');
    const result = cli(
      'tokenize',
      path,
      '--model',
      fixtureModelDir('distilbert-tiny-seqcls'),
      '--max-length',
      '8',
      '--out',
      out,
    );
    expect(result.status, result.stderr).toBe(0);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; input_ids: number[]; label: string[] });
    expect(rows[0]?.text).toBe('  Spaced out, kept as is  ');
    expect(rows[0]?.label).toEqual(['a', 'b']);
    expect(rows[1]?.label).toEqual([]);
    expect(rows[2]?.input_ids).toHaveLength(8);
    expect(rows[2]?.input_ids.at(-1)).toBe(102);
    expect(result.stdout).toMatch(/1 text is longer than max_length 8/);
  });

  it('refuses a max length beyond the model limit', () => {
    const result = cli(
      'tokenize',
      resolve(dataDir(), 'uci_sentiment', 'yelp.csv'),
      '--model',
      fixtureModelDir('distilbert-tiny-seqcls'),
      '--max-length',
      '4096',
      '--out',
      join(dir, 'never.jsonl'),
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim()).toMatch(/exceeds the model's limit of \d+ tokens$/);
  });
});
