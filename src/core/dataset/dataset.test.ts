import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { dataDir } from '../../node/paths.ts';
import { readCsvTable } from '../csv/parse.ts';
import { bytesFromArray, bytesFromString } from '../csv/source.ts';
import { buildDataset, fatalReason } from './build.ts';
import { DISTINCT_CAP, distinctCounts, guessColumns } from './columns.ts';
import { checksToCsv, droppedRowsToCsv } from './export.ts';
import { countLabels, detectLabelSeparator, parseLabelFile, sortLabels, splitLabelCell } from './labels.ts';
import { importDataset, resolveMapping } from './pipeline.ts';
import { splitDataset, withTestFile } from './split.ts';
import type { Dataset } from './types.ts';

const importText = (text: string, choices: Parameters<typeof importDataset>[1] = {}) =>
  importDataset(bytesFromString(text), choices);
const importShared = (path: string, choices: Parameters<typeof importDataset>[1] = {}) =>
  importDataset(bytesFromArray(readFileSync(resolve(dataDir(), path))), choices);

const check = (dataset: Dataset, id: string) => dataset.checks.find((c) => c.id === id);

describe('column guesses', () => {
  it('finds text and label in Banking77', async () => {
    const { guess, dataset } = await importShared('banking77/train.csv');
    expect(guess.textColumns).toEqual([0]);
    expect(guess.labelColumn).toBe(1);
    expect(guess.labelSeparator.multiLabel).toBe(false);
    expect(dataset.labels).toHaveLength(77);
    expect(dataset.texts).toHaveLength(10_003);
    expect(dataset.dropped).toEqual([]);
  });

  it('guesses by content when the names say nothing', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => [
      String(1000 + i),
      i % 3 === 0 ? 'sport' : i % 3 === 1 ? 'politics' : 'tech',
      `This is a fairly long piece of text number ${i} about something or other.`,
      i < 30 ? 'train' : 'test',
    ]);
    const csv = Papa.unparse({ fields: ['a', 'b', 'c', 'd'], data: rows });
    const { guess } = await importText(csv);
    expect(guess.textColumns).toEqual([2]);
    expect(guess.labelColumn).toBe(1);
    expect(guess.splitColumn).toBe(3);
    expect(guess.idColumn).toBe(0);
    expect(guess.roles).toEqual(['id', 'label', 'text', 'split']);
    expect(guess.reasons.join(' ')).toMatch(/longest values/);
  });

  it('detects multi-label cells in NLU++ and keeps rows without labels', async () => {
    const { guess, dataset } = await importShared('nlu_plus_plus/banking.csv');
    expect(guess.labelSeparator).toMatchObject({ multiLabel: true, separator: '|' });
    expect(dataset.multiLabel).toBe(true);
    expect(dataset.labels).toHaveLength(48);
    expect(dataset.texts).toHaveLength(2071);
    expect(dataset.noLabelRows).toBe(88);
    expect(check(dataset, 'no-labels')).toMatchObject({ severity: 'info', count: 88 });
    expect(check(dataset, 'missing-label')).toBeUndefined();
    expect(dataset.dropped).toEqual([]);
  });

  it('turns a single-column file into a one-line reason', async () => {
    await expect(importText('text\nhello\nworld\n')).rejects.toThrow(
      /single column, so there is no label column/,
    );
  });

  it('resolves columns by name, case-insensitively, or by number', async () => {
    const { table, guess } = await importText('Title,Body,Topic\na,b,x\nc,d,y\n', {
      textColumns: ['title', '2'],
      labelColumn: 'TOPIC',
    });
    const mapping = resolveMapping(table.columns, guess, {
      textColumns: ['title', '2'],
      labelColumn: 'TOPIC',
    });
    expect(mapping.textColumns).toEqual([0, 1]);
    expect(mapping.labelColumn).toBe(2);
    expect(() => resolveMapping(table.columns, guess, { labelColumn: 'nope' })).toThrow(/no column "nope"/);
  });
});

describe('labels', () => {
  it('trims labels and keeps case unless folding is asked for', async () => {
    const csv = 'text,label\none, Positive\ntwo,positive \nthree,NEGATIVE\nfour,  negative\n';
    const plain = (await importText(csv)).dataset;
    expect(plain.labels).toEqual(['NEGATIVE', 'Positive', 'negative', 'positive']);
    expect(check(plain, 'case-variant-labels')?.message).toMatch(/NEGATIVE \/ negative/);
    const folded = (await importText(csv, { caseFold: true })).dataset;
    expect(folded.labels).toEqual(['negative', 'positive']);
    expect(folded.labelCounts).toEqual([
      { label: 'negative', count: 2 },
      { label: 'positive', count: 2 },
    ]);
    expect(check(folded, 'case-variant-labels')).toBeUndefined();
    // The text itself is kept exactly as decoded.
    expect(folded.texts).toEqual(['one', 'two', 'three', 'four']);
  });

  it('keeps numeric labels as strings, sorted as numbers', async () => {
    const { dataset } = await importText('text,label\na,10\nb,2\nc,01\nd,1\ne,2\n');
    expect(dataset.labels).toEqual(['01', '1', '2', '10']);
    expect(sortLabels(['b', 'a', 'B'])).toEqual(['B', 'a', 'b']);
  });

  it('follows a label file order and reports labels outside it', async () => {
    const order = parseLabelFile('["positive", "negative", "neutral"]');
    expect(parseLabelFile('\uFEFFb\r\n\r\n a \n')).toEqual(['b', 'a']);
    const { dataset } = await importText('text,label\na,negative\nb,positive\nc,mixed\n', {
      labelOrder: order,
    });
    expect(dataset.labels).toEqual(['positive', 'negative', 'neutral', 'mixed']);
    expect(check(dataset, 'unlisted-labels')?.message).toMatch(/mixed/);
    expect(check(dataset, 'unused-labels')?.message).toMatch(/neutral/);
  });

  it('uses the Banking77 category file as label order', async () => {
    const categories = parseLabelFile(
      readFileSync(resolve(dataDir(), 'banking77', 'categories.json'), 'utf8'),
    );
    const { dataset } = await importShared('banking77/train.csv', { labelOrder: categories });
    expect(dataset.labels).toEqual(categories);
    expect(check(dataset, 'unlisted-labels')).toBeUndefined();
  });

  it('splits multi-label cells, dropping blanks and repeats', () => {
    expect(splitLabelCell(' a | b||a |', '|', false)).toEqual(['a', 'b']);
    expect(detectLabelSeparator(['a;b', 'c', 'a;c', 'b', 'a'])).toMatchObject({
      multiLabel: true,
      separator: ';',
    });
    expect(detectLabelSeparator(['positive', 'negative', 'positive'])).toMatchObject({ multiLabel: false });
  });
});

describe('counts before the mapping is confirmed', () => {
  const rows = [
    ['a', ' Pos '],
    ['b', 'neg|POS'],
    ['c', ''],
    ['d', 'pos'],
  ];
  it.each([
    [
      'single-label',
      { labelColumn: 1, multiLabel: false, labelSeparator: null, caseFold: false },
      [
        { label: 'Pos', count: 1 },
        { label: 'neg|POS', count: 1 },
        { label: 'pos', count: 1 },
      ],
    ],
    [
      'single-label, case folded',
      { labelColumn: 1, multiLabel: false, labelSeparator: null, caseFold: true },
      [
        { label: 'pos', count: 2 },
        { label: 'neg|pos', count: 1 },
      ],
    ],
    [
      'multi-label, case folded',
      { labelColumn: 1, multiLabel: true, labelSeparator: '|', caseFold: true },
      [
        { label: 'pos', count: 3 },
        { label: 'neg', count: 1 },
      ],
    ],
  ])('%s label counts', (_name, mapping, expected) => {
    expect(countLabels(rows, mapping)).toEqual(expected);
  });

  it('counts distinct non-empty values per column, up to the cap', () => {
    expect(distinctCounts(2, rows)).toEqual([4, 3]);
    const many = Array.from({ length: DISTINCT_CAP + 50 }, (_, i) => [String(i)]);
    expect(distinctCounts(1, many)).toEqual([DISTINCT_CAP + 1]);
  });
});

describe('dropped rows and checks', () => {
  const messy = [
    'text,label',
    'good one,a', // 1
    ',b', // 2 empty text
    '   ,b', // 3 whitespace text
    'no label,', // 4 unlabelled
    'too,many,fields', // 5 malformed
    'good one,a', // 6 exact duplicate of 1
    'good one,b', // 7 conflicting with 1 and 6
    'another,b', // 8
    'third,b', // 9
    'fourth,b', // 10
    'fifth,b', // 11
  ].join('\n');

  it('drops only malformed and empty-text rows, each with its row number', async () => {
    const { dataset } = await importText(messy);
    expect(dataset.dropped.map((d) => [d.row, d.reason])).toEqual([
      [2, 'empty-text'],
      [3, 'empty-text'],
      [5, 'malformed'],
    ]);
    expect(Array.from(dataset.rows)).toEqual([1, 6, 7, 8, 9, 10, 11]);
    expect(dataset.totalRows).toBe(11);
    expect(check(dataset, 'empty-text')).toMatchObject({ severity: 'dropped', count: 2, rows: [2, 3] });
    expect(check(dataset, 'missing-label')).toMatchObject({ severity: 'info', count: 1, rows: [4] });
    expect(check(dataset, 'malformed-row')).toMatchObject({ severity: 'dropped', count: 1, rows: [5] });
    expect(check(dataset, 'exact-duplicate')).toMatchObject({ severity: 'warning', rows: [6] });
    expect(check(dataset, 'exact-duplicate')?.details).toEqual(['same text and labels as row 1']);
    expect(check(dataset, 'conflicting-duplicate')?.rows).toEqual([1, 6, 7]);
    expect(check(dataset, 'rare-class')).toMatchObject({ count: 1 });
    expect(check(dataset, 'rare-class')?.message).toMatch(/a \(2\)/);
  });

  it('drops exact duplicates only when asked, and lists them too', async () => {
    const { dataset } = await importText(messy, { dropDuplicates: true });
    expect(dataset.dropped.find((d) => d.reason === 'duplicate')).toMatchObject({ row: 6 });
    expect(Array.from(dataset.rows)).toEqual([1, 7, 8, 9, 10, 11]);
    expect(check(dataset, 'exact-duplicate')?.severity).toBe('dropped');
  });

  it('exports the checks and the dropped rows as CSV', async () => {
    const { dataset } = await importText(messy);
    const checks = Papa.parse<string[]>(checksToCsv(dataset.checks).trim()).data;
    expect(checks[0]).toEqual(['check', 'severity', 'row', 'detail']);
    expect(checks).toContainEqual(['exact-duplicate', 'warning', '6', 'same text and labels as row 1']);
    const droppedCsv = droppedRowsToCsv(dataset.dropped, dataset.columns);
    expect(droppedCsv.startsWith('\ufeffrow,reason,detail,')).toBe(true);
    const dropped = Papa.parse<string[]>(droppedCsv.slice(1).trim()).data;
    expect(dropped[0]).toEqual(['row', 'reason', 'detail', 'text', 'label', 'extra field 1']);
    expect(dropped).toContainEqual([
      '5',
      'malformed',
      'line 6: expected 2 fields, found 3',
      'too',
      'many',
      'fields',
    ]);
    expect(dropped.map((r) => r[0])).toEqual(['row', '2', '3', '5']);
  });

  it('defuses formulas in the dropped rows’ fields, leaving numbers as they are', async () => {
    const { dataset } = await importText('text,label\ngood,a\nfine,b\n=cmd(),-1,@x\n');
    const dropped = Papa.parse<string[]>(
      droppedRowsToCsv(dataset.dropped, dataset.columns).slice(1).trim(),
    ).data;
    expect(dropped[1]!.slice(3)).toEqual(["'=cmd()", '-1', "'@x"]);
  });

  it('calls a one-class label column unusable', async () => {
    const { dataset } = await importText('text,label\na,x\nb,x\nc, x\n');
    expect(fatalReason(dataset)).toMatch(/every row has the label "x"/);
  });

  it('calls an id-like label column unusable', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `text number ${i},ID-${1000 + i}`);
    const { dataset } = await importText(['text,label', ...rows].join('\n'));
    expect(check(dataset, 'id-like-labels')?.severity).toBe('fatal');
    expect(fatalReason(dataset)).toMatch(/looks like an id/);
  });

  it('joins several text columns and honours a split column', async () => {
    const csv =
      'title,body,label,split\nHi,there,a,train\n,only body,b,Validation\nonly title,,a,TEST\nx,y,b,unknown\n';
    const { dataset } = await importText(csv, { textColumns: ['title', 'body'] });
    expect(dataset.texts).toEqual(['Hi\nthere', 'only body', 'only title', 'x\ny']);
    expect(Array.from(dataset.givenSplit ?? [])).toEqual([0, 1, 2, -1]);
    expect(check(dataset, 'split-values')?.rows).toEqual([4]);
  });
});

describe('unlabelled rows (single-label, empty label cell)', () => {
  const file = [
    'title,body,label,split',
    'Great,loved it,pos,train', // 1
    ',no title here,,test', // 2 unlabelled (split value ignored)
    'Awful,hated it,neg,train', // 3
    ',,,train', // 4 no text: dropped for its text
    'Fine,it was fine,  ,', // 5 unlabelled (a blank label cell)
    'Great,loved it,pos,train', // 6 duplicate of 1
    'Meh,not my thing,neg,', // 7
    'Ok,fine by me,pos,', // 8
    'Great,loved it,,', // 9 unlabelled, same text as 1
    'Great,loved it,,', // 10 unlabelled, same text as 9
  ].join('\n');
  const open = (choices: Parameters<typeof importDataset>[1] = {}) =>
    importText(file, {
      textColumns: ['title', 'body'],
      labelColumn: 'label',
      splitColumn: 'split',
      ...choices,
    });

  it('keeps them aside, joined as the kept texts, neither trained on nor dropped', async () => {
    const { dataset } = await open();
    expect(Array.from(dataset.unlabelled.rows)).toEqual([2, 5, 9, 10]);
    expect(dataset.unlabelled.texts).toEqual([
      'no title here',
      'Fine\nit was fine',
      'Great\nloved it',
      'Great\nloved it',
    ]);
    expect(Array.from(dataset.rows)).toEqual([1, 3, 6, 7, 8]);
    expect(dataset.texts).toHaveLength(dataset.labelIndex.length);
    expect(Array.from(dataset.givenSplit ?? [])).toHaveLength(5);
    expect(dataset.labelCounts).toEqual([
      { label: 'neg', count: 2 },
      { label: 'pos', count: 3 },
    ]);
    expect(dataset.dropped.map((d) => [d.row, d.reason])).toEqual([[4, 'empty-text']]);
    expect(check(dataset, 'missing-label')).toMatchObject({
      severity: 'info',
      title: 'Unlabelled rows',
      count: 4,
      rows: [2, 5, 9, 10],
    });
    expect(check(dataset, 'missing-label')?.message).toBe(
      '4 rows have no label: kept as unlabelled, not trained on; after a run the studio ranks which to label next',
    );
    expect(fatalReason(dataset)).toBeNull();
  });

  it('takes no part in the duplicate checks and is never dropped as a duplicate', async () => {
    const { dataset } = await open({ dropDuplicates: true });
    expect(Array.from(dataset.unlabelled.rows)).toEqual([2, 5, 9, 10]);
    expect(check(dataset, 'exact-duplicate')?.rows).toEqual([6]);
    expect(check(dataset, 'conflicting-duplicate')).toBeUndefined();
    expect(dataset.dropped.map((d) => [d.row, d.reason])).toEqual([
      [4, 'empty-text'],
      [6, 'duplicate'],
    ]);
  });

  it('leaves the labelled rows and their split as they are without the unlabelled ones', async () => {
    const { dataset } = await open({ splitColumn: null });
    const lines = file.split('\n');
    const withoutUnlabelled = [0, 1, 3, 4, 6, 7, 8].map((i) => lines[i]).join('\n');
    const labelledOnly = (
      await importText(withoutUnlabelled, {
        textColumns: ['title', 'body'],
        labelColumn: 'label',
        splitColumn: null,
      })
    ).dataset;
    expect(labelledOnly.unlabelled.rows).toHaveLength(0);
    expect(dataset.texts).toEqual(labelledOnly.texts);
    expect(Array.from(dataset.labelIndex)).toEqual(Array.from(labelledOnly.labelIndex));
    const assignment = (d: Dataset) => Array.from(splitDataset(d, { seed: 3 }).assignment);
    expect(assignment(dataset)).toEqual(assignment(labelledOnly));
  });

  it('blocks training in one line when no row has a label', async () => {
    const { dataset } = await importText('text,label\nfirst,\nsecond,\n,\n', {
      textColumns: ['text'],
      labelColumn: 'label',
    });
    expect(Array.from(dataset.unlabelled.rows)).toEqual([1, 2]);
    expect(check(dataset, 'no-rows')?.severity).toBe('fatal');
    expect(fatalReason(dataset)).toBe(
      'no row has a label: all 2 rows with text have an empty label cell; label some to train',
    );
  });

  it('are none in multi-label data, where an empty cell means no label applies', async () => {
    const { dataset } = await importText('text,labels\na,x|y\nb,\nc,y\nd,x\n', { multiLabel: true });
    expect(dataset.unlabelled.rows).toHaveLength(0);
    expect(dataset.unlabelled.texts).toEqual([]);
    expect(dataset.noLabelRows).toBe(1);
    expect(check(dataset, 'missing-label')).toBeUndefined();
  });

  it('stay the main file’s with a separate test file, whose own are only reported', async () => {
    const main = (await importText('text,label\na,x\nb,\nc,y\nd,x\ne,y\n')).dataset;
    const test = (await importText('text,label\nf,x\ng,\nh,y\n')).dataset;
    const joined = withTestFile(main, test);
    expect(Array.from(joined.unlabelled.rows)).toEqual([2]);
    expect(joined.unlabelled.texts).toEqual(['b']);
    expect(joined.texts).toEqual(['a', 'c', 'd', 'e', 'f', 'h']);
    expect(joined.checks.find((c) => c.title === 'Test file: Unlabelled rows')?.message).toBe(
      '1 row of the test file has no label and is not scored',
    );
  });
});

describe('the builder takes rows straight from the stream', () => {
  it('gives the same dataset from batches as from a table', async () => {
    const bytes = readFileSync(resolve(dataDir(), 'uci_sentiment', 'yelp.csv'));
    const table = await readCsvTable(bytesFromArray(bytes, 4096), {});
    const mapping = resolveMapping(table.columns, guessColumns(table.columns, table.rows));
    const fromTable = buildDataset(table, mapping);
    expect(fromTable.labels).toEqual(['negative', 'positive']);
    expect(fromTable.labelCounts.map((c) => c.count)).toEqual([500, 500]);
    expect(check(fromTable, 'exact-duplicate')?.count).toBe(4);
  });
});
