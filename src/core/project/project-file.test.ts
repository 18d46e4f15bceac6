import { strFromU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../export/zip.ts';
import { projectFileChunks, ProjectFileError, readProjectFile, type ProjectSnapshot } from './index.ts';

const about = { name: 'reviews.csv', schemaVersion: 7, exportedAt: new Date('2026-12-03T10:00:00Z') };

function snapshot(): ProjectSnapshot {
  return {
    records: {
      project: { schemaVersion: 7, data: { name: 'reviews.csv', blob: 'dataset-abc' }, step: 'train' },
      activeRun: 'r1',
    },
    runs: [
      {
        id: 'r1',
        name: 'Run 1',
        steps: { count: 2, values: new Float64Array([1, 0.5, 2, 0.25, 0.1, 0.2, 0.3, 0.4]) },
        metrics: { accuracy: 0.8 },
      } as { id: string },
    ],
    blobs: new Map([
      ['dataset-abc', new TextEncoder().encode('text,label\nhi,a\n')],
      ['run/r1/epoch-26.safetensors', new Uint8Array([1, 2, 3, 4, 5])],
    ]),
  };
}

const write = (s: ProjectSnapshot) => concatBytes(projectFileChunks(s, about));

describe('project file', () => {
  it('round-trips records, run records with typed arrays, and blobs', () => {
    const { manifest, snapshot: back } = readProjectFile(write(snapshot()), 7);
    expect(manifest).toMatchObject({ name: 'reviews.csv', schemaVersion: 7, runs: 1 });
    expect(back.records).toEqual(snapshot().records);
    expect(back.runs).toEqual(snapshot().runs);
    const steps = (back.runs[0] as unknown as { steps: { values: Float64Array } }).steps.values;
    expect(steps).toBeInstanceOf(Float64Array);
    expect([...back.blobs.keys()].sort()).toEqual(['dataset-abc', 'run/r1/epoch-26.safetensors']);
    expect(back.blobs.get('run/r1/epoch-26.safetensors')).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
  });

  it('is a zip any tool opens, with a readable manifest', () => {
    const files = unzipSync(write(snapshot()));
    expect(JSON.parse(strFromU8(files['finetune-project.json']!))).toMatchObject({
      format: 'finetune-studio-project',
      blobs: ['dataset-abc', 'run/r1/epoch-26.safetensors'],
    });
  });

  it('refuses a file from a newer studio, a zip of something else, and unlisted or missing blobs', () => {
    expect(() => readProjectFile(write(snapshot()), 6)).toThrow(/schema 7, newer than this studio's 6/);
    const other = concatBytes(projectFileChunks({ ...snapshot(), blobs: new Map() }, about));
    const files = unzipSync(other);
    delete files['finetune-project.json'];
    expect(() => readProjectFile(zipSync(files), 7)).toThrow(/it has no finetune-project.json/);
    const withExtra = unzipSync(write(snapshot()));
    withExtra['blobs/run/r1/extra.bin'] = new Uint8Array([9]);
    expect(() => readProjectFile(zipSync(withExtra), 7)).toThrow(/does not list/);
    const withoutBlob = unzipSync(write(snapshot()));
    delete withoutBlob['blobs/dataset-abc'];
    expect(() => readProjectFile(zipSync(withoutBlob), 7)).toThrow(/lacks 1 listed file/);
    expect(() => readProjectFile(new TextEncoder().encode('text,label\n'), 7)).toThrow(ProjectFileError);
  });

  it('never writes or accepts blob keys outside what the studio stores', () => {
    const bad = snapshot();
    bad.blobs.set('../escape', new Uint8Array(1));
    expect(() => write(bad)).toThrow(/cannot save blob/);
  });
});
