import { describe, expect, it } from 'vitest';
import { isPackedSteps, unpackSteps } from './savedSeries.ts';
import { migrateRecord, migrateRun, SCHEMA_VERSION, type Migrations } from './schema.ts';

describe('migrateRecord', () => {
  it('passes a current record through unchanged', () => {
    const record = { schemaVersion: SCHEMA_VERSION, step: 'data' };
    expect(migrateRecord(record)).toEqual({ ok: true, record, migratedFrom: null });
  });

  it('applies every step from an older version, in order', () => {
    const migrations: Migrations = {
      1: (r) => ({ ...r, splits: r.split, split: undefined }),
      2: (r) => ({ ...r, trail: [...((r.trail as string[]) ?? []), 'two'] }),
    };
    const result = migrateRecord({ schemaVersion: 1, split: [8, 1, 1], trail: ['one'] }, 3, migrations);
    expect(result).toEqual({
      ok: true,
      migratedFrom: 1,
      record: { schemaVersion: 3, splits: [8, 1, 1], split: undefined, trail: ['one', 'two'] },
    });
  });

  it('refuses a record from a newer studio instead of overwriting it', () => {
    const result = migrateRecord({ schemaVersion: SCHEMA_VERSION + 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/newer version/);
  });

  it('refuses records without a version or with a gap in the migrations', () => {
    expect(migrateRecord('nonsense').ok).toBe(false);
    expect(migrateRecord({ step: 'data' }).ok).toBe(false);
    expect(migrateRecord({ schemaVersion: 0 }, 2, { 1: (r) => r }).ok).toBe(false);
  });
});

describe('project records', () => {
  it('gives a format-5 dataset an empty edit list and leaves a project without data alone', () => {
    const data = { name: 'a.csv', kind: 'file', confirmed: true };
    expect(migrateRecord({ schemaVersion: 5, data, step: 'train' })).toEqual({
      ok: true,
      migratedFrom: 5,
      record: {
        schemaVersion: SCHEMA_VERSION,
        data: { ...data, edits: { entries: [], nextVersion: 1 } },
        step: 'train',
        labelIssues: {},
      },
    });
    expect(migrateRecord({ schemaVersion: 5, data: null })).toEqual({
      ok: true,
      migratedFrom: 5,
      record: { schemaVersion: SCHEMA_VERSION, data: null, labelIssues: {} },
    });
  });

  it('gives a format-6 project no saved label issues and keeps the rest as it was', () => {
    const data = { name: 'a.csv', kind: 'file', edits: { entries: [], nextVersion: 3 } };
    expect(migrateRecord({ schemaVersion: 6, data, step: 'evaluate' })).toEqual({
      ok: true,
      migratedFrom: 6,
      record: { schemaVersion: SCHEMA_VERSION, data, step: 'evaluate', labelIssues: {} },
    });
  });
});

describe('migrateRun', () => {
  it('marks the epoch checkpoint of a format-1 run as one without the optimizer’s state', () => {
    const run = { id: 'r', saved: { epoch: { step: 13, epoch: 1 }, best: { step: 13, epoch: 1 } } };
    expect(migrateRun(run, 1)).toEqual({
      ok: true,
      migratedFrom: 1,
      record: {
        id: 'r',
        saved: { epoch: { step: 13, epoch: 1, optimizer: false }, best: { step: 13, epoch: 1 } },
        liveSettings: {},
        dataVersion: 0,
      },
    });
    expect(migrateRun({ id: 'r' }, 1)).toEqual({
      ok: true,
      migratedFrom: 1,
      record: { id: 'r', liveSettings: {}, dataVersion: 0 },
    });
  });

  it('packs the steps of a format-2 run into columns', () => {
    const steps = [
      { step: 1, epoch: 0.5, loss: 0.7, lr: 1e-3 },
      { step: 2, epoch: 1, loss: 0.6, lr: 5e-4 },
    ];
    const result = migrateRun({ id: 'r', steps }, 2);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(isPackedSteps(result.record.steps)).toBe(true);
    expect(unpackSteps(result.record.steps)).toEqual(steps);
  });

  it('gives a format-3 run without the gradient checkpointing setting the one it trained with', () => {
    const run = { id: 'r', settings: { mode: 'full', epochs: 3 } };
    expect(migrateRun(run, 3)).toEqual({
      ok: true,
      migratedFrom: 3,
      record: {
        id: 'r',
        settings: { mode: 'full', epochs: 3, gradientCheckpointing: true },
        liveSettings: {},
        dataVersion: 0,
      },
    });
    const off = { id: 'r', settings: { mode: 'full', gradientCheckpointing: false } };
    expect(migrateRun(off, 3)).toEqual({
      ok: true,
      migratedFrom: 3,
      record: { ...off, liveSettings: {}, dataVersion: 0 },
    });
  });

  it('gives a format-4 run no live changes beside the settings it saved', () => {
    const run = { id: 'r', settings: { mode: 'head', learningRate: 2e-4 } };
    expect(migrateRun(run, 4)).toEqual({
      ok: true,
      migratedFrom: 4,
      record: { id: 'r', settings: { mode: 'head', learningRate: 2e-4 }, liveSettings: {}, dataVersion: 0 },
    });
    const current = { ...run, liveSettings: { learningRate: 1e-4 }, dataVersion: 2 };
    expect(migrateRun(current, SCHEMA_VERSION)).toEqual({ ok: true, migratedFrom: null, record: current });
  });

  it('says a format-5 run trained on the file as uploaded', () => {
    expect(migrateRun({ id: 'r', liveSettings: {} }, 5)).toEqual({
      ok: true,
      migratedFrom: 5,
      record: { id: 'r', liveSettings: {}, dataVersion: 0 },
    });
  });

  it('leaves a current run as it is', () => {
    const run = { id: 'r', saved: { epoch: { step: 13, epoch: 1, optimizer: true } } };
    expect(migrateRun(run, SCHEMA_VERSION)).toEqual({ ok: true, migratedFrom: null, record: run });
  });
});
