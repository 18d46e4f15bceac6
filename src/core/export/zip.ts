// Zip archives: a deterministic writer (sorted entries, fixed timestamps and attributes, so the
// same files always give the same bytes in every browser, time zone and in Node) and a reader
// for untrusted archives (entries that would escape the folder, symbolic links, encrypted or unknown
// entries and zip bombs are refused before anything is inflated).
import { deflateSync, Inflate } from 'fflate';
import type { ExportFile } from './types.ts';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const FLAG_UTF8 = 0x0800;
const FLAG_ENCRYPTED = 0x0001;
// 1980-01-01 00:00:00, the earliest MS-DOS timestamp: what reproducible-build tools use.
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const DOS_TIME = 0;
// "made by" UNIX, zip 2.0, so extractors apply the permission bits below (regular file, rw-r--r--).
const VERSION_MADE_BY = (3 << 8) | 20;
const VERSION_NEEDED = 20;
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;
const MAX_ZIP32 = 0xffffffff;

// Slicing-by-8 tables: eight bytes per step, several times faster than the byte-wise loop on
// the hundreds of megabytes of weights an export checksums.
let crcTables: Uint32Array | undefined;

function tables(): Uint32Array {
  if (crcTables) return crcTables;
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++)
      t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 0xff]!;
  }
  crcTables = t;
  return t;
}

export function crc32(bytes: Uint8Array, seed = 0): number {
  const t = tables();
  let crc = ~seed >>> 0;
  let i = 0;
  const end8 = bytes.length - (bytes.length % 8);
  for (; i < end8; i += 8) {
    const lo =
      (crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    crc =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + bytes[i + 4]!]! ^
      t[2 * 256 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < bytes.length; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** Raw float weights barely compress; storing them keeps exports of large models fast. */
export function storesUncompressed(path: string): boolean {
  return /\.(safetensors|onnx|bin|onnx_data)$/i.test(path);
}

export function checkEntryName(path: string): void {
  if (
    path.length === 0 ||
    path.startsWith('/') ||
    path.includes('\\') ||
    path.includes('\0') ||
    /^[A-Za-z]:/.test(path) ||
    path.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')
  ) {
    throw new Error(`zip entry "${path}" is not a safe relative path`);
  }
}

/**
 * Writes the files as zip chunks (concatenate them, or hand them to a Blob) in path order.
 * Text is deflated at level 9; weights are stored.
 */
export function zipChunks(files: readonly ExportFile[]): Uint8Array[] {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const encoder = new TextEncoder();
  for (let i = 0; i < sorted.length; i++) {
    const file = sorted[i] as ExportFile;
    checkEntryName(file.path);
    if (i > 0 && sorted[i - 1]?.path === file.path) throw new Error(`zip: "${file.path}" is listed twice`);
    const name = encoder.encode(file.path);
    const store = storesUncompressed(file.path);
    const data = store ? file.bytes : deflateSync(file.bytes, { level: 9 });
    const crc = crc32(file.bytes);
    if (file.bytes.byteLength > MAX_ZIP32 || offset > MAX_ZIP32) {
      throw new Error('zip: the export is larger than 4 GiB, which needs ZIP64 (not supported)');
    }
    const method = store ? 0 : 8;
    const local = new Uint8Array(30 + name.byteLength);
    const l = new DataView(local.buffer);
    l.setUint32(0, LOCAL_HEADER, true);
    l.setUint16(4, VERSION_NEEDED, true);
    l.setUint16(6, FLAG_UTF8, true);
    l.setUint16(8, method, true);
    l.setUint16(10, DOS_TIME, true);
    l.setUint16(12, DOS_DATE, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, data.byteLength, true);
    l.setUint32(22, file.bytes.byteLength, true);
    l.setUint16(26, name.byteLength, true);
    l.setUint16(28, 0, true);
    local.set(name, 30);

    const entry = new Uint8Array(46 + name.byteLength);
    const c = new DataView(entry.buffer);
    c.setUint32(0, CENTRAL_HEADER, true);
    c.setUint16(4, VERSION_MADE_BY, true);
    c.setUint16(6, VERSION_NEEDED, true);
    c.setUint16(8, FLAG_UTF8, true);
    c.setUint16(10, method, true);
    c.setUint16(12, DOS_TIME, true);
    c.setUint16(14, DOS_DATE, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, data.byteLength, true);
    c.setUint32(24, file.bytes.byteLength, true);
    c.setUint16(28, name.byteLength, true);
    c.setUint32(38, EXTERNAL_ATTRIBUTES, true);
    c.setUint32(42, offset, true);
    entry.set(name, 46);

    chunks.push(local, data);
    central.push(entry);
    offset += local.byteLength + data.byteLength;
  }
  const centralSize = central.reduce((sum, e) => sum + e.byteLength, 0);
  if (offset + centralSize > MAX_ZIP32 || sorted.length > 0xffff) {
    throw new Error(
      'zip: the export is larger than 4 GiB or 65,535 files, which needs ZIP64 (not supported)',
    );
  }
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, END_OF_CENTRAL_DIRECTORY, true);
  e.setUint16(8, sorted.length, true);
  e.setUint16(10, sorted.length, true);
  e.setUint32(12, centralSize, true);
  e.setUint32(16, offset, true);
  return [...chunks, ...central, end];
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function zipFiles(files: readonly ExportFile[]): Uint8Array {
  return concatBytes(zipChunks(files));
}

export interface UnzipLimits {
  /** Most bytes all entries may inflate to together (default 4 GiB). */
  maxTotalBytes: number;
  /** Most entries (default 10,000). */
  maxEntries: number;
  /** Largest inflated/compressed ratio of an entry larger than `ratioFloorBytes` (default 200). */
  maxRatio: number;
  /** Entries at most this large are exempt from the ratio check (default 1 MiB). */
  ratioFloorBytes: number;
}

export const DEFAULT_UNZIP_LIMITS: UnzipLimits = {
  maxTotalBytes: 4 * 1024 ** 3,
  maxEntries: 10_000,
  maxRatio: 200,
  ratioFloorBytes: 1024 * 1024,
};

export interface CentralEntry {
  path: string;
  /** A symbolic link, as a UNIX zip tool marks one (its target is the entry's data). */
  symlink: boolean;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function readCentralDirectory(bytes: Uint8Array, limits: UnzipLimits): CentralEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let at = bytes.byteLength - 22; at >= Math.max(0, bytes.byteLength - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip file (no end-of-central-directory record)');
  if (end >= 20 && view.getUint32(end - 20, true) === ZIP64_LOCATOR) {
    throw new Error('ZIP64 archives are not supported');
  }
  const count = view.getUint16(end + 10, true);
  const centralSize = view.getUint32(end + 12, true);
  const centralOffset = view.getUint32(end + 16, true);
  if (count > limits.maxEntries)
    throw new Error(`zip holds ${count} entries, more than the ${limits.maxEntries} allowed`);
  if (centralOffset + centralSize > end) throw new Error('zip central directory lies outside the file');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const entries: CentralEntry[] = [];
  let at = centralOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL_HEADER) {
      throw new Error('zip central directory is damaged');
    }
    const flags = view.getUint16(at + 8, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    if (at + 46 + nameLength > end) throw new Error('zip central directory is damaged');
    const rawName = bytes.subarray(at + 46, at + 46 + nameLength);
    let path: string;
    try {
      path = decoder.decode(rawName);
    } catch {
      path = Array.from(rawName, (b) => String.fromCharCode(b)).join('');
    }
    const madeOnUnix = view.getUint8(at + 5) === 3;
    const mode = view.getUint32(at + 38, true) >>> 16;
    entries.push({
      path,
      symlink: madeOnUnix && (mode & 0o170000) === 0o120000,
      flags,
      method: view.getUint16(at + 10, true),
      crc: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localOffset: view.getUint32(at + 42, true),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function inflateCapped(compressed: Uint8Array, size: number, path: string): Uint8Array {
  const out = new Uint8Array(size);
  let written = 0;
  let finished = false;
  const inflater = new Inflate((chunk, final) => {
    if (written + chunk.byteLength > size)
      throw new Error(`zip entry "${path}" inflates beyond its declared size`);
    out.set(chunk, written);
    written += chunk.byteLength;
    if (final) finished = true;
  });
  const step = 64 * 1024;
  for (let offset = 0; offset < compressed.byteLength; offset += step) {
    const end = Math.min(offset + step, compressed.byteLength);
    inflater.push(compressed.subarray(offset, end), end === compressed.byteLength);
  }
  if (!finished || written !== size) throw new Error(`zip entry "${path}" is truncated or damaged`);
  return out;
}

/**
 * Reads an untrusted zip into its files (directories dropped). When every entry sits under one
 * top-level folder (a zipped folder), that folder is removed from the paths.
 */
export function unzipFolder(bytes: Uint8Array, limits: Partial<UnzipLimits> = {}): Map<string, Uint8Array> {
  const caps = { ...DEFAULT_UNZIP_LIMITS, ...limits };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = readCentralDirectory(bytes, caps).filter((e) => !(e.path.endsWith('/') && e.size === 0));
  let total = 0;
  const seen = new Set<string>();
  for (const entry of entries) {
    checkEntryName(entry.path);
    if (seen.has(entry.path)) throw new Error(`zip lists "${entry.path}" twice`);
    seen.add(entry.path);
    if (entry.symlink)
      throw new Error(`zip entry "${entry.path}" is a symbolic link, which a model folder never needs`);
    if (entry.flags & FLAG_ENCRYPTED) throw new Error(`zip entry "${entry.path}" is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) {
      throw new Error(
        `zip entry "${entry.path}" uses compression method ${entry.method} (only stored and deflate)`,
      );
    }
    if (entry.method === 0 && entry.size !== entry.compressedSize) {
      throw new Error(`zip entry "${entry.path}" is stored but its sizes differ`);
    }
    if (entry.size > caps.ratioFloorBytes && entry.size > caps.maxRatio * Math.max(entry.compressedSize, 1)) {
      throw new Error(
        `zip entry "${entry.path}" would inflate ${Math.round(entry.size / Math.max(entry.compressedSize, 1))}x, more than the ${caps.maxRatio}x allowed`,
      );
    }
    total += entry.size;
    if (total > caps.maxTotalBytes) {
      throw new Error(`zip would inflate to more than ${caps.maxTotalBytes} bytes, the most allowed`);
    }
  }
  const files = new Map<string, Uint8Array>();
  for (const entry of entries) {
    const at = entry.localOffset;
    if (at + 30 > bytes.byteLength || view.getUint32(at, true) !== LOCAL_HEADER) {
      throw new Error(`zip entry "${entry.path}" has no valid local header`);
    }
    const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
    if (start + entry.compressedSize > bytes.byteLength)
      throw new Error(`zip entry "${entry.path}" runs past the end of the file`);
    const compressed = bytes.subarray(start, start + entry.compressedSize);
    const data = entry.method === 0 ? compressed.slice() : inflateCapped(compressed, entry.size, entry.path);
    if (crc32(data) !== entry.crc) throw new Error(`zip entry "${entry.path}" fails its checksum`);
    files.set(entry.path, data);
  }
  return stripSingleTopFolder(files);
}

/** The entries a zip's central directory lists, in its order, without reading their data. */
export function zipEntries(bytes: Uint8Array): CentralEntry[] {
  return readCentralDirectory(bytes, DEFAULT_UNZIP_LIMITS);
}

function stripSingleTopFolder(files: Map<string, Uint8Array>): Map<string, Uint8Array> {
  const paths = [...files.keys()];
  const first = paths[0]?.split('/')[0];
  if (first === undefined || !paths.every((p) => p.includes('/') && p.split('/')[0] === first)) return files;
  return new Map(paths.map((p) => [p.slice(first.length + 1), files.get(p) as Uint8Array]));
}
