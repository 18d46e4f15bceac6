// The exported train.py under torchrun on two CPU processes (gloo), unchanged: it trains on the
// studio's split (split.json), writes a folder that transformers loads and the CLI evaluates, and
// takes as many optimizer steps with the same effective batch as on one process.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonPath, requirePython, runPython } from '../../node/python.ts';
import { bytesFromArray } from '../csv/source.ts';
import { importDataset, type ImportResult } from '../dataset/pipeline.ts';
import { buildSplitFile, dataReadingJson } from '../dataset/split-file.ts';
import { splitDataset, type SplitResult } from '../dataset/split.ts';
import { buildExportZip } from './export-model.ts';
import { removeDir, sampleRows, seqclsInput, tempDir, writeFolder } from './test-support/fixtures.ts';
import { mappedColumnsJson } from './training-args.ts';
import { unzipFolder } from './zip.ts';

requirePython();

const bin = new URL('../../cli/bin.mjs', import.meta.url).pathname;
const BATCH = 8;
const EPOCHS = 2;

interface TrainSummary {
  split_source: string;
  splits: Record<string, number>;
  world_size: number;
  per_device_train_batch_size: number;
  gradient_accumulation_steps: number;
  effective_batch_size: number;
  steps_per_epoch: number;
  optimizer_steps: number;
}

describe('train.py under torchrun --nproc_per_node 2 on CPU', () => {
  let root: string;
  let folder: string;
  let csv: string;
  let studio: ImportResult;
  let split: SplitResult;

  beforeAll(async () => {
    root = tempDir('torchrun');
    const rows = sampleRows('uci_sentiment/yelp.csv', 60);
    const text =
      ['text,label', ...rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`)].join('\n') + '\n';
    csv = join(root, 'data.csv');
    writeFileSync(csv, text);
    studio = await importDataset(bytesFromArray(new TextEncoder().encode(text)), {
      textColumns: ['text'],
      labelColumn: 'label',
      // The fixture classifier has three outputs; the Yelp sentences use two of them.
      labelOrder: ['negative', 'neutral', 'positive'],
    });
    split = splitDataset(studio.dataset, { seed: 42 });
    const input = await seqclsInput();
    const sniff = studio.table.summary.sniff;
    const { zip } = buildExportZip({
      ...input,
      labels: studio.dataset.labels,
      trainingArgs: {
        ...input.trainingArgs,
        num_train_epochs: EPOCHS,
        per_device_train_batch_size: 4,
        gradient_accumulation_steps: BATCH / 4,
        per_device_eval_batch_size: 16,
      },
      splitFile: buildSplitFile(studio.dataset, split.assignment),
      studioSettings: {
        ...input.studioSettings,
        mode: 'head',
        ...mappedColumnsJson({
          textColumns: ['text'],
          textJoiner: '\n',
          labelColumn: 'label',
          labelSeparator: null,
        }),
        ...dataReadingJson({
          encoding: studio.table.summary.encoding,
          delimiter: sniff.delimiter,
          hasHeader: sniff.hasHeader,
          quoting: sniff.quoting,
          caseFold: false,
          dropDuplicates: false,
          splitColumn: null,
          labelOrder: ['negative', 'neutral', 'positive'],
          splitSeed: split.seed,
          splitFractions: split.fractions,
        }),
      },
    });
    folder = writeFolder(unzipFolder(zip), join(root, 'model'));
  }, 120_000);

  afterAll(() => {
    if (root) removeDir(root);
  });

  async function train(launcher: string[], out: string): Promise<TrainSummary> {
    const run = await runPython(
      [...launcher, join(folder, 'train.py'), '--data', csv, '--model', '.', '--output-dir', out],
      { cwd: folder, timeoutMs: 400_000 },
    );
    expect(run.code, run.stderr.slice(-4000)).toBe(0);
    return JSON.parse(readFileSync(join(out, 'train_summary.json'), 'utf8')) as TrainSummary;
  }

  it('1 and 2 processes: same optimizer steps and effective batch, the studio’s split; the result loads and evaluates', async () => {
    const torchrun = join(dirname(pythonPath()), 'torchrun');
    expect(existsSync(torchrun), 'torchrun in the Python environment').toBe(true);
    const one = await train([], join(root, 'one'));
    const two = await train(
      ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2'],
      join(root, 'two'),
    );

    const trainRows = split.sizes[0];
    for (const [summary, world] of [
      [one, 1],
      [two, 2],
    ] as const) {
      expect(summary.split_source).toBe('split.json');
      expect(summary.splits).toEqual({
        train: split.sizes[0],
        validation: split.sizes[1],
        test: split.sizes[2],
      });
      expect(summary.world_size).toBe(world);
      expect(summary.effective_batch_size).toBe(BATCH);
      expect(
        summary.per_device_train_batch_size * summary.gradient_accumulation_steps * summary.world_size,
      ).toBe(BATCH);
      expect(summary.steps_per_epoch).toBe(Math.ceil(trainRows / BATCH));
      expect(summary.optimizer_steps).toBe(Math.ceil(trainRows / BATCH) * EPOCHS);
    }
    expect(two.per_device_train_batch_size).toBe(4);
    expect(two.gradient_accumulation_steps).toBe(1);

    const loaded = await runPython(
      [
        '-c',
        'import sys, json; from transformers import AutoModelForSequenceClassification as M; ' +
          'm = M.from_pretrained(sys.argv[1]); print(json.dumps(m.config.id2label))',
        join(root, 'two'),
      ],
      { timeoutMs: 120_000 },
    );
    expect(loaded.code, loaded.stderr.slice(-2000)).toBe(0);
    expect(Object.values(JSON.parse(loaded.stdout) as Record<string, string>)).toEqual(studio.dataset.labels);

    const evaluated = spawnSync(
      process.execPath,
      [bin, '--json', 'evaluate', csv, '--model', join(root, 'two'), '--backend', 'cpu'],
      { encoding: 'utf8', timeout: 180_000 },
    );
    expect(evaluated.status, evaluated.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(evaluated.stdout) as {
      rows: number;
      labels: string[];
      metrics: { accuracy: number };
    };
    expect(report.rows).toBe(studio.dataset.texts.length);
    expect(report.labels).toEqual(studio.dataset.labels);
    expect(report.metrics.accuracy).toBeGreaterThanOrEqual(0);
  }, 900_000);

  it('stops with the sizes that work when the processes cannot make the run’s batch', async () => {
    const run = await runPython(
      [join(folder, 'train.py'), '--data', csv, '--check-data', '--set', 'per_device_train_batch_size=3'],
      { cwd: folder, timeoutMs: 120_000, env: { ...process.env, WORLD_SIZE: '2' } },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "per-device batch 3 x accumulation 2 x 2 processes = 12, not the run's batch 8; per-device batch x accumulation that work on 2 processes: 1 x 4, 2 x 2, 4 x 1",
    );
    const three = await runPython([join(folder, 'train.py'), '--data', csv, '--check-data'], {
      cwd: folder,
      timeoutMs: 120_000,
      env: { ...process.env, WORLD_SIZE: '3' },
    });
    expect(three.code).toBe(2);
    expect(three.stderr).toContain('none: the processes must divide 8 (e.g. 1, 2, 4, 8)');
  }, 300_000);
});
