// `finetune-studio label-issues` as a user runs it: a child process through the bin entry, on the
// tiny fixture model, against labels we flipped ourselves.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelIssues } from '../../core/quality/index.ts';
import { createRng } from '../../core/util/random.ts';
import { dataDir, fixtureModelDir } from '../../node/paths.ts';
import { issueRows, issuesCsv } from './label-issues.ts';

const bin = new URL('../bin.mjs', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, '--backend', 'wasm', ...args], {
    encoding: 'utf8',
    timeout: 1_500_000,
    env: { ...process.env, HF_ENDPOINT: '' },
  });

const SEQCLS = fixtureModelDir('distilbert-tiny-seqcls');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'label-issues-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface IssueRow {
  row: number;
  given_label: string;
  suggested_label: string;
  label_quality: number;
}

// The planted-noise check: 2,000 SMS messages, 5% of their labels flipped with a fixed seed.
// Thresholds: precision ≥ 0.5 and recall ≥ 0.5 of the flagged rows against the flipped ones.
const ROWS = 2000;
const FLIPS = 100;
const MIN_PRECISION = 0.5;
const MIN_RECALL = 0.5;

describe('finetune-studio label-issues on SMS spam with planted label noise', () => {
  let flipped: Set<number>;
  let found: IssueRow[];
  let csvRows: Record<string, string>[];
  let out: string;
  beforeAll(() => {
    const source = Papa.parse<{ text: string; label: string }>(
      readFileSync(join(dataDir(), 'sms_spam', 'sms_spam.csv'), 'utf8'),
      { header: true, skipEmptyLines: true },
    ).data.slice(0, ROWS);
    const order = createRng('planted-noise').shuffle(Array.from({ length: source.length }, (_, i) => i));
    const flips = order.slice(0, FLIPS);
    for (const i of flips) source[i]!.label = source[i]!.label === 'spam' ? 'ham' : 'spam';
    flipped = new Set(flips.map((i) => i + 1)); // 1-based data rows
    const file = join(dir, 'sms-noisy.csv');
    writeFileSync(file, Papa.unparse(source));
    out = join(dir, 'issues.csv');
    // The tiny fixture model has random weights: a frozen encoder tells spam from ham poorly, so the
    // fold models fine-tune all of it.
    const result = cli(
      '--json',
      'label-issues',
      file,
      '--model',
      SEQCLS,
      '--mode',
      'full',
      '--lr',
      '1e-3',
      '--max-length',
      '32',
      '--out',
      out,
    );
    if (result.status !== 0) throw new Error(`label-issues failed (${result.status}):\n${result.stderr}`);
    found = (JSON.parse(result.stdout) as { rows: IssueRow[] }).rows;
    csvRows = Papa.parse<Record<string, string>>(readFileSync(out, 'utf8'), {
      header: true,
      skipEmptyLines: true,
    }).data;
  }, 1_600_000);

  it(`flags the flipped labels with precision ≥ ${MIN_PRECISION} and recall ≥ ${MIN_RECALL}`, () => {
    const hits = found.filter((r) => flipped.has(r.row)).length;
    const precision = hits / found.length;
    const recall = hits / flipped.size;
    console.log(
      `planted noise: ${found.length} flagged, ${hits} of ${flipped.size} flips found: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`,
    );
    expect(precision).toBeGreaterThanOrEqual(MIN_PRECISION);
    expect(recall).toBeGreaterThanOrEqual(MIN_RECALL);
  });

  it('writes the CSV with the JSON rows, most suspect first, suggesting the other label', () => {
    expect(Object.keys(csvRows[0]!)).toEqual(['row', 'given_label', 'suggested_label', 'label_quality']);
    expect(csvRows.map((r) => Number(r.row))).toEqual(found.map((r) => r.row));
    expect(csvRows.map((r) => Number(r.label_quality))).toEqual(found.map((r) => r.label_quality));
    for (const r of found) {
      expect(r.label_quality).toBeGreaterThanOrEqual(0);
      expect(r.label_quality).toBeLessThanOrEqual(1);
      expect(r.suggested_label).toBe(r.given_label === 'spam' ? 'ham' : 'spam');
    }
    for (let i = 1; i < found.length; i++) {
      const [a, b] = [found[i - 1]!, found[i]!];
      expect(
        a.label_quality < b.label_quality || (a.label_quality === b.label_quality && a.row < b.row),
      ).toBe(true);
    }
  });
});

describe('finetune-studio label-issues: bad input', () => {
  it('refuses an unknown score, too few folds and an existing --out file, in one line each', () => {
    const file = join(dir, 'tiny.csv');
    writeFileSync(file, 'text,label\na,x\nb,y\nc,x\n');
    const existing = join(dir, 'exists.csv');
    writeFileSync(existing, 'keep me');
    const cases: [string[], RegExp][] = [
      [['--score', 'entropy'], /--score must be self-confidence or normalized-margin, got "entropy"/],
      [['--folds', '1'], /--folds must be a whole number ≥ 2, got "1"/],
      [['--mode', 'half'], /--mode must be head, top-k or full, got "half"/],
    ];
    for (const [flags, message] of cases) {
      const result = cli('label-issues', file, '--model', SEQCLS, '--out', join(dir, 'x.csv'), ...flags);
      expect(result.status).not.toBe(0);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(message);
    }
    const refused = cli('label-issues', file, '--model', SEQCLS, '--out', existing);
    expect(refused.stderr).toMatch(/exists; pass --force to overwrite it/);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    const few = cli('label-issues', file, '--model', SEQCLS, '--out', join(dir, 'y.csv'));
    expect(few.status).toBe(1);
    expect(few.stderr).toMatch(/5 folds need at least 5 labelled rows; the file has 3/);
  }, 600_000);
});

describe('finetune-studio label-issues --threads', () => {
  it("computes on the threads asked for, the frozen encoder's features once on onnxruntime-node", () => {
    const rows = Papa.parse<{ text: string; label: string }>(
      readFileSync(join(dataDir(), 'sms_spam', 'sms_spam.csv'), 'utf8'),
      { header: true, skipEmptyLines: true },
    ).data.slice(0, 40);
    const file = join(dir, 'sms-40.csv');
    writeFileSync(file, Papa.unparse(rows));
    const result = cli(
      '--threads',
      '2',
      'label-issues',
      file,
      '--model',
      SEQCLS,
      '--folds',
      '2',
      '--epochs',
      '1',
      '--max-length',
      '32',
      '--out',
      join(dir, 'threads.csv'),
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^backend: wasm · 2 threads$/m);
    // The first fold's caches serve the second: one engine, opened once.
    expect(result.stderr.match(/^inference engine: .*$/gm)).toEqual([
      expect.stringMatching(/^inference engine: ONNX Runtime \(onnxruntime-node [\d.]+, CPU/),
    ]);
  }, 300_000);
});

describe('label issue rows', () => {
  it('multi-label cells hold label sets joined by the file separator; CSV cells are formula-safe', () => {
    const report = labelIssues(
      {
        labels: ['=cmd', 'b'],
        multiLabel: true,
        rows: Int32Array.from([3, 5, 8, 9]),
        given: Uint8Array.from([1, 0, 1, 0, 0, 1, 1, 1]),
        probabilities: Float32Array.from([0.875, 0.125, 0.75, 0.25, 0.875, 0.75, 0.25, 0.875]),
      },
      'self-confidence',
    );
    const rows = issueRows(report, ';');
    expect(rows).toEqual([
      { row: 8, given_label: 'b', suggested_label: '=cmd;b', label_quality: 0.125 },
      { row: 9, given_label: '=cmd;b', suggested_label: 'b', label_quality: 0.25 },
    ]);
    expect(issuesCsv(rows)).toBe(
      "row,given_label,suggested_label,label_quality\n8,b,'=cmd;b,0.125\n9,'=cmd;b,b,0.25\n",
    );
  });
});
