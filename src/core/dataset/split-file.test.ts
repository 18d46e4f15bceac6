import { describe, expect, it } from 'vitest';
import { buildSplitFile, crc32, keptRowsCrc32, SPLIT_FILE_FORMAT } from './split-file.ts';

describe('split.json', () => {
  it.each([
    ['', 0x00000000],
    ['123456789', 0xcbf43926],
    ['The quick brown fox jumps over the lazy dog', 0x414fa339],
  ])('crc32(%j) is zlib’s', (text, expected) => {
    expect(crc32(new TextEncoder().encode(text))).toBe(expected);
  });

  it('crc32 continues across chunks as zlib.crc32(data, crc) does', () => {
    const bytes = new TextEncoder().encode('crème brûlée; déjà vu');
    expect(crc32(bytes.subarray(7), crc32(bytes.subarray(0, 7)))).toBe(crc32(bytes));
  });

  it('lists 1-based data rows per split and fingerprints the kept rows', () => {
    const dataset = { rows: Int32Array.from([1, 2, 4, 5]), texts: ['a', 'b', 'c', 'd'], totalRows: 6 };
    const file = buildSplitFile(dataset, Int8Array.from([0, 2, 0, 1]));
    expect(file).toEqual({
      format: SPLIT_FILE_FORMAT,
      file_rows: 6,
      kept_rows: 4,
      rows_crc32: keptRowsCrc32(dataset.rows, dataset.texts),
      train: [1, 4],
      validation: [5],
      test: [2],
    });
    expect(keptRowsCrc32(dataset.rows, ['a', 'b', 'c', 'e'])).not.toBe(file.rows_crc32);
    expect(keptRowsCrc32(Int32Array.from([1, 2, 3, 5]), dataset.texts)).not.toBe(file.rows_crc32);
  });

  it('refuses a split that leaves a row out or runs over two files', () => {
    const dataset = { rows: Int32Array.from([1, 2]), texts: ['a', 'b'], totalRows: 2 };
    expect(() => buildSplitFile(dataset, Int8Array.from([0, -1]))).toThrow('row 2 has no split');
    expect(() => buildSplitFile(dataset, Int8Array.from([0]))).toThrow('1 split entries for 2 rows');
    expect(() =>
      buildSplitFile({ ...dataset, rowSource: Uint8Array.from([0, 1]) }, Int8Array.from([0, 2])),
    ).toThrow('separate test file');
  });
});
