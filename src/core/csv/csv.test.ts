import { describe, expect, it } from 'vitest';
import { CsvError } from './errors.ts';
import { decodeWindows1252, detectEncoding, normalizeEncodingName } from './encoding.ts';
import { parseCsv, readCsvTable, sniffCsv, type CsvTable, type ParseCsvOptions } from './parse.ts';
import { bytesFromArray, bytesFromString, type ByteChunks } from './source.ts';
import type { StageProgress } from '../util/progress.ts';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function utf16(text: string, littleEndian: boolean, bom = true): Uint8Array {
  const out = new Uint8Array((bom ? 2 : 0) + text.length * 2);
  const view = new DataView(out.buffer);
  if (bom) view.setUint16(0, 0xfeff, littleEndian);
  for (let i = 0; i < text.length; i++)
    view.setUint16((bom ? 2 : 0) + 2 * i, text.charCodeAt(i), littleEndian);
  return out;
}

const CP1252_ENCODE: Record<string, number> = {
  '€': 0x80,
  '’': 0x92,
  '“': 0x93,
  '”': 0x94,
  '—': 0x97,
  é: 0xe9,
  ü: 0xfc,
};
function windows1252(text: string): Uint8Array {
  return Uint8Array.from([...text], (c) => {
    const code = CP1252_ENCODE[c] ?? c.charCodeAt(0);
    if (code > 0xff) throw new Error(`not in the test table: ${c}`);
    return code;
  });
}

/** Feeds bytes in tiny pieces so that characters and rows straddle chunk boundaries. */
async function* inPieces(bytes: Uint8Array, size: number): ByteChunks {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

const read = (input: string | Uint8Array, options: Omit<ParseCsvOptions, 'onRows'> = {}): Promise<CsvTable> =>
  readCsvTable(typeof input === 'string' ? bytesFromString(input) : bytesFromArray(input), options);

describe('files that cannot be used', () => {
  it('rejects an empty file', async () => {
    await expect(read(new Uint8Array(0))).rejects.toMatchObject({
      code: 'empty',
      message: expect.stringMatching(/empty/),
    });
  });

  it('rejects a file of blank lines', async () => {
    await expect(read(' \r\n\n\t\n')).rejects.toMatchObject({ code: 'empty' });
  });

  it('rejects a header without data rows', async () => {
    await expect(read('text,label\n')).rejects.toMatchObject({
      code: 'no-rows',
      message: expect.stringMatching(/header/),
    });
  });

  it('names a PNG renamed to .csv', async () => {
    const png = Uint8Array.from([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3,
    ]);
    const error = (await read(png).catch((e: unknown) => e)) as CsvError;
    expect(error).toBeInstanceOf(CsvError);
    expect(error.code).toBe('binary');
    expect(error.message).toMatch(/PNG image, not a text file/);
  });

  it('explains an Excel workbook', async () => {
    const xlsx = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 6, 0, 8, 0, 0, 0, 33, 0]);
    await expect(read(xlsx)).rejects.toThrow(/xlsx.*CSV UTF-8/);
  });

  it('rejects unknown binary data by its NUL bytes', async () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) % 256);
    await expect(read(bytes)).rejects.toMatchObject({ code: 'binary' });
  });

  it('rejects an unknown encoding name', () => {
    expect(() => normalizeEncodingName('klingon')).toThrow(/unknown encoding "klingon"/);
  });
});

describe('encodings', () => {
  const text = 'text,label\nCafé “crème” — 5€,positive\nNaïve über,negative\n';

  it('reads UTF-8 with a BOM, dropping the BOM', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(text)]);
    const table = await read(bytes);
    expect(table.summary.sniff.bom).toBe(true);
    expect(table.columns).toEqual(['text', 'label']);
    expect(table.rows[0]).toEqual(['Café “crème” — 5€', 'positive']);
  });

  it.each([true, false])('reads UTF-16 %s (little-endian) by its BOM', async (littleEndian) => {
    const table = await read(utf16(text, littleEndian));
    expect(table.summary.encoding).toBe(littleEndian ? 'utf-16le' : 'utf-16be');
    expect(table.rows).toEqual([
      ['Café “crème” — 5€', 'positive'],
      ['Naïve über', 'negative'],
    ]);
  });

  it('recognises UTF-16 without a BOM from its zero bytes', async () => {
    const table = await read(utf16(text, true, false));
    expect(table.summary.encoding).toBe('utf-16le');
    expect(table.summary.notices.join(' ')).toMatch(/no byte-order mark/);
    expect(table.rows[1]).toEqual(['Naïve über', 'negative']);
  });

  it('falls back to Windows-1252 when the file is not UTF-8, and says so', async () => {
    const table = await read(windows1252(text));
    expect(table.summary.encoding).toBe('windows-1252');
    expect(table.summary.notices.join(' ')).toMatch(/not valid UTF-8.*Windows-1252/);
    expect(table.rows[0]).toEqual(['Café “crème” — 5€', 'positive']);
  });

  it('switches to Windows-1252 mid-stream when the first invalid byte comes late', async () => {
    const head = 'text,label\n' + 'plain ascii text,positive\n'.repeat(20_000);
    const bytes = new Uint8Array([...utf8(head), ...windows1252('late café,negative\n')]);
    expect(bytes.length).toBeGreaterThan(300_000);
    const table = await readCsvTable(inPieces(bytes, 65_536), {});
    expect(table.summary.encoding).toBe('windows-1252');
    expect(table.summary.notices.join(' ')).toMatch(
      new RegExp(`first invalid byte at offset ${utf8(head).length + 8}`),
    );
    expect(table.rows.at(-1)).toEqual(['late café', 'negative']);
  });

  it('keeps UTF-8 and marks stray invalid bytes when real UTF-8 came first', async () => {
    const bytes = new Uint8Array([
      ...utf8('text,label\ncafé,positive\nbad '),
      0xff,
      ...utf8(' byte,negative\n'),
    ]);
    const table = await read(bytes);
    expect(table.summary.encoding).toBe('utf-8');
    expect(table.rows[0]).toEqual(['café', 'positive']);
    expect(table.rows[1]).toEqual(['bad \ufffd byte', 'negative']);
    expect(table.summary.notices.join(' ')).toMatch(/1 byte sequence was not valid UTF-8/);
  });

  it('honours a given encoding', async () => {
    const table = await read(windows1252(text), { encoding: 'cp1252' });
    expect(table.summary.sniff.encodingHow).toBe('given');
    expect(table.rows[1]).toEqual(['Naïve über', 'negative']);
  });

  it.each([1, 2, 3, 5])(
    'reassembles characters cut by chunk boundaries (chunks of %i bytes)',
    async (size) => {
      const emoji = 'text,label\n"héllo 👋 wörld, ça va?",greeting\n日本語のテキスト,other\n';
      const fromUtf8 = await readCsvTable(inPieces(utf8(emoji), size), {});
      expect(fromUtf8.rows).toEqual([
        ['héllo 👋 wörld, ça va?', 'greeting'],
        ['日本語のテキスト', 'other'],
      ]);
      const fromUtf16 = await readCsvTable(inPieces(utf16(emoji, false), size), {});
      expect(fromUtf16.rows).toEqual(fromUtf8.rows);
    },
  );

  it('decodes the Windows-1252 specials that Latin-1 lacks', () => {
    expect(decodeWindows1252(Uint8Array.from([0x80, 0x93, 0x94, 0x9f, 0xe9]))).toBe('€“”Ÿé');
    expect(detectEncoding(Uint8Array.from([0x41, 0xe9, 0x42]), true).encoding).toBe('windows-1252');
  });
});

describe('dialects', () => {
  it('detects semicolons in an Excel export with commas inside the text', async () => {
    const table = await read('\uFEFFtext;label\r\nHello, world;greeting\r\nBye, then, see you;farewell\r\n');
    expect(table.summary.sniff.delimiter).toBe(';');
    expect(table.summary.sniff.newline).toBe('\r\n');
    expect(table.rows).toEqual([
      ['Hello, world', 'greeting'],
      ['Bye, then, see you', 'farewell'],
    ]);
  });

  it('detects tabs and pipes', async () => {
    expect((await read('text\tlabel\na, b\tx\nc; d\ty\n')).summary.sniff.delimiter).toBe('\t');
    expect((await read('text|label\na, b|x\nc; d|y\n')).summary.sniff.delimiter).toBe('|');
  });

  it('reads a plain label<TAB>text file without a header', async () => {
    const file =
      'positive\tGreat food, friendly staff.\nnegative\t"Awful" was the word.\npositive\tWould come again!\n';
    const table = await read(file, { fileName: 'reviews.txt' });
    expect(table.summary.sniff.delimiter).toBe('\t');
    expect(table.summary.sniff.hasHeader).toBe(false);
    expect(table.summary.sniff.quoting).toBe(false);
    expect(table.columns).toEqual(['column 1', 'column 2']);
    expect(table.rows[1]).toEqual(['negative', '"Awful" was the word.']);
    expect(Array.from(table.rowNumbers)).toEqual([1, 2, 3]);
  });

  it('handles CR-only line endings', async () => {
    const table = await read('text,label\rone,a\rtwo,b\r');
    expect(table.summary.sniff.newline).toBe('\r');
    expect(table.rows).toEqual([
      ['one', 'a'],
      ['two', 'b'],
    ]);
  });

  it('handles mixed LF and CRLF', async () => {
    const table = await read('text,label\r\none,a\ntwo,b\r\n');
    expect(table.summary.sniff.mixedNewlines).toBe(true);
    expect(table.rows).toEqual([
      ['one', 'a'],
      ['two', 'b'],
    ]);
  });

  it('reads quoted fields with newlines and doubled quotes, counting lines right', async () => {
    const file = 'text,label\n"He said ""hi""\nand left",a\n"x, y",b\nbroken,row,here\n';
    const table = await read(file);
    expect(table.rows).toEqual([
      ['He said "hi"\nand left', 'a'],
      ['x, y', 'b'],
    ]);
    expect(table.summary.malformed).toEqual([
      { row: 3, line: 5, reason: 'expected 2 fields, found 3', fields: ['broken', 'row', 'here'] },
    ]);
  });

  it('honours a given delimiter and header choice', async () => {
    const table = await read('a,b;c\nd,e;f\n', { delimiter: 'semicolon', hasHeader: false });
    expect(table.rows).toEqual([
      ['a,b', 'c'],
      ['d,e', 'f'],
    ]);
  });

  it('rejects an unusable delimiter', async () => {
    await expect(read('a,b\n', { delimiter: '"' })).rejects.toMatchObject({ code: 'bad-option' });
  });

  it('reads a file with one column as one column', async () => {
    const table = await read('text\nhello there\ngeneral kenobi\n');
    expect(table.columns).toEqual(['text']);
    expect(table.rows).toHaveLength(2);
    expect(table.summary.notices.join(' ')).toMatch(/no delimiter/);
  });

  it('keeps a 10,000-character cell intact', async () => {
    const long = 'word, "quoted" '.repeat(667).slice(0, 10_000);
    const escaped = `"${long.replace(/"/g, '""')}"`;
    const table = await readCsvTable(inPieces(utf8(`text,label\n${escaped},long\nshort,brief\n`), 4096), {});
    expect(table.rows[0]?.[0]).toBe(long);
    expect(table.rows[0]?.[0]).toHaveLength(10_000);
    expect(table.rows[1]).toEqual(['short', 'brief']);
  });

  it('sniffs only the head of the file', async () => {
    const sniff = await sniffCsv(bytesFromString('id;text;label\n1;hello;a\n2;bye;b\n'));
    expect(sniff.columns).toEqual(['id', 'text', 'label']);
    expect(sniff.sampleRows).toHaveLength(2);
    expect(sniff.sampleIsWholeFile).toBe(true);
  });
});

describe('rows that cannot be read are recorded, never lost', () => {
  it('records ragged rows with row numbers, lines and reasons', async () => {
    const file = 'text,label\nfine,a\ntoo,many,fields\nfew\n\nalso fine,b\n';
    const table = await read(file);
    expect(table.rows).toEqual([
      ['fine', 'a'],
      ['also fine', 'b'],
    ]);
    expect(Array.from(table.rowNumbers)).toEqual([1, 4]);
    expect(table.summary.malformed.map((m) => [m.row, m.line, m.reason])).toEqual([
      [2, 3, 'expected 2 fields, found 3'],
      [3, 4, 'expected 2 fields, found 1'],
    ]);
    expect(table.summary.blankLines).toBe(1);
    expect(table.summary.rows).toBe(4);
    expect(table.summary.notices.join(' ')).toMatch(/1 blank line skipped/);
  });

  it('records an unclosed quote at the end of the file', async () => {
    const table = await read('text,label\ngood,a\n"never closed,b\nmore text,c\n');
    expect(table.rows).toEqual([['good', 'a']]);
    expect(table.summary.malformed).toHaveLength(1);
    const [bad] = table.summary.malformed;
    expect(bad?.row).toBe(2);
    expect(bad?.line).toBe(3);
    expect(bad?.reason).toMatch(/unclosed quote.*line 3.*rest of the file/);
    expect(bad?.fields[0]).toContain('more text,c');
  });

  it('stops on a quote that never closes in a huge file instead of buffering it all', async () => {
    const file = 'text,label\n"open,a\n' + 'x,y\n'.repeat(50_000);
    await expect(read(file, { maxFieldChars: 100_000 })).rejects.toMatchObject({ code: 'runaway-quote' });
  });

  it('ignores extra empty fields at the end of a row and says so', async () => {
    const table = await read('text,label\na,b,,\nc,d\n');
    expect(table.rows).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(table.summary.trailingEmptyFieldRows).toBe(1);
  });

  it('reports stray quotes inside quoted fields', async () => {
    const table = await read('text,label\n"say "hi" now",a\nok,b\n');
    expect(table.summary.strayQuoteRows).toEqual([1]);
  });
});

describe('progress and cancellation', () => {
  it('reports bytes, rows and rates, ending with a done report', async () => {
    const reports: StageProgress[] = [];
    const file = 'text,label\n' + 'some words here,label\n'.repeat(100_000);
    await parseCsv(bytesFromString(file, 65_536), {
      totalBytes: file.length,
      onRows: () => {},
      onProgress: (p) => reports.push(p),
    });
    const last = reports.at(-1) as StageProgress;
    expect(last.done).toBe(true);
    expect(last.stage).toBe('parsing');
    expect(last.bytes).toBe(file.length);
    expect(last.rows).toBe(100_000);
    expect(last.totalBytes).toBe(file.length);
    expect(last.rowsPerSecond).toBeGreaterThan(0);
  });

  it('stops with an AbortError when cancelled', async () => {
    const controller = new AbortController();
    let batches = 0;
    const file = 'text,label\n' + 'some words here,label\n'.repeat(200_000);
    const run = parseCsv(bytesFromString(file, 65_536), {
      signal: controller.signal,
      onRows: () => {
        batches++;
        controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(batches).toBe(1);
  });
});
