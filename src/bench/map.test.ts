// A smoke run of the data-map benchmark at toy sizes, directly and as `npm run bench -- --quick
// --only map`: it must stay callable and report its figures (which mean nothing on a loaded machine).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../node/paths.ts';
import { benchMap } from './map.ts';
import type { BenchRow } from './table.ts';

describe('benchMap', () => {
  it('times PCA and the layout and reports the layout’s trustworthiness', async () => {
    const rows = await benchMap({ sizes: [300], dim: 24, clusters: 4, sampleRows: 200 });
    expect(rows.map((r) => r.name)).toEqual([
      'PCA to 50 dims, 300 rows × 24',
      'PCA + UMAP layout, 300 rows × 24',
    ]);
    for (const r of rows) expect(r.value).toBeGreaterThan(0);
    const trust = Number(/trustworthiness ([\d.]+)/.exec(rows[1]!.note ?? '')?.[1]);
    expect(trust).toBeGreaterThan(0.9);
  }, 120_000);

  it('runs as the map suite of npm run bench -- --quick', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-map-'));
    try {
      const out = join(dir, 'bench.json');
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/bench/main.ts', '--quick', '--only', 'map', '--out', out],
        { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 },
      );
      expect(run.status, run.stderr).toBe(0);
      const { rows } = JSON.parse(readFileSync(out, 'utf8')) as { rows: BenchRow[] };
      expect(rows.map((r) => `${r.suite} | ${r.name}`)).toEqual([
        'map | PCA to 50 dims, 500 rows × 64',
        'map | PCA + UMAP layout, 500 rows × 64',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
