// `finetune-studio train --cache-memory`: a top-k run whose frozen-layer cache goes to temporary
// files trains exactly like one that keeps it in memory, says so, and leaves no file behind.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDir, fixtureModelDir } from '../../node/paths.ts';

const bin = new URL('../bin.mjs', import.meta.url).pathname;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'train-cache-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function train(name: string, ...extra: string[]) {
  // A private temp folder shows whether the run cleaned up after itself.
  const scratch = join(dir, `${name}-tmp`);
  mkdirSync(scratch);
  const out = join(dir, name);
  const result = spawnSync(
    process.execPath,
    [
      bin,
      '--backend',
      'wasm',
      'train',
      join(dataDir(), 'uci_sentiment', 'yelp.csv'),
      '--model',
      fixtureModelDir('distilbert-tiny-seqcls'),
      '--mode',
      'top-k',
      '--layers',
      '1',
      '--epochs',
      '2',
      '--max-length',
      '32',
      '--out',
      out,
      '--json',
      ...extra,
    ],
    { encoding: 'utf8', timeout: 300_000, env: { ...process.env, HF_ENDPOINT: '', TMPDIR: scratch } },
  );
  if (result.status !== 0) throw new Error(`train failed (${result.status}):\n${result.stderr}`);
  return {
    stderr: result.stderr,
    summary: JSON.parse(result.stdout) as { notices: string[] },
    metrics: JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Record<string, unknown>,
    scratch: readdirSync(scratch).filter((f) => f.startsWith('finetune-studio-cache-')),
  };
}

describe('finetune-studio train with a cache over --cache-memory', () => {
  it('spills to a temporary file, says so, trains like the memory cache and cleans up', () => {
    const spilled = train('spilled', '--cache-memory', '0.1');
    const inMemory = train('memory');
    const spills = spilled.summary.notices.filter((n) => n.includes('cached in a temporary file'));
    // The train split (800 examples) goes over 100 kB; so do validation and test.
    expect(spills).toHaveLength(3);
    expect(spills[0]).toMatch(
      /^The frozen layers' output for 800 examples \([\d.]+ MB\) is over the 100\.0 kB memory budget/,
    );
    expect(spilled.stderr).toContain(`note: ${spills[0]}`);
    expect(inMemory.summary.notices.some((n) => n.includes('temporary file'))).toBe(false);
    // Every loss and metric is the same; only the wall-clock time differs.
    expect({ ...spilled.metrics, train_seconds: 0 }).toEqual({ ...inMemory.metrics, train_seconds: 0 });
    expect(spilled.metrics.history).toHaveLength(2);
    expect(spilled.scratch).toEqual([]);
  });

  it('rejects a budget that is not a size', () => {
    const result = spawnSync(
      process.execPath,
      [
        bin,
        'train',
        'x.csv',
        '--model',
        'm',
        '--mode',
        'top-k',
        '--out',
        join(dir, 'x'),
        '--cache-memory',
        'lots',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim()).toBe('finetune-studio: --cache-memory must be megabytes ≥ 0, got "lots"');
  });
});
