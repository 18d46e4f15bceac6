// `finetune-studio suggest` as a user runs it: a child process through the bin entry. A run trained
// by `train --out` on the first 80 Yelp sentences, a quarter of them with an empty label cell, ranks
// those unlabelled rows; the scores are checked against `predict`'s probabilities for the same rows.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uncertaintyScores, type UncertaintyStrategy } from '../../core/active/index.ts';
import { dataDir, fixtureModelDir } from '../../node/paths.ts';

const bin = new URL('../bin.mjs', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, '--backend', 'wasm', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, HF_ENDPOINT: '' },
  });

const SEQCLS = fixtureModelDir('distilbert-tiny-seqcls');
const ROWS = 80;
const LABELS = ['negative', 'positive'];

let dir: string;
let file: string;
let run: string;
/** 1-based data rows with an empty label cell, and their texts. */
let unlabelledRows: number[];
let unlabelledTexts: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'suggest-cli-'));
  const source = Papa.parse<{ text: string; label: string }>(
    readFileSync(join(dataDir(), 'uci_sentiment', 'yelp.csv'), 'utf8'),
    { header: true, skipEmptyLines: true },
  ).data.slice(0, ROWS);
  const rows = source.map((r, i) => ({ text: r.text, label: i % 4 === 1 ? '' : r.label }));
  unlabelledRows = rows.flatMap((r, i) => (r.label === '' ? [i + 1] : []));
  unlabelledTexts = rows.filter((r) => r.label === '').map((r) => r.text);
  file = join(dir, 'data.csv');
  writeFileSync(file, Papa.unparse(rows));
  run = join(dir, 'run');
  const trained = cli(
    'train',
    file,
    '--model',
    SEQCLS,
    '--mode',
    'full',
    '--epochs',
    '5',
    '--lr',
    '1e-2',
    '--batch-size',
    '8',
    '--max-length',
    '32',
    '--out',
    run,
  );
  if (trained.status !== 0) throw new Error(`train failed (${trained.status}):\n${trained.stderr}`);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The run's probabilities for the unlabelled texts through `predict`, in their order. */
function predictedProbabilities(): { probabilities: number[]; labels: string[] } {
  const texts = join(dir, 'unlabelled-texts.csv');
  writeFileSync(texts, Papa.unparse(unlabelledTexts.map((text) => ({ text }))));
  const result = cli('--json', 'predict', '--model', run, '--csv', texts, '--max-length', '32');
  expect(result.status, result.stderr).toBe(0);
  const output = JSON.parse(result.stdout) as {
    rows: { row: number; probabilities: Record<string, number>; label: string }[];
  };
  expect(output.rows.map((r) => r.row)).toEqual(unlabelledTexts.map((_, i) => i + 1));
  return {
    probabilities: output.rows.flatMap((r) => LABELS.map((label) => r.probabilities[label]!)),
    labels: output.rows.map((r) => r.label),
  };
}

function readSuggestions(out: string): { row: number; score: number; predicted_label: string }[] {
  const text = readFileSync(out, 'utf8');
  expect(text.split('\n')[0]).toBe('row,score,predicted_label');
  return Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data.map((r) => ({
    row: Number(r.row),
    score: Number(r.score),
    predicted_label: r.predicted_label!,
  }));
}

function expectRankedLikePredict(
  suggestions: ReturnType<typeof readSuggestions>,
  strategy: UncertaintyStrategy,
): void {
  const predicted = predictedProbabilities();
  const scores = uncertaintyScores(predicted.probabilities, LABELS.length, strategy);
  // The premise: rows' scores lie further apart than the tolerance, so a row mixed up would show.
  expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(0.05);
  for (const s of suggestions) {
    const i = unlabelledRows.indexOf(s.row);
    expect(i, `row ${s.row} is not an unlabelled row`).toBeGreaterThanOrEqual(0);
    expect(Math.abs(s.score - scores[i]!)).toBeLessThan(1e-6);
    expect(s.predicted_label).toBe(predicted.labels[i]);
  }
  for (let k = 1; k < suggestions.length; k++) {
    expect(suggestions[k]!.score).toBeLessThanOrEqual(suggestions[k - 1]!.score);
  }
}

describe('finetune-studio suggest', () => {
  it('trains on the labelled rows only and counts the unlabelled ones in data_summary.json', () => {
    const summary = JSON.parse(readFileSync(join(run, 'data_summary.json'), 'utf8')) as {
      rows: number;
      unlabelled_rows: number;
    };
    expect(summary).toMatchObject({ rows: ROWS - unlabelledRows.length, unlabelled_rows: 20 });
  });

  it('writes at most --count unlabelled rows, most uncertain first, scored as the run predicts them', () => {
    const out = join(dir, 'next.csv');
    const result = cli('--json', 'suggest', file, '--model', run, '--count', '8', '--out', out);
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { candidates: number; strategy: string; radius: number };
    expect(summary).toMatchObject({ candidates: 20, strategy: 'entropy', radius: 0.2 });
    const suggestions = readSuggestions(out);
    expect(suggestions.length).toBeGreaterThan(0);
    expect(suggestions.length).toBeLessThanOrEqual(8);
    expect(new Set(suggestions.map((s) => s.row)).size).toBe(suggestions.length);
    expectRankedLikePredict(suggestions, 'entropy');
  }, 300_000);

  it('with --radius 0 and a large --count, ranks every unlabelled row by margin', () => {
    const out = join(dir, 'all.csv');
    const result = cli(
      'suggest',
      file,
      '--model',
      run,
      '--count',
      '100',
      '--strategy',
      'margin',
      '--radius',
      '0',
      '--out',
      out,
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Ranked 20 unlabelled rows by margin/);
    const suggestions = readSuggestions(out);
    expect(suggestions.map((s) => s.row).sort((a, b) => a - b)).toEqual(unlabelledRows);
    expectRankedLikePredict(suggestions, 'margin');
  }, 300_000);

  it('refuses data without unlabelled rows, another run’s labels and bad flags, in one line', () => {
    const out = join(dir, 'never.csv');
    const labelled = join(dir, 'labelled.csv');
    writeFileSync(labelled, readFileSync(join(dataDir(), 'uci_sentiment', 'yelp.csv')));
    const none = cli('suggest', labelled, '--model', run, '--count', '5', '--out', out);
    expect(none.status).toBe(1);
    expect(none.stderr.trim()).toBe(
      `finetune-studio: ${labelled} has no unlabelled rows: leave a row's label cell empty to have it ranked`,
    );
    const other = cli('suggest', file, '--model', SEQCLS, '--count', '5', '--out', out);
    expect(other.status).toBe(1);
    expect(other.stderr.trim()).toBe(
      `finetune-studio: ${SEQCLS} was trained on other labels than ${file} has; the run has neutral, which the data lacks`,
    );
    for (const [flag, value, message] of [
      ['--count', '0', '--count must be a whole number ≥ 1, got "0"'],
      ['--strategy', 'random', '--strategy must be entropy or margin, got "random"'],
      ['--radius', '-1', '--radius must be a number ≥ 0, got "-1"'],
    ] as const) {
      const args = ['suggest', file, '--model', run, '--count', '5', '--out', out, flag, value];
      const bad = cli(...args);
      expect(bad.status, flag).toBe(2);
      expect(bad.stderr.trim()).toBe(`finetune-studio: ${message}`);
    }
    writeFileSync(out, 'keep\n');
    const exists = cli('suggest', file, '--model', run, '--count', '5', '--out', out);
    expect(exists.status).not.toBe(0);
    expect(exists.stderr.trim()).toMatch(/exists; pass --force to overwrite it$/);
    expect(readFileSync(out, 'utf8')).toBe('keep\n');
  }, 300_000);
});
