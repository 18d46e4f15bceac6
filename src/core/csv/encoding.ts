// Bytes → text. Analysts' files come as UTF-8 (with or without a BOM), UTF-16 from Excel's
// "Unicode text" export, or Windows-1252 from older tools; this module finds out which, refuses
// binary files with a clear reason, and decodes chunk by chunk so a file is never one string.

import { CsvError } from './errors.ts';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface EncodingGuess {
  encoding: TextEncodingName;
  /** Bytes of byte-order mark at the start of the file, skipped before decoding. */
  bomLength: number;
  how: 'bom' | 'nul-pattern' | 'utf-8' | 'invalid-utf-8' | 'given';
}

export interface DecodeNotice {
  code: 'windows-1252-fallback' | 'invalid-bytes-replaced' | 'utf-16-without-bom';
  message: string;
  /** Byte offset in the file of the first byte that was not valid in the detected encoding. */
  byteOffset?: number;
}

const ENCODING_ALIASES: Record<string, TextEncodingName> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'utf-8-sig': 'utf-8',
  'utf-16le': 'utf-16le',
  'utf-16-le': 'utf-16le',
  utf16le: 'utf-16le',
  'utf-16': 'utf-16le',
  'utf-16be': 'utf-16be',
  'utf-16-be': 'utf-16be',
  utf16be: 'utf-16be',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  'cp-1252': 'windows-1252',
  latin1: 'windows-1252',
  'latin-1': 'windows-1252',
  'iso-8859-1': 'windows-1252',
  ansi: 'windows-1252',
};

/** Maps a user's `--encoding` value to one we decode, or throws with the accepted names. */
export function normalizeEncodingName(name: string): TextEncodingName {
  const found = ENCODING_ALIASES[name.trim().toLowerCase().replace(/_/g, '-')];
  if (!found) {
    throw new CsvError(
      'bad-option',
      `unknown encoding "${name}": use utf-8, utf-16le, utf-16be or windows-1252`,
    );
  }
  return found;
}

/** Guesses the encoding from the first bytes of a file (`atEnd`: they are the whole file). */
export function detectEncoding(head: Uint8Array, atEnd: boolean): EncodingGuess {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
    return { encoding: 'utf-8', bomLength: 3, how: 'bom' };
  }
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2, how: 'bom' };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2, how: 'bom' };
  const utf16 = utf16ByNulPattern(head);
  if (utf16) return { encoding: utf16, bomLength: 0, how: 'nul-pattern' };
  if (isValidUtf8Prefix(head, atEnd)) return { encoding: 'utf-8', bomLength: 0, how: 'utf-8' };
  // Mostly-valid UTF-8 with a few bad bytes is damaged UTF-8, not Windows-1252.
  const { valid, invalid } = countUtf8Sequences(head);
  return valid > 0 && valid >= invalid
    ? { encoding: 'utf-8', bomLength: 0, how: 'utf-8' }
    : { encoding: 'windows-1252', bomLength: 0, how: 'invalid-utf-8' };
}

/** Well-formed multi-byte UTF-8 sequences and bytes that fit no sequence, for the guess above. */
function countUtf8Sequences(bytes: Uint8Array): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need > 0 && i + need >= bytes.length) break; // cut off by the end of the sample
    let ok = need > 0;
    for (let k = 1; ok && k <= need; k++) ok = ((bytes[i + k] ?? 0) & 0xc0) === 0x80;
    if (ok) {
      valid++;
      i += need + 1;
    } else {
      invalid++;
      i++;
    }
  }
  return { valid, invalid };
}

/**
 * UTF-16 text without a BOM shows up as ASCII letters alternating with zero bytes. Requires most
 * of one byte lane to be zero and the other lane not, which plain binary rarely gives.
 */
function utf16ByNulPattern(head: Uint8Array): TextEncodingName | null {
  const n = Math.min(head.length, 4096) & ~1;
  if (n < 8) return null;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenZero++;
    if (head[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero > 0.6 * pairs && evenZero < 0.05 * pairs) return 'utf-16le';
  if (evenZero > 0.6 * pairs && oddZero < 0.05 * pairs) return 'utf-16be';
  return null;
}

function isValidUtf8Prefix(bytes: Uint8Array, atEnd: boolean): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: !atEnd });
    return true;
  } catch {
    return false;
  }
}

const MAGIC: { bytes: (number | null)[]; what: string }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'a GIF image' },
  { bytes: [0x52, 0x49, 0x46, 0x46, null, null, null, null, 0x57, 0x45, 0x42, 0x50], what: 'a WebP image' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'a PDF document' },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'a ZIP archive (an Excel .xlsx workbook is one: save the sheet as "CSV UTF-8" and load that)',
  },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    what: 'a legacy Office file such as an .xls workbook (save the sheet as "CSV UTF-8" and load that)',
  },
  { bytes: [0x1f, 0x8b], what: 'a gzip archive (decompress it first)' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'a zstd archive (decompress it first)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: 'a 7-Zip archive' },
  { bytes: [0x52, 0x61, 0x72, 0x21], what: 'a RAR archive' },
  { bytes: [0x50, 0x41, 0x52, 0x31], what: 'a Parquet file (export it as CSV)' },
  {
    bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74],
    what: 'an SQLite database',
  },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'a program (ELF executable)' },
  { bytes: [0x00, 0x61, 0x73, 0x6d], what: 'a WebAssembly module' },
];

/**
 * Returns why `head` is not a text file, or null when it looks like text. Known file signatures
 * get their name in the message; otherwise NUL bytes or many control characters give it away.
 */
export function binaryReason(head: Uint8Array, encoding: EncodingGuess): string | null {
  for (const magic of MAGIC) {
    if (head.length >= magic.bytes.length && magic.bytes.every((b, i) => b === null || head[i] === b)) {
      return `this is ${magic.what}, not a text file`;
    }
  }
  if (encoding.encoding === 'utf-16le' || encoding.encoding === 'utf-16be') {
    const text = new TextDecoder(encoding.encoding).decode(head.subarray(encoding.bomLength, 8192 & ~1));
    return controlCharacterReason(text);
  }
  const sample = head.subarray(encoding.bomLength, 8192);
  if (sample.includes(0)) return 'it contains NUL bytes, so it is a binary file, not text';
  const text =
    encoding.encoding === 'windows-1252'
      ? decodeWindows1252(sample)
      : new TextDecoder('utf-8').decode(sample);
  return controlCharacterReason(text);
}

function controlCharacterReason(text: string): string | null {
  if (text.length === 0) return null;
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return 'it contains NUL characters, so it is a binary file, not text';
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) || c === 0xfffd) control++;
  }
  return control > 0.1 * text.length
    ? `${Math.round((100 * control) / text.length)}% of its first characters are control or undecodable bytes, so it is a binary file, not text`
    : null;
}

// Windows-1252 differs from Latin-1 only in 0x80-0x9F. Node's TextDecoder('windows-1252') decodes
// Latin-1 instead (0x80 → U+0080, not €), so the table lives here and behaves the same everywhere.
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d,
  0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a,
  0x153, 0x9d, 0x17e, 0x178,
];
const CP1252 = new Uint16Array(256);
for (let b = 0; b < 256; b++) CP1252[b] = b >= 0x80 && b < 0xa0 ? (CP1252_HIGH[b - 0x80] as number) : b;
const utf16Decoder = new TextDecoder('utf-16le');

/** Decodes Windows-1252 bytes (a single-byte code page, so chunks can be cut anywhere). */
export function decodeWindows1252(bytes: Uint8Array): string {
  const units = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) units[i] = CP1252[bytes[i] as number] as number;
  // TypedArrays are little-endian on every platform JavaScript runs on.
  return utf16Decoder.decode(units);
}

function countReplacementCharacters(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\ufffd'); i !== -1; i = text.indexOf('\ufffd', i + 1)) count++;
  return count;
}

/** Bytes at the end of `bytes` that start a UTF-8 sequence the chunk does not finish. */
function incompleteUtf8Tail(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? bytes.slice(n - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Decodes a byte stream chunk by chunk. Multi-byte characters cut by a chunk boundary are carried
 * over (TextDecoder `stream: true`). UTF-8 that turns out invalid part-way through switches to
 * Windows-1252 when everything before was ASCII (both encodings agree on ASCII, so nothing decoded
 * so far changes); when real UTF-8 came before, the invalid bytes become U+FFFD and are counted.
 * Either way a notice says so: the analyst is told, never silently given different text.
 */
export class StreamingTextDecoder {
  readonly notices: DecodeNotice[] = [];
  private mode: 'utf-8-strict' | 'utf-8-lenient' | 'windows-1252' | 'utf-16';
  private decoder: TextDecoder | null;
  private tail: Uint8Array = new Uint8Array(0);
  private sawNonAscii = false;
  private offset = 0;
  private replaced = 0;
  private firstReplacedOffset: number | undefined;

  constructor(
    public encoding: TextEncodingName,
    private readonly allowFallback: boolean,
  ) {
    if (encoding === 'utf-8') {
      this.mode = 'utf-8-strict';
      this.decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    } else if (encoding === 'windows-1252') {
      this.mode = 'windows-1252';
      this.decoder = null;
    } else {
      this.mode = 'utf-16';
      this.decoder = new TextDecoder(encoding, { ignoreBOM: true });
    }
  }

  decode(chunk: Uint8Array): string {
    const start = this.offset;
    this.offset += chunk.length;
    switch (this.mode) {
      case 'windows-1252':
        return decodeWindows1252(chunk);
      case 'utf-16':
      case 'utf-8-lenient':
        return this.counted((this.decoder as TextDecoder).decode(chunk, { stream: true }), start);
      case 'utf-8-strict':
        try {
          const text = (this.decoder as TextDecoder).decode(chunk, { stream: true });
          if (!this.sawNonAscii && NON_ASCII.test(text)) this.sawNonAscii = true;
          this.tail = incompleteUtf8Tail(chunk.length >= 4 ? chunk : concatBytes(this.tail, chunk));
          return text;
        } catch {
          return this.fallBack(concatBytes(this.tail, chunk), start - this.tail.length, true);
        }
    }
  }

  /** Decodes whatever the last chunk left incomplete; call once at the end of the stream. */
  flush(): string {
    let text = '';
    if (this.mode === 'utf-8-strict') {
      try {
        text = (this.decoder as TextDecoder).decode();
      } catch {
        text = this.fallBack(this.tail, this.offset - this.tail.length, false);
      }
    } else if (this.decoder) {
      text = this.counted(this.decoder.decode(), this.offset);
    }
    if (this.replaced > 0) {
      this.notices.push({
        code: 'invalid-bytes-replaced',
        message: `${this.replaced} byte sequence${this.replaced === 1 ? ' was' : 's were'} not valid ${this.encoding === 'utf-8' ? 'UTF-8' : this.encoding.toUpperCase()} and ${this.replaced === 1 ? 'is' : 'are'} shown as �`,
        byteOffset: this.firstReplacedOffset,
      });
    }
    return text;
  }

  private fallBack(bytes: Uint8Array, byteOffset: number, streaming: boolean): string {
    const firstInvalid = firstInvalidUtf8(bytes);
    if (bytes.subarray(0, firstInvalid).some((b) => b >= 0x80)) this.sawNonAscii = true;
    if (!this.sawNonAscii && this.allowFallback) {
      this.mode = 'windows-1252';
      this.encoding = 'windows-1252';
      this.decoder = null;
      this.notices.push({
        code: 'windows-1252-fallback',
        message: `the file is not valid UTF-8 (first invalid byte at offset ${byteOffset + firstInvalid}), so it was read as Windows-1252`,
        byteOffset: byteOffset + firstInvalid,
      });
      return decodeWindows1252(bytes);
    }
    this.mode = 'utf-8-lenient';
    this.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    return this.counted(this.decoder.decode(bytes, { stream: streaming }), byteOffset);
  }

  private counted(text: string, chunkOffset: number): string {
    const n = countReplacementCharacters(text);
    if (n > 0) {
      if (this.firstReplacedOffset === undefined) this.firstReplacedOffset = chunkOffset;
      this.replaced += n;
    }
    return text;
  }
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  // Binary search for the longest prefix without a definite error (stream mode, so the predicate
  // is monotonic); only runs once, on the chunk that failed. A lead byte at its end belongs to
  // the bad sequence.
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo - incompleteUtf8Tail(bytes.subarray(0, lo)).length;
}

const CP1252_BYTE = new Map<number, number>();
for (let b = 255; b >= 0; b--) CP1252_BYTE.set(CP1252[b] as number, b);

/**
 * Text → bytes in one of the encodings we read, with the byte-order mark when `bom`, so a file
 * written back reads as the one it came from. Windows-1252 cannot hold every character: one it
 * lacks is refused with its position rather than replaced.
 */
export function encodeText(text: string, encoding: TextEncodingName, bom: boolean): Uint8Array<ArrayBuffer> {
  switch (encoding) {
    case 'utf-8': {
      const body = new TextEncoder().encode(text);
      if (!bom) return body;
      const out = new Uint8Array(body.length + 3);
      out.set([0xef, 0xbb, 0xbf]);
      out.set(body, 3);
      return out;
    }
    case 'utf-16le':
    case 'utf-16be': {
      const start = bom ? 2 : 0;
      const out = new Uint8Array(start + text.length * 2);
      const view = new DataView(out.buffer);
      const little = encoding === 'utf-16le';
      if (bom) view.setUint16(0, 0xfeff, little);
      for (let i = 0; i < text.length; i++) view.setUint16(start + i * 2, text.charCodeAt(i), little);
      return out;
    }
    case 'windows-1252': {
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const byte = CP1252_BYTE.get(text.charCodeAt(i));
        if (byte === undefined) {
          throw new CsvError(
            'unsupported-encoding',
            `"${text.charAt(i)}" (character ${i + 1}) has no Windows-1252 byte; the file cannot be written in its own encoding`,
          );
        }
        out[i] = byte;
      }
      return out;
    }
  }
}
