// The catalogue describes the files actually bundled in public/samples.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../node/paths.ts';
import { bytesFromArray } from '../csv/source.ts';
import { importDataset } from './pipeline.ts';
import { SAMPLE_DATASETS } from './samples.ts';

describe('bundled samples', () => {
  it.each(SAMPLE_DATASETS.map((s) => [s.id, s] as const))('%s matches its file', async (_id, sample) => {
    const path = resolve(repoRoot, 'public', sample.path);
    expect(statSync(path).size).toBe(sample.bytes);
    const { dataset, mapping } = await importDataset(bytesFromArray(readFileSync(path)));
    expect(dataset.totalRows).toBe(sample.rows);
    expect(dataset.columns[mapping.textColumns[0] as number]).toBe(sample.textColumn);
    expect(dataset.columns[mapping.labelColumn]).toBe(sample.labelColumn);
    expect(dataset.multiLabel).toBe(sample.task === 'multi-label');
    expect(dataset.labels).toHaveLength(sample.classes);
    expect(dataset.dropped).toEqual([]);
    const attribution = readFileSync(resolve(repoRoot, 'public', 'samples', 'ATTRIBUTION.md'), 'utf8');
    expect(attribution).toContain(sample.fileName);
  });
});
