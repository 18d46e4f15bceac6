// `finetune-studio map` as a user runs it: a child process through the bin entry, on the tiny
// fixture model and the first 60 Yelp sentences.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDir, fixtureModelDir } from '../../node/paths.ts';

const bin = new URL('../bin.mjs', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, '--backend', 'wasm', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, HF_ENDPOINT: '' },
  });

const MODEL = fixtureModelDir('distilbert-tiny-seqcls');
const ROWS = 60;

let dir: string;
let file: string;
let source: { text: string; label: string }[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'map-cli-'));
  source = Papa.parse<{ text: string; label: string }>(
    readFileSync(join(dataDir(), 'uci_sentiment', 'yelp.csv'), 'utf8'),
    { header: true, skipEmptyLines: true },
  ).data.slice(0, ROWS);
  file = join(dir, 'yelp.csv');
  writeFileSync(file, Papa.unparse(source));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mapOf = (out: string, seed: string) =>
  cli('--json', 'map', file, '--model', MODEL, '--max-length', '32', '--seed', seed, '--out', out);

describe('finetune-studio map', () => {
  it('writes row,x,y,label for every data row, the same for the same seed and another for another', () => {
    const outs = ['a.csv', 'b.csv', 'c.csv'].map((name) => join(dir, name));
    const runs = [mapOf(outs[0]!, '7'), mapOf(outs[1]!, '7'), mapOf(outs[2]!, '8')];
    for (const run of runs) expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(runs[0]!.stdout) as { rows: number; seed: number; neighbours: number };
    expect(summary).toMatchObject({ rows: ROWS, seed: 7, neighbours: 15 });

    const text = readFileSync(outs[0]!, 'utf8');
    expect(text.split('\n')[0]).toBe('row,x,y,label');
    const rows = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;
    expect(rows.map((r) => Number(r.row))).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    for (const r of rows) {
      expect(r.label).toBe(source[Number(r.row) - 1]!.label);
      expect(Number.isFinite(Number(r.x)) && Number.isFinite(Number(r.y))).toBe(true);
    }
    expect(readFileSync(outs[1]!, 'utf8')).toBe(text);
    expect(readFileSync(outs[2]!, 'utf8')).not.toBe(text);
  }, 600_000);

  it('refuses to overwrite --out without --force, and a bad --neighbours, in one line', () => {
    const out = join(dir, 'exists.csv');
    writeFileSync(out, 'keep\n');
    const refused = mapOf(out, '1');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr.trim()).toMatch(/exists; pass --force to overwrite it$/);
    expect(readFileSync(out, 'utf8')).toBe('keep\n');
    const bad = cli('map', file, '--model', MODEL, '--neighbours', '1', '--out', join(dir, 'x.csv'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('finetune-studio: --neighbours must be a whole number ≥ 2, got "1"');
  }, 120_000);
});
