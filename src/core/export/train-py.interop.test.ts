// train.py reads the analyst's own file as the studio did: a semicolon-separated Windows-1252 file
// with two text columns, case-variant labels, a split column, a duplicate, an empty text, an
// unlabelled row and a malformed row gives the studio's labels, kept rows and split (from
// split.json when the file is the same; from the split column when it is not).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePython, runPython } from '../../node/python.ts';
import { encodeText } from '../csv/encoding.ts';
import { bytesFromArray } from '../csv/source.ts';
import { importDataset, type ImportResult } from '../dataset/pipeline.ts';
import { buildSplitFile, dataReadingJson } from '../dataset/split-file.ts';
import { splitDataset, type SplitResult } from '../dataset/split.ts';
import { SPLIT_NAMES } from '../dataset/types.ts';
import { buildExportZip } from './export-model.ts';
import { removeDir, sampleRows, seqclsInput, tempDir, writeFolder } from './test-support/fixtures.ts';
import { mappedColumnsJson } from './training-args.ts';
import { unzipFolder } from './zip.ts';

requirePython();

const LABELS = ['Positive', 'neutral', 'NEGATIVE', 'positive', 'Neutral', 'negative'];
const SPLITS = ['train', 'train', 'Dev', 'train', 'test', '', 'TRAIN', 'validation'];

/** The analyst's file: title;body;sentiment;split in Windows-1252, CRLF line ends. */
function analystFile(changedRow?: number): Uint8Array {
  const texts = sampleRows('uci_sentiment/yelp.csv', 48).map((r) => r.text);
  const quote = (cell: string) => (/[;"\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  const lines = ['title;body;sentiment;split'];
  texts.forEach((body, i) => {
    const title = i % 5 === 0 ? '' : `Café n°${i} « ${i % 2 ? 'déjà vu' : 'crème brûlée'} »`;
    const text = changedRow === i ? `${body} (edited)` : body;
    lines.push(
      [title, text, LABELS[i % LABELS.length] as string, SPLITS[i % SPLITS.length] as string]
        .map(quote)
        .join(';'),
    );
  });
  lines.push(';;positive;train'); // no text: dropped
  lines.push('Title;a body without a label;;train'); // unlabelled: kept aside, not trained on
  lines.push(lines[3] as string); // an exact duplicate of data row 3: dropped by choice
  lines.push('too;many;fields;here;really'); // malformed: dropped
  lines.push('Quoted "title";"body; with a semicolon and ""quotes""";POSITIVE;test');
  return encodeText(lines.join('\r\n') + '\r\n', 'windows-1252', false);
}

interface CheckData {
  split_source: string;
  file_rows: number;
  splits: Record<string, number>;
  split_rows: Record<string, number[]>;
  labels: string[];
  label_counts: Record<string, number>;
}

describe('train.py reads the run’s file as the studio did', () => {
  let root: string;
  let folder: string;
  let studio: ImportResult;
  let split: SplitResult;

  beforeAll(async () => {
    root = tempDir('train-py');
    const bytes = analystFile();
    writeFileSync(join(root, 'same.csv'), bytes);
    writeFileSync(join(root, 'edited.csv'), analystFile(7));
    studio = await importDataset(bytesFromArray(bytes), {
      textColumns: ['title', 'body'],
      labelColumn: 'sentiment',
      splitColumn: 'split',
      caseFold: true,
      dropDuplicates: true,
    });
    split = splitDataset(studio.dataset, { seed: 42 });
    const sniff = studio.table.summary.sniff;
    const input = await seqclsInput();
    const { zip } = buildExportZip({
      ...input,
      labels: studio.dataset.labels,
      splitFile: buildSplitFile(studio.dataset, split.assignment),
      studioSettings: {
        ...input.studioSettings,
        ...mappedColumnsJson({
          textColumns: ['title', 'body'],
          textJoiner: studio.dataset.mapping.textJoiner,
          labelColumn: 'sentiment',
          labelSeparator: null,
        }),
        ...dataReadingJson({
          encoding: studio.table.summary.encoding,
          delimiter: sniff.delimiter,
          hasHeader: sniff.hasHeader,
          quoting: sniff.quoting,
          caseFold: true,
          dropDuplicates: true,
          splitColumn: 'split',
          labelOrder: null,
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

  async function checkData(file: string): Promise<CheckData> {
    const run = await runPython([join(folder, 'train.py'), '--data', join(root, file), '--check-data'], {
      cwd: folder,
      timeoutMs: 120_000,
    });
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    return JSON.parse(run.stdout) as CheckData;
  }

  it('the studio read the file as intended (the premise of the comparison)', () => {
    expect(studio.table.summary.encoding).toBe('windows-1252');
    expect(studio.table.summary.sniff.delimiter).toBe(';');
    expect(studio.dataset.labels).toEqual(['negative', 'neutral', 'positive']);
    expect(studio.dataset.dropped.map((d) => d.reason).sort()).toEqual([
      'duplicate',
      'empty-text',
      'malformed',
    ]);
    expect(studio.dataset.unlabelled.texts).toEqual(['Title\na body without a label']);
    expect(split.source).toBe('split-column');
  });

  it('the same file: split.json gives the studio’s rows per split, and the same labels and counts', async () => {
    const data = await checkData('same.csv');
    expect(data.split_source).toBe('split.json');
    expect(data.file_rows).toBe(studio.dataset.totalRows);
    const unlabelledRow = studio.dataset.unlabelled.rows[0]!;
    for (const name of SPLIT_NAMES) expect(data.split_rows[name]).not.toContain(unlabelledRow);
    expect(data.labels).toEqual(studio.dataset.labels);
    expect(data.label_counts).toEqual(
      Object.fromEntries(studio.dataset.labelCounts.map((c) => [c.label, c.count])),
    );
    SPLIT_NAMES.forEach((name, s) => {
      const rows = Array.from(studio.dataset.rows).filter((_, i) => split.assignment[i] === s);
      expect(data.split_rows[name]).toEqual(rows);
      expect(data.splits[name]).toBe(split.sizes[s]);
    });
  }, 150_000);

  it('an edited file: split.json is not used; the split column still places its rows', async () => {
    const data = await checkData('edited.csv');
    expect(data.split_source).toBe('split column');
    const given = studio.dataset.givenSplit as Int8Array;
    SPLIT_NAMES.forEach((name, s) => {
      const fixedRows = Array.from(studio.dataset.rows).filter((_, i) => given[i] === s);
      for (const row of fixedRows) expect(data.split_rows[name]).toContain(row);
    });
    expect(Object.values(data.splits).reduce((a, b) => a + b, 0)).toBe(studio.dataset.texts.length);
  }, 150_000);
});
