// Streaming CSV/TSV parsing: bytes in, batches of rows out, with every row that cannot be read
// recorded (row number, line, reason, raw fields) rather than dropped in silence. PapaParse does
// the tokenising in chunk mode over a small stream adapter, so the file is never one string.

import Papa from 'papaparse';
import {
  binaryReason,
  detectEncoding,
  normalizeEncodingName,
  StreamingTextDecoder,
  type EncodingGuess,
  type TextEncodingName,
} from './encoding.ts';
import { CsvError, throwIfAborted } from './errors.ts';
import { peekHead, type ByteChunks } from './source.ts';
import {
  columnNames,
  describeDelimiter,
  detectDelimiter,
  detectHeader,
  detectNewline,
  normalizeDelimiter,
  type Newline,
} from './sniff.ts';
import { ProgressReporter, Yielder, type ProgressCallback } from '../util/index.ts';

/** Bytes read before deciding encoding, delimiter and header. */
const SNIFF_BYTES = 256 * 1024;
/** Text handed to PapaParse at a time. */
const PARSE_CHUNK_CHARS = 1 << 20;
/** A quoted field longer than this is taken for an unbalanced quote rather than data. */
const DEFAULT_MAX_FIELD_CHARS = 64 * 1024 * 1024;

export interface CsvDialectOptions {
  /** An encoding name (utf-8, utf-16le, utf-16be, windows-1252); detected when omitted. */
  encoding?: string;
  /** `,` `;` `\t` `|` (or comma/semicolon/tab/pipe); detected when omitted. */
  delimiter?: string;
  /** Whether the first row names the columns; detected when omitted. */
  hasHeader?: boolean;
  /** Used only to prefer tab for .tsv/.txt files when guessing. */
  fileName?: string;
}

export interface CsvSniff {
  encoding: TextEncodingName;
  encodingHow: EncodingGuess['how'];
  bom: boolean;
  delimiter: string;
  delimiterHow: 'given' | 'detected' | 'only-one-column';
  /** CSV quoting; off only for tab-separated text that uses `"` as an ordinary character. */
  quoting: boolean;
  newline: Newline;
  mixedNewlines: boolean;
  hasHeader: boolean;
  headerHow: 'given' | 'detected';
  /** Column names: the header's (cleaned), or `column 1`, `column 2`, ... */
  columns: string[];
  /** Up to 1000 data rows from the start of the file, for the preview and column guesses. */
  sampleRows: string[][];
  /** True when the sample is the whole file. */
  sampleIsWholeFile: boolean;
  /** Human-readable sentences about what was detected and anything unusual. */
  notices: string[];
}

export interface MalformedRow {
  /** 1-based data row number (header and blank lines not counted). */
  row: number;
  /** 1-based line in the file where the row starts. */
  line: number;
  reason: string;
  fields: string[];
}

export interface RowBatch {
  /** Rows with the expected number of fields, in file order. */
  rows: string[][];
  /** Data row number of each row in `rows`. */
  rowNumbers: Int32Array;
  /** Rows that could not be read, in this batch. */
  malformed: MalformedRow[];
}

export interface ParseSummary {
  sniff: CsvSniff;
  /** Encoding finally used: differs from the sniffed one after a fallback to Windows-1252. */
  encoding: TextEncodingName;
  /** Data rows seen, malformed ones included. */
  rows: number;
  goodRows: number;
  malformed: MalformedRow[];
  blankLines: number;
  /** Rows with a stray `"` inside a quoted field; read as written, reported as a warning. */
  strayQuoteRows: number[];
  /** Rows that had extra empty fields at the end (a spreadsheet artefact), ignored. */
  trailingEmptyFieldRows: number;
  notices: string[];
  bytes: number;
  chars: number;
  elapsedMs: number;
}

export interface ParseCsvOptions extends CsvDialectOptions {
  /** Size of the input in bytes when known (for progress). */
  totalBytes?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Called once the dialect is known, before any row: the preview can be shown at once. */
  onSniff?: (sniff: CsvSniff) => void;
  /** Receives the rows; called many times, in file order. */
  onRows: (batch: RowBatch) => void;
  maxFieldChars?: number;
}

function resolveDelimiter(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const delimiter = normalizeDelimiter(value);
  if (delimiter === null) {
    throw new CsvError('bad-option', `unusable delimiter "${value}": use , ; | or tab`);
  }
  return delimiter;
}

interface Sniffed {
  sniff: CsvSniff;
  encoding: EncodingGuess;
  rest: ByteChunks;
}

async function sniffChunks(chunks: ByteChunks, options: CsvDialectOptions): Promise<Sniffed> {
  const { head, atEnd, rest } = await peekHead(chunks, SNIFF_BYTES);
  if (head.length === 0) throw new CsvError('empty', 'the file is empty (0 bytes)');
  let encoding = detectEncoding(head, atEnd);
  if (options.encoding !== undefined) {
    const given = normalizeEncodingName(options.encoding);
    const bomLength = encoding.how === 'bom' && encoding.encoding === given ? encoding.bomLength : 0;
    encoding = { encoding: given, bomLength, how: 'given' };
  }
  const binary = binaryReason(head, encoding);
  if (binary !== null) throw new CsvError('binary', `cannot read this file: ${binary}`);

  const decoder = new StreamingTextDecoder(encoding.encoding, encoding.how !== 'given');
  let sample = decoder.decode(head.subarray(encoding.bomLength));
  if (atEnd) sample += decoder.flush();
  if (sample.trim() === '') {
    throw new CsvError('empty', 'the file holds no text, only whitespace or blank lines');
  }
  const notices: string[] = [];
  if (encoding.how === 'invalid-utf-8')
    notices.push('the file is not valid UTF-8, so it was read as Windows-1252');
  if (encoding.how === 'nul-pattern')
    notices.push(`the file has no byte-order mark but reads as ${encoding.encoding.toUpperCase()}`);

  const { newline, mixed } = detectNewline(sample);
  const given = resolveDelimiter(options.delimiter);
  const guess = given === undefined ? detectDelimiter(sample, newline, atEnd, options.fileName) : null;
  const delimiter = given ?? (guess as NonNullable<typeof guess>).delimiter;
  const quoting = guess?.quoting ?? true;
  if (!quoting) notices.push('tab-separated text without CSV quoting: `"` is read as an ordinary character');

  const parsed = Papa.parse<string[]>(sample, {
    delimiter,
    newline,
    quoteChar: quoting ? '"' : '\u0000',
    header: false,
    skipEmptyLines: 'greedy',
    preview: 1001,
  });
  const rows = parsed.data.map((r) => (mixed ? stripTrailingCr(r) : r));
  // A row still open at the end of the sample is cut short: keep it out of the guesses.
  if (!atEnd && rows.length > 1) rows.pop();
  const hasHeader = options.hasHeader ?? detectHeader(rows);
  const fieldCount = guess?.fieldCount ?? modalLength(rows);
  const header = hasHeader ? (rows[0] ?? null) : null;
  const columns = columnNames(header, header ? header.length : fieldCount);
  const sampleRows = (hasHeader ? rows.slice(1) : rows).slice(0, 1000);
  return {
    sniff: {
      encoding: encoding.encoding,
      encodingHow: encoding.how,
      bom: encoding.bomLength > 0,
      delimiter,
      delimiterHow: given !== undefined ? 'given' : (guess?.how ?? 'detected'),
      quoting,
      newline,
      mixedNewlines: mixed,
      hasHeader,
      headerHow: options.hasHeader === undefined ? 'detected' : 'given',
      columns,
      sampleRows,
      sampleIsWholeFile: atEnd,
      notices,
    },
    encoding,
    rest,
  };
}

function modalLength(rows: string[][]): number {
  const counts = new Map<number, number>();
  let best = 1;
  let bestCount = 0;
  for (const row of rows) {
    const n = (counts.get(row.length) ?? 0) + 1;
    counts.set(row.length, n);
    if (n > bestCount) {
      bestCount = n;
      best = row.length;
    }
  }
  return best;
}

function stripTrailingCr(row: string[]): string[] {
  const last = row.length - 1;
  const value = row[last];
  if (value !== undefined && value.endsWith('\r')) row[last] = value.slice(0, -1);
  return row;
}

/**
 * Reads just enough of a file to show the preview: encoding, dialect, columns and the first
 * rows. Only the first 256 KB are read.
 */
export async function sniffCsv(chunks: ByteChunks, options: CsvDialectOptions = {}): Promise<CsvSniff> {
  return (await sniffChunks(chunks, options)).sniff;
}

type Listener = (arg?: unknown) => void;

/**
 * The minimal Node-stream surface PapaParse's stream streamer uses (`on`, `removeListener`,
 * `pause`, `resume`, `read`, `readable`), fed from our own async loop. It works the same in a
 * browser worker, where there are no Node streams. Each `push` parses synchronously, so memory
 * holds one chunk (plus a row cut by the chunk boundary) at a time.
 */
class PapaStreamAdapter {
  readonly readable = true;
  private listeners = new Map<string, Listener[]>();
  read(): null {
    return null;
  }
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  removeListener(event: string, listener: Listener): this {
    this.listeners.set(
      event,
      (this.listeners.get(event) ?? []).filter((l) => l !== listener),
    );
    return this;
  }
  pause(): void {}
  resume(): void {}
  push(text: string): void {
    for (const listener of this.listeners.get('data') ?? []) listener(text);
  }
  end(): void {
    for (const listener of this.listeners.get('end') ?? []) listener();
  }
}

function countLineBreaks(value: string): number {
  let count = 0;
  let i = value.indexOf('\n');
  while (i !== -1) {
    count++;
    i = value.indexOf('\n', i + 1);
  }
  i = value.indexOf('\r');
  while (i !== -1) {
    if (value.charCodeAt(i + 1) !== 10) count++;
    i = value.indexOf('\r', i + 1);
  }
  return count;
}

function rowLineBreaks(row: string[]): number {
  let count = 0;
  for (const field of row) {
    if (field.length > 0 && (field.indexOf('\n') !== -1 || field.indexOf('\r') !== -1)) {
      count += countLineBreaks(field);
    }
  }
  return count;
}

/**
 * Parses a whole file as a stream. Rows arrive through `onRows` in file order; the summary lists
 * every malformed row (wrong field count, a quote left open at the end of the file) with its row
 * number, line and raw fields. Throws `CsvError` for a file that is not usable at all (empty,
 * binary), and an `AbortError` when `signal` fires.
 */
export async function parseCsv(chunks: ByteChunks, options: ParseCsvOptions): Promise<ParseSummary> {
  const { signal } = options;
  throwIfAborted(signal);
  const { sniff, encoding, rest } = await sniffChunks(chunks, options);
  options.onSniff?.(sniff);
  const progress = new ProgressReporter('parsing', options.onProgress);
  const yielder = new Yielder();
  const maxFieldChars = options.maxFieldChars ?? DEFAULT_MAX_FIELD_CHARS;
  const expected = sniff.columns.length;
  const notices = [...sniff.notices];

  let headerPending = sniff.hasHeader;
  let rowNumber = 0;
  let line = 1;
  let goodRows = 0;
  let blankLines = 0;
  let trailingEmptyFieldRows = 0;
  const malformed: MalformedRow[] = [];
  const strayQuoteRows: number[] = [];
  let consumedChars = 0;
  let fedChars = 0;
  let batchError: unknown = null;

  const handleChunk = (results: Papa.ParseResult<string[]>): void => {
    const data = results.data;
    const rows: string[][] = [];
    const numbers: number[] = [];
    const batchMalformed: MalformedRow[] = [];
    const errorsByIndex = new Map<number, Papa.ParseError[]>();
    // An error on a row cut by the chunk boundary has index data.length: that row comes again,
    // whole, with the next chunk, so such errors are never looked up here.
    for (const error of results.errors) {
      if (error.row === undefined) continue;
      errorsByIndex.set(error.row, [...(errorsByIndex.get(error.row) ?? []), error]);
    }
    for (let i = 0; i < data.length; i++) {
      let row = data[i] as string[];
      if (sniff.mixedNewlines) row = stripTrailingCr(row);
      const startLine = line;
      line += 1 + rowLineBreaks(row);
      const errors = errorsByIndex.get(i);
      if (row.length === 1 && row[0] === '' && !errors) {
        blankLines++;
        continue;
      }
      if (headerPending) {
        headerPending = false;
        continue;
      }
      rowNumber++;
      const unclosed = errors?.find((e) => e.code === 'MissingQuotes');
      if (unclosed) {
        line = startLine + 1 + rowLineBreaks(row);
        batchMalformed.push({
          row: rowNumber,
          line: startLine,
          reason:
            `unclosed quote: a quoted field on line ${startLine} never ends, ` +
            `so the rest of the file (to line ${line - 1}) is inside it`,
          fields: row,
        });
        continue;
      }
      if (errors?.some((e) => e.code === 'InvalidQuotes')) strayQuoteRows.push(rowNumber);
      if (row.length > expected) {
        let last = row.length;
        while (last > expected && row[last - 1] === '') last--;
        if (last === expected) {
          row = row.slice(0, expected);
          trailingEmptyFieldRows++;
        }
      }
      if (row.length !== expected) {
        batchMalformed.push({
          row: rowNumber,
          line: startLine,
          reason: `expected ${expected} field${expected === 1 ? '' : 's'}, found ${row.length}`,
          fields: row,
        });
        continue;
      }
      rows.push(row);
      numbers.push(rowNumber);
    }
    goodRows += rows.length;
    for (const m of batchMalformed) malformed.push(m);
    if (rows.length > 0 || batchMalformed.length > 0) {
      options.onRows({ rows, rowNumbers: Int32Array.from(numbers), malformed: batchMalformed });
    }
  };

  const adapter = new PapaStreamAdapter();
  // The typings only know Node streams and File; the adapter has the surface Papa actually uses.
  const parseStream = Papa.parse as unknown as (
    input: PapaStreamAdapter,
    config: Papa.ParseConfig<string[]>,
  ) => void;
  parseStream(adapter, {
    delimiter: sniff.delimiter,
    newline: sniff.newline,
    quoteChar: sniff.quoting ? '"' : '\u0000',
    escapeChar: sniff.quoting ? '"' : '\u0000',
    header: false,
    dynamicTyping: false,
    skipEmptyLines: false,
    chunk: (results: Papa.ParseResult<string[]>) => {
      consumedChars = results.meta.cursor;
      if (batchError) return;
      try {
        handleChunk(results);
      } catch (error) {
        batchError = error;
      }
    },
    error: (error: Error) => {
      batchError = error;
    },
  } as Papa.ParseConfig<string[]>);

  const decoder = new StreamingTextDecoder(encoding.encoding, encoding.how !== 'given');
  let bytes = 0;
  let pending = '';
  let skipBom = encoding.bomLength;
  const feed = (text: string): void => {
    fedChars += text.length;
    adapter.push(text);
    if (batchError) throw batchError;
    if (fedChars - consumedChars > maxFieldChars) {
      throw new CsvError(
        'runaway-quote',
        `a quoted field starting on line ${line} has not closed after ${Math.round(maxFieldChars / 1048576)} MB: the file probably has an unbalanced quote`,
      );
    }
  };
  for await (const chunk of rest) {
    throwIfAborted(signal);
    let bytesIn = chunk;
    if (skipBom > 0) {
      const skip = Math.min(skipBom, bytesIn.length);
      bytesIn = bytesIn.subarray(skip);
      skipBom -= skip;
    }
    bytes += chunk.length;
    pending += decoder.decode(bytesIn);
    if (pending.length >= PARSE_CHUNK_CHARS) {
      feed(pending);
      pending = '';
      progress.report(bytes, rowNumber, { totalBytes: options.totalBytes });
      await yielder.maybeYield();
    }
  }
  pending += decoder.flush();
  if (pending.length > 0) feed(pending);
  adapter.end();
  if (batchError) throw batchError;
  throwIfAborted(signal);
  for (const notice of decoder.notices) notices.push(notice.message);
  if (blankLines > 0) notices.push(`${blankLines} blank line${blankLines === 1 ? '' : 's'} skipped`);
  if (trailingEmptyFieldRows > 0) {
    notices.push(
      `${trailingEmptyFieldRows} row${trailingEmptyFieldRows === 1 ? ' has' : 's have'} extra empty fields at the end (ignored)`,
    );
  }
  if (sniff.delimiterHow === 'only-one-column') {
    notices.push(
      `no delimiter (${[',', '\t', ';', '|'].map(describeDelimiter).join(', ')}) splits the rows into columns`,
    );
  }
  progress.report(bytes, rowNumber, { totalBytes: options.totalBytes }, true);
  if (rowNumber === 0) {
    throw new CsvError(
      'no-rows',
      sniff.hasHeader ? 'the file has a header row but no data rows' : 'the file has no data rows',
    );
  }
  return {
    sniff,
    encoding: decoder.encoding,
    rows: rowNumber,
    goodRows,
    malformed,
    blankLines,
    strayQuoteRows,
    trailingEmptyFieldRows,
    notices,
    bytes,
    chars: fedChars,
    elapsedMs: progress.elapsedMs(),
  };
}

/** All rows of a file kept in memory, for a Data step that remaps columns without re-reading. */
export interface CsvTable {
  summary: ParseSummary;
  columns: string[];
  rows: string[][];
  rowNumbers: Int32Array;
}

/** `parseCsv`, keeping the rows. */
export async function readCsvTable(
  chunks: ByteChunks,
  options: Omit<ParseCsvOptions, 'onRows'> & { onRows?: ParseCsvOptions['onRows'] },
): Promise<CsvTable> {
  const rows: string[][] = [];
  const numberChunks: Int32Array[] = [];
  const summary = await parseCsv(chunks, {
    ...options,
    onRows: (batch) => {
      for (const row of batch.rows) rows.push(row);
      numberChunks.push(batch.rowNumbers);
      options.onRows?.(batch);
    },
  });
  const rowNumbers = new Int32Array(rows.length);
  let at = 0;
  for (const chunk of numberChunks) {
    rowNumbers.set(chunk, at);
    at += chunk.length;
  }
  return { summary, columns: summary.sniff.columns, rows, rowNumbers };
}
