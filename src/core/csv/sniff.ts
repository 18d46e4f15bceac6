// Dialect detection on the first part of a file: line endings, delimiter, quoting and whether
// the first row is a header. Each answer carries how it was found, so the Data step can show it.

import Papa from 'papaparse';

export type Newline = '\n' | '\r\n' | '\r';
export const DELIMITERS = [',', '\t', ';', '|'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

export function describeDelimiter(delimiter: string): string {
  switch (delimiter) {
    case ',':
      return 'comma';
    case '\t':
      return 'tab';
    case ';':
      return 'semicolon';
    case '|':
      return 'pipe';
    default:
      return JSON.stringify(delimiter);
  }
}

export function describeNewline(newline: Newline, mixed: boolean): string {
  const name = newline === '\r\n' ? 'CRLF' : newline === '\r' ? 'CR' : 'LF';
  return mixed ? 'mixed LF and CRLF' : name;
}

/** Accepts `,` `;` `|`, a tab, or their names (`tab`, `\t`, `comma`, ...). */
export function normalizeDelimiter(value: string): string | null {
  const names: Record<string, string> = {
    tab: '\t',
    '\\t': '\t',
    comma: ',',
    semicolon: ';',
    pipe: '|',
  };
  const named = names[value.toLowerCase()];
  if (named) return named;
  return value.length === 1 && value !== '"' && value !== '\n' && value !== '\r' ? value : null;
}

export interface NewlineGuess {
  newline: Newline;
  /** Both LF and CRLF occur: rows are split on LF and a trailing CR is removed from each row. */
  mixed: boolean;
}

/** Line endings outside quoted fields in `sample`. */
export function detectNewline(sample: string): NewlineGuess {
  const unquoted = sample.replace(/"[^"]*"/g, '');
  let crlf = 0;
  let lf = 0;
  let cr = 0;
  for (let i = 0; i < unquoted.length; i++) {
    const c = unquoted.charCodeAt(i);
    if (c === 13) {
      if (unquoted.charCodeAt(i + 1) === 10) {
        crlf++;
        i++;
      } else cr++;
    } else if (c === 10) lf++;
  }
  if (lf > 0) return { newline: '\n', mixed: crlf > 0 };
  if (crlf > 0) return { newline: '\r\n', mixed: false };
  if (cr > 0) return { newline: '\r', mixed: false };
  return { newline: '\n', mixed: false };
}

export interface DelimiterGuess {
  delimiter: string;
  /** Field count most rows of the sample have with this delimiter. */
  fieldCount: number;
  /** Share of sample rows with that field count. */
  consistency: number;
  quoting: boolean;
  how: 'detected' | 'only-one-column';
}

interface Candidate {
  delimiter: string;
  quoting: boolean;
  fieldCount: number;
  consistency: number;
  quoteErrors: number;
}

function measure(
  sample: string,
  newline: Newline,
  delimiter: string,
  quoting: boolean,
  atEnd: boolean,
): Candidate {
  const result = Papa.parse<string[]>(sample, {
    delimiter,
    newline,
    quoteChar: quoting ? '"' : '\u0000',
    header: false,
    skipEmptyLines: true,
    preview: 1000,
  });
  const rows = atEnd ? result.data : result.data.slice(0, -1);
  const counts = new Map<number, number>();
  for (const row of rows) counts.set(row.length, (counts.get(row.length) ?? 0) + 1);
  let fieldCount = 1;
  let best = 0;
  for (const [count, n] of counts) {
    if (n > best || (n === best && count > fieldCount)) {
      best = n;
      fieldCount = count;
    }
  }
  return {
    delimiter,
    quoting,
    fieldCount,
    consistency: rows.length ? best / rows.length : 0,
    quoteErrors: result.errors.filter((e) => e.type === 'Quotes').length,
  };
}

/**
 * Picks the delimiter that splits the sample into the most consistent number of fields (more
 * than one). Ties go to the usual order: comma, tab, semicolon, pipe, with tab first for files
 * named .tsv/.tab/.txt. Tab-separated text exported without CSV quoting (a `"` at the start of a
 * text) is recognised and parsed with quoting off.
 */
export function detectDelimiter(
  sample: string,
  newline: Newline,
  atEnd: boolean,
  fileName?: string,
): DelimiterGuess {
  const preferTab = fileName !== undefined && /\.(tsv|tab|txt)$/i.test(fileName);
  const order: string[] = preferTab ? ['\t', ',', ';', '|'] : [...DELIMITERS];
  const candidates = order.map((d) => measure(sample, newline, d, true, atEnd));
  const usable = candidates.filter((c) => c.fieldCount > 1);
  if (usable.length === 0) {
    return {
      delimiter: order[0] as string,
      fieldCount: 1,
      consistency: 1,
      quoting: true,
      how: 'only-one-column',
    };
  }
  const bestConsistency = Math.max(...usable.map((c) => c.consistency));
  const chosen = usable.find((c) => c.consistency >= bestConsistency - 0.02) as Candidate;
  if (chosen.delimiter === '\t' && chosen.quoteErrors > 0) {
    const unquoted = measure(sample, newline, '\t', false, atEnd);
    if (unquoted.fieldCount > 1 && unquoted.consistency >= chosen.consistency) {
      return { ...unquoted, how: 'detected' };
    }
  }
  return {
    delimiter: chosen.delimiter,
    fieldCount: chosen.fieldCount,
    consistency: chosen.consistency,
    quoting: true,
    how: 'detected',
  };
}

const HEADER_WORDS = new Set([
  'text',
  'texts',
  'label',
  'labels',
  'sentence',
  'sentences',
  'review',
  'reviews',
  'category',
  'categories',
  'class',
  'classes',
  'intent',
  'intents',
  'id',
  'title',
  'body',
  'content',
  'message',
  'comment',
  'split',
  'target',
  'sentiment',
  'tag',
  'tags',
  'topic',
  'utterance',
  'query',
  'question',
  'answer',
  'document',
  'description',
  'summary',
  'emotion',
  'emotions',
  'score',
  'rating',
  'subject',
  'name',
  'fold',
  'set',
  'index',
  'uid',
  'tweet',
  'sms',
  'v1',
  'v2',
]);

const isNumeric = (value: string): boolean =>
  /^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$/.test(value);

function headerWord(cell: string): boolean {
  const words = cell
    .toLowerCase()
    .trim()
    .split(/[\s_\-.]+/)
    .filter(Boolean);
  return words.some((w) => HEADER_WORDS.has(w));
}

/**
 * Decides whether the first row names the columns. Evidence for: cells that are column-like words
 * (text, label, ...), a non-number over a numeric column, a short word over a column of long
 * texts. Evidence against: the first row's value of a short column appearing again below (a
 * label), a sentence where the other rows hold sentences, an empty or numeric cell.
 */
export function detectHeader(rows: string[][]): boolean {
  const first = rows[0];
  if (!first) return false;
  const body = rows.slice(1, 500);
  let score = 0;
  const seen = new Set<string>();
  for (let c = 0; c < first.length; c++) {
    const cell = (first[c] ?? '').trim();
    if (cell === '') {
      score -= 0.5;
      continue;
    }
    if (seen.has(cell)) score -= 1;
    seen.add(cell);
    if (headerWord(cell)) score += 2;
    const column = body.map((r) => r[c] ?? '').filter((v) => v.trim() !== '');
    if (column.length === 0) continue;
    if (isNumeric(cell)) {
      score -= 1;
      continue;
    }
    const numericShare = column.filter(isNumeric).length / column.length;
    if (numericShare > 0.9) score += 1.5;
    const avgLength = column.reduce((s, v) => s + v.length, 0) / column.length;
    if (column.some((v) => v.trim() === cell)) score -= 2;
    // Column names are short; a sentence in the first row is data.
    if (cell.split(/\s+/).length >= 4 || /[.!?]$/.test(cell)) score -= 1.5;
    if (avgLength > 25) {
      if (cell.length < avgLength * 0.35 && !/\s/.test(cell)) score += 1;
      else if (/\s/.test(cell) && cell.length > 0.5 * avgLength) score -= 1;
    }
  }
  return score >= 0;
}

/** Column names from a header row: trimmed, empty ones named `column N`, repeats numbered. */
export function columnNames(header: string[] | null, fieldCount: number): string[] {
  const names: string[] = [];
  const used = new Map<string, number>();
  const width = Math.max(fieldCount, header?.length ?? 0);
  for (let i = 0; i < width; i++) {
    let name = header ? (header[i] ?? '').trim() : '';
    if (name === '') name = `column ${i + 1}`;
    const count = used.get(name) ?? 0;
    used.set(name, count + 1);
    names.push(count === 0 ? name : `${name} (${count + 1})`);
  }
  return names;
}
