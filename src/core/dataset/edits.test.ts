import { describe, expect, it } from 'vitest';
import { decodeWindows1252 } from '../csv/encoding.ts';
import { readCsvTable } from '../csv/parse.ts';
import { bytesFromArray, bytesFromString } from '../csv/source.ts';
import {
  addEdits,
  applyEdits,
  buildEditedDataset,
  correctedFile,
  dataVersion,
  editCounts,
  editLogCsv,
  effectiveEdits,
  emptyEditList,
  undoLastEdit,
  type EditList,
  type FileDialect,
  type RowEdit,
} from './edits.ts';
import { importDataset } from './pipeline.ts';
import type { Dataset } from './types.ts';

const SOURCE = [
  'text;label;note',
  'great food, friendly staff;pos;a',
  'cold soup;neg;b',
  'the best "pasta" in town;neg;c',
  'would not go back;neg;d',
  'lovely terrace;pos;e',
  'rude waiter;pos;f',
  'café crème was perfect;pos;g',
  'slow service;neg;h',
].join('\r\n');

async function openFile(bytes: Uint8Array) {
  const table = await readCsvTable(bytesFromArray(bytes), {});
  const { dataset } = await importDataset(bytesFromArray(bytes), {
    textColumns: ['text'],
    labelColumn: 'label',
  });
  const { sniff } = table.summary;
  const dialect: FileDialect = {
    delimiter: sniff.delimiter,
    newline: sniff.newline,
    encoding: table.summary.encoding,
    bom: sniff.bom,
    hasHeader: sniff.hasHeader,
  };
  return { table, dataset, dialect };
}

const rowsOf = (dataset: Dataset) =>
  dataset.texts.map((text, i) => [text, dataset.labels[dataset.labelIndex[i]!]]);

const edit = (row: number, action: RowEdit['action'], label?: string): RowEdit => ({
  row,
  action,
  given: '',
  text: '',
  ...(label ? { label } : {}),
});

describe('edit list', () => {
  it('keeps versions, applies the latest edit per row and undoes one entry at a time', () => {
    let list: EditList = emptyEditList();
    expect(dataVersion(list)).toBe(0);
    list = addEdits(list, [edit(3, 'relabel', 'pos')], 'one row', 1);
    list = addEdits(list, [edit(6, 'drop'), edit(7, 'drop'), edit(2, 'keep')], 'bulk', 2);
    list = addEdits(list, [edit(3, 'keep')], 'second thoughts', 3);
    expect(dataVersion(list)).toBe(3);
    expect(editCounts(list)).toEqual({ keep: 2, relabel: 0, drop: 2 });
    expect(effectiveEdits(list).get(3)?.action).toBe('keep');
    const before = list;
    list = undoLastEdit(list);
    expect(list.entries).toEqual(before.entries.slice(0, 2));
    expect(effectiveEdits(list).get(3)?.label).toBe('pos');
    // A version undone is never reused: a run that trained on it stays unambiguous.
    list = addEdits(list, [edit(4, 'drop')], 'again', 4);
    expect(dataVersion(list)).toBe(4);
    expect(() => addEdits(list, [], 'nothing', 5)).toThrow('no rows to edit');
    expect(() => addEdits(list, [edit(2, 'relabel', ' ')], 'blank', 5)).toThrow(
      'row 2: a relabel needs a label',
    );
    expect(() => addEdits(list, [edit(0, 'drop')], 'zero', 5)).toThrow('row 0 is not a data row');
  });

  it('undo restores the rows exactly', () => {
    const rows = [
      ['a', 'x'],
      ['b', 'y'],
      ['c', 'x'],
    ];
    let list = addEdits(emptyEditList(), [edit(1, 'relabel', 'y')], 'r', 1);
    list = addEdits(list, [edit(2, 'drop')], 'd', 2);
    const edited = applyEdits(rows, [1, 2, 3], 1, effectiveEdits(list));
    expect(edited.rows).toEqual([
      ['a', 'y'],
      ['c', 'x'],
    ]);
    expect([...edited.rowNumbers]).toEqual([1, 3]);
    const undone = undoLastEdit(undoLastEdit(list));
    const restored = applyEdits(rows, [1, 2, 3], 1, effectiveEdits(undone));
    expect(restored.rows).toEqual(rows);
    expect([...restored.rowNumbers]).toEqual([1, 2, 3]);
    expect(rows[0]).toEqual(['a', 'x']);
  });
});

describe('edits of unlabelled rows', () => {
  const UNLABELLED = [
    'text;label;note',
    'great food;pos;a',
    'cold soup;neg;b',
    'no idea yet;;c', // 3 unlabelled
    'lovely terrace;pos;d',
    'ask me later;;e', // 5 unlabelled
    'slow service;neg;f',
    'still unsure;;g', // 7 unlabelled
  ].join('\r\n');
  const mapping = { textColumns: [0], labelColumn: 1, multiLabel: false };

  it('a relabel trains on the row, a drop removes it, and neither lists it as dropped', async () => {
    const { table } = await openFile(new TextEncoder().encode(UNLABELLED));
    const before = buildEditedDataset(table, mapping, new Map());
    expect(Array.from(before.unlabelled.rows)).toEqual([3, 5, 7]);
    const list = addEdits(emptyEditList(), [edit(3, 'relabel', 'neg'), edit(5, 'drop')], 'labelled', 1);
    const after = buildEditedDataset(table, mapping, effectiveEdits(list));
    expect(Array.from(after.unlabelled.rows)).toEqual([7]);
    expect(after.unlabelled.texts).toEqual(['still unsure']);
    expect(Array.from(after.rows)).toEqual([1, 2, 3, 4, 6]);
    expect(rowsOf(after)[2]).toEqual(['no idea yet', 'neg']);
    expect(after.dropped).toEqual([]);
    expect(after.checks.find((c) => c.id === 'missing-label')?.rows).toEqual([7]);
  });

  it('the corrected file keeps the unlabelled rows with their empty label cell', async () => {
    const original = await openFile(new TextEncoder().encode(UNLABELLED));
    const input = {
      columns: original.table.columns,
      rows: original.table.rows,
      rowNumbers: original.table.rowNumbers,
      malformed: [],
      labelColumn: 1,
      dialect: original.dialect,
    };
    const list = addEdits(emptyEditList(), [edit(3, 'relabel', 'neg')], 'labelled', 1);
    const text = new TextDecoder().decode(correctedFile(input, list));
    expect(text).toBe(UNLABELLED.replace('no idea yet;;c', 'no idea yet;neg;c') + '\r\n');
    const reopened = await openFile(correctedFile(input, list));
    expect(Array.from(reopened.dataset.unlabelled.rows)).toEqual([5, 7]);
  });
});

describe('corrected file', () => {
  it('round trip: edit, download, import gives the edited rows and labels in the same dialect', async () => {
    const original = await openFile(new TextEncoder().encode(SOURCE));
    let list = addEdits(emptyEditList(), [edit(3, 'relabel', 'pos'), edit(6, 'relabel', 'neg')], 'issues', 1);
    list = addEdits(list, [edit(4, 'drop'), edit(1, 'keep')], 'drop', 2);
    const input = {
      columns: original.table.columns,
      rows: original.table.rows,
      rowNumbers: original.table.rowNumbers,
      malformed: [],
      labelColumn: 1,
      dialect: original.dialect,
    };
    const bytes = correctedFile(input, list);
    const text = new TextDecoder().decode(bytes);
    expect(text.split('\r\n')[0]).toBe('text;label;note');
    const reopened = await openFile(bytes);
    expect(reopened.dialect).toEqual(original.dialect);
    expect(reopened.table.columns).toEqual(original.table.columns);
    const expected = rowsOf(original.dataset)
      .map((row, i) => (i === 2 ? [row[0], 'pos'] : i === 5 ? [row[0], 'neg'] : row))
      .filter((_, i) => i !== 3);
    expect(rowsOf(reopened.dataset)).toEqual(expected);
    expect(reopened.table.rows.map((r) => r[2])).toEqual(['a', 'b', 'c', 'e', 'f', 'g', 'h']);
    // Undoing every entry writes the upload's rows back.
    const undone = correctedFile(input, undoLastEdit(undoLastEdit(list)));
    expect(rowsOf((await openFile(undone)).dataset)).toEqual(rowsOf(original.dataset));
  });

  it('writes Windows-1252 and UTF-16 uploads back in their encoding, formulas defused, malformed rows kept', async () => {
    const text = 'text,label\r\ncafé ok,pos\r\n=SUM(A1),neg\r\nbad,row,extra\r\nfine,neg\r\n';
    const latin = new Uint8Array([...text].map((c) => c.charCodeAt(0)));
    const opened = await openFile(latin);
    expect(opened.dialect.encoding).toBe('windows-1252');
    expect(opened.table.summary.malformed.map((m) => m.row)).toEqual([3]);
    const input = {
      columns: opened.table.columns,
      rows: opened.table.rows,
      rowNumbers: opened.table.rowNumbers,
      malformed: opened.table.summary.malformed,
      labelColumn: 1,
      dialect: opened.dialect,
    };
    const list = addEdits(emptyEditList(), [edit(4, 'relabel', 'pos')], 'r', 1);
    const written = decodeWindows1252(correctedFile(input, list));
    expect(written).toBe("text,label\r\ncafé ok,pos\r\n'=SUM(A1),neg\r\nbad,row,extra\r\nfine,pos\r\n");
    expect(() =>
      correctedFile(input, addEdits(emptyEditList(), [edit(1, 'relabel', 'positive ✓')], 'r', 1)),
    ).toThrow('has no Windows-1252 byte');

    const utf16 = new Uint8Array([
      0xff,
      0xfe,
      ...[...'text\tlabel\nhello\tpos\nbye\tneg\n'].flatMap((c) => [c.charCodeAt(0), 0]),
    ]);
    const wide = await openFile(utf16);
    expect(wide.dialect).toMatchObject({ encoding: 'utf-16le', bom: true, delimiter: '\t', newline: '\n' });
    const back = correctedFile(
      {
        columns: wide.table.columns,
        rows: wide.table.rows,
        rowNumbers: wide.table.rowNumbers,
        malformed: [],
        labelColumn: 1,
        dialect: wide.dialect,
      },
      addEdits(emptyEditList(), [edit(2, 'drop')], 'd', 1),
    );
    expect([...back]).toEqual([
      0xff,
      0xfe,
      ...[...'text\tlabel\nhello\tpos\n'].flatMap((c) => [c.charCodeAt(0), 0]),
    ]);
  });

  it('logs every edit with its version', async () => {
    let list = addEdits(
      emptyEditList(),
      [{ row: 2, action: 'relabel', label: 'pos', given: 'neg', text: '=bad' }],
      'issues of run 1',
      0,
    );
    list = addEdits(list, [{ row: 5, action: 'drop', given: 'pos', text: 'x' }], 'bulk', 1000);
    const log = editLogCsv(list);
    expect(log).toBe(
      '\ufeffversion,time,note,row,action,given_label,new_label,text\r\n' +
        "1,1970-01-01T00:00:00.000Z,issues of run 1,2,relabel,neg,pos,'=bad\r\n" +
        '2,1970-01-01T00:00:01.000Z,bulk,5,drop,pos,,x\r\n',
    );
    await expect(readCsvTable(bytesFromString(log), {})).resolves.toBeTruthy();
  });
});
