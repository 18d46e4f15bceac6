// Safetensors (https://github.com/huggingface/safetensors) reader and writer.
//
// Layout: u64 little-endian header length N, N bytes of JSON
// `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }`, then the
// tensor bytes, offsets relative to the end of the header. Files come from the network or from the
// user, so everything in the header is checked against the file before a byte is trusted, and reads
// are streamed: a 260 MB checkpoint is decoded tensor by tensor, never held twice.

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

const FLOAT_DTYPES = new Set<SafetensorsDtype>(['F64', 'F32', 'F16', 'BF16']);

/** The largest header accepted: real headers are kilobytes; this bounds what a hostile file can make us parse. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Offset of the first byte, relative to the start of the data section. */
  begin: number;
  /** Offset one past the last byte, relative to the start of the data section. */
  end: number;
}

export interface SafetensorsHeader {
  /** Tensors in file order (ascending offsets). */
  tensors: TensorInfo[];
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
  /** Total file length the header implies. */
  fileLength: number;
}

/** A decoded tensor: floating-point dtypes as float32, integer and bool dtypes as int32. */
export interface DecodedTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface TensorToWrite {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

function fail(what: string, reason: string): never {
  throw new SafetensorsError(`${what} is not a valid safetensors file: ${reason}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_BYTES, value);
}

/** Reads the u64 header length; `what` names the file in error messages. */
export function readHeaderLength(
  prefix: Uint8Array,
  what = 'file',
  maxHeaderBytes = MAX_HEADER_BYTES,
): number {
  if (prefix.byteLength < 8)
    fail(what, `it is ${prefix.byteLength} bytes long, shorter than the 8-byte prefix`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const length = high * 2 ** 32 + low;
  if (length > maxHeaderBytes) {
    fail(
      what,
      `header of ${length} bytes exceeds the ${maxHeaderBytes}-byte limit (corrupt or not safetensors)`,
    );
  }
  if (length < 2) fail(what, `header length ${length} is too small`);
  return length;
}

/**
 * Parses and validates a header. `headerBytes` is the JSON (without the 8-byte prefix);
 * `fileLength`, when known, must equal the length the header implies.
 */
export function parseHeader(headerBytes: Uint8Array, what = 'file', fileLength?: number): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (error) {
    fail(what, `header is not valid UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isRecord(json)) fail(what, 'header is not a JSON object');
  const dataStart = 8 + headerBytes.byteLength;
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isRecord(entry)) fail(what, '__metadata__ must be an object of strings');
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') fail(what, `__metadata__.${key} must be a string`);
        metadata[key] = value;
      }
      continue;
    }
    if (!isRecord(entry)) fail(what, `entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (!isDtype(dtype)) fail(what, `tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(what, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    ) {
      fail(what, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const dims = shape as number[];
    const elements = dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(elements * DTYPE_BYTES[dtype]) || end < begin) {
      fail(what, `tensor "${name}" has data_offsets [${begin}, ${end}] that do not fit its shape`);
    }
    if (end - begin !== elements * DTYPE_BYTES[dtype]) {
      fail(
        what,
        `tensor "${name}" (${dtype} [${dims.join(', ')}]) needs ${elements * DTYPE_BYTES[dtype]} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
      );
    }
    tensors.push({ name, dtype, shape: dims, begin, end });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  // The format requires the data section to be covered exactly, without holes or overlaps.
  let expected = 0;
  for (const tensor of tensors) {
    if (tensor.begin !== expected) {
      fail(
        what,
        tensor.begin < expected
          ? `tensor "${tensor.name}" overlaps the previous tensor (offset ${tensor.begin} < ${expected})`
          : `gap in the data section before tensor "${tensor.name}" (offset ${tensor.begin}, expected ${expected})`,
      );
    }
    expected = tensor.end;
  }
  const impliedLength = dataStart + expected;
  if (fileLength !== undefined && fileLength !== impliedLength) {
    fail(
      what,
      fileLength < impliedLength
        ? `it is truncated: ${fileLength} bytes, but its tensors end at byte ${impliedLength}`
        : `it has ${fileLength - impliedLength} unexpected bytes after the last tensor`,
    );
  }
  return { tensors, metadata, dataStart, fileLength: impliedLength };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

let halfTable: Float32Array | undefined;

/** IEEE half → float32 for every bit pattern, computed once (256 KB). */
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** Converts raw little-endian tensor bytes to float32 (float dtypes) or int32 (integer dtypes). */
export function decodeTensorBytes(info: TensorInfo, bytes: Uint8Array): Float32Array | Int32Array {
  const count = bytes.byteLength / DTYPE_BYTES[info.dtype];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (info.dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    case 'F16': {
      const table = halfLookup();
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(2 * i, true)]!;
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const out = new Float32Array(count);
      const outBits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) outBits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const value = view.getBigInt64(8 * i, true);
        if (value > 2147483647n || value < -2147483648n) {
          throw new SafetensorsError(`tensor "${info.name}" holds ${value}, outside the int32 range`);
        }
        out[i] = Number(value);
      }
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case 'I16': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
      return out;
    }
    case 'I8':
      return Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, count));
    case 'U8':
    case 'BOOL':
      return Int32Array.from(bytes);
  }
}

/** The validated header of a safetensors file held in memory, checked against the file's length. */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  what = 'file',
  maxHeaderBytes = MAX_HEADER_BYTES,
): SafetensorsHeader {
  const headerLength = readHeaderLength(bytes, what, maxHeaderBytes);
  if (bytes.byteLength < 8 + headerLength) {
    fail(what, `it is truncated: ${bytes.byteLength} bytes, but the header alone needs ${8 + headerLength}`);
  }
  return parseHeader(bytes.subarray(8, 8 + headerLength), what, bytes.byteLength);
}

/** Decodes the tensors of an in-memory file whose header `readSafetensorsHeader` returned. */
export function decodeTensors(bytes: Uint8Array, header: SafetensorsHeader): DecodedTensor[] {
  return header.tensors.map((info) => ({
    name: info.name,
    dtype: info.dtype,
    shape: info.shape,
    data: decodeTensorBytes(info, bytes.subarray(header.dataStart + info.begin, header.dataStart + info.end)),
  }));
}

/** Decodes a whole safetensors file held in memory (small files and tests). */
export function readSafetensors(
  bytes: Uint8Array,
  what = 'file',
  maxHeaderBytes = MAX_HEADER_BYTES,
): DecodedTensor[] {
  return decodeTensors(bytes, readSafetensorsHeader(bytes, what, maxHeaderBytes));
}

/** Pulls exact byte counts out of a stream of arbitrarily sized chunks, copying each byte once. */
class StreamCursor {
  private chunk: Uint8Array = new Uint8Array(0);
  private offset = 0;
  /** Bytes consumed so far. */
  position = 0;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly what: string,
  ) {}

  /** Fills `target` completely; fails with a "truncated" message when the stream ends first. */
  async readInto(target: Uint8Array, onBytes?: (count: number) => void): Promise<void> {
    let filled = 0;
    while (filled < target.byteLength) {
      if (this.offset >= this.chunk.byteLength) {
        const { done, value } = await this.reader.read();
        if (done) {
          fail(this.what, `it is truncated: the stream ended at byte ${this.position}`);
        }
        this.chunk = value;
        this.offset = 0;
        continue;
      }
      const count = Math.min(target.byteLength - filled, this.chunk.byteLength - this.offset);
      target.set(this.chunk.subarray(this.offset, this.offset + count), filled);
      this.offset += count;
      filled += count;
      this.position += count;
      onBytes?.(count);
    }
  }

  async expectEnd(): Promise<void> {
    while (this.offset >= this.chunk.byteLength) {
      const { done, value } = await this.reader.read();
      if (done) return;
      this.chunk = value;
      this.offset = 0;
    }
    fail(this.what, `it has unexpected bytes after the last tensor (at byte ${this.position})`);
  }
}

export type SafetensorsSource = ReadableStream<Uint8Array> | Response | Blob;

export interface StreamReadOptions {
  /** Names the file in error messages. */
  what?: string;
  /** Known length of the file (Content-Length, Blob size); checked against the header. */
  fileLength?: number;
  maxHeaderBytes?: number;
  /** Called once the header is parsed, before any tensor data is read; may throw to refuse the file. */
  onHeader?(header: SafetensorsHeader): void;
  /** Return false to skip a tensor (its bytes are still read, then dropped). */
  include?(info: TensorInfo): boolean;
  /** Bytes consumed so far (header included) and the file's total. */
  onProgress?(loadedBytes: number, totalBytes: number): void;
  /**
   * Receives each decoded tensor as soon as its bytes are in; when given, tensors are not
   * collected, so the caller can move them elsewhere (e.g. to the GPU) and let them be freed.
   */
  onTensor?(tensor: DecodedTensor): void;
}

function toStream(
  source: SafetensorsSource,
  what: string,
): { stream: ReadableStream<Uint8Array>; length?: number } {
  if (typeof Blob !== 'undefined' && source instanceof Blob)
    return { stream: source.stream(), length: source.size };
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.body) fail(what, 'the response has no body');
    const header = source.headers.get('content-length');
    const encoded = source.headers.get('content-encoding');
    const length = header !== null && !encoded ? Number(header) : NaN;
    return Number.isSafeInteger(length) ? { stream: source.body, length } : { stream: source.body };
  }
  return { stream: source as ReadableStream<Uint8Array> };
}

/**
 * Streams a safetensors file: reads the header first, then each tensor's bytes straight into its
 * own buffer, so peak memory is the decoded tensors plus one tensor's raw bytes.
 */
export async function readSafetensorsStream(
  source: SafetensorsSource,
  options: StreamReadOptions = {},
): Promise<{ header: SafetensorsHeader; tensors: DecodedTensor[] }> {
  const what = options.what ?? 'file';
  const { stream, length } = toStream(source, what);
  const fileLength = options.fileLength ?? length;
  const reader = stream.getReader();
  const cursor = new StreamCursor(reader, what);
  try {
    const prefix = new Uint8Array(8);
    await cursor.readInto(prefix);
    const headerLength = readHeaderLength(prefix, what, options.maxHeaderBytes ?? MAX_HEADER_BYTES);
    if (fileLength !== undefined && fileLength < 8 + headerLength) {
      fail(what, `it is truncated: ${fileLength} bytes, but the header alone needs ${8 + headerLength}`);
    }
    const headerBytes = new Uint8Array(headerLength);
    await cursor.readInto(headerBytes);
    const header = parseHeader(headerBytes, what, fileLength);
    options.onHeader?.(header);
    let loaded = cursor.position;
    const report = options.onProgress
      ? (count: number) => {
          loaded += count;
          options.onProgress!(loaded, header.fileLength);
        }
      : undefined;
    options.onProgress?.(loaded, header.fileLength);
    const tensors: DecodedTensor[] = [];
    const deliver = options.onTensor ?? ((tensor: DecodedTensor) => void tensors.push(tensor));
    for (const info of header.tensors) {
      const byteLength = info.end - info.begin;
      const keep = options.include ? options.include(info) : true;
      if (info.dtype === 'F32' && keep) {
        // Read straight into the float32 array: no intermediate copy for the common case.
        const data = new Float32Array(byteLength / 4);
        await cursor.readInto(new Uint8Array(data.buffer), report);
        deliver({ name: info.name, dtype: info.dtype, shape: info.shape, data });
        continue;
      }
      const raw = new Uint8Array(byteLength);
      await cursor.readInto(raw, report);
      if (keep)
        deliver({
          name: info.name,
          dtype: info.dtype,
          shape: info.shape,
          data: decodeTensorBytes(info, raw),
        });
    }
    await cursor.expectEnd();
    return { header, tensors };
  } finally {
    await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

export interface SafetensorsLayout {
  /** The 8-byte length and the padded JSON header. */
  prefix: Uint8Array;
  /** Where each tensor's bytes go in the file, in file order. */
  entries: { name: string; shape: number[]; offset: number; byteLength: number }[];
  byteLength: number;
}

/**
 * Lays out float32 tensors the way Hugging Face's safetensors does: sorted by name, contiguous
 * offsets, `__metadata__` first (`{ format: 'pt' }` unless given), and the JSON header padded with
 * spaces to a multiple of 8 bytes so the data section is aligned.
 */
export function safetensorsLayout(
  tensors: readonly { name: string; shape: readonly number[] }[],
  metadata: Record<string, string> = { format: 'pt' },
): SafetensorsLayout {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // No prototype, so a tensor named "__proto__" is an ordinary key.
  const header = Object.create(null) as Record<string, unknown>;
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const placed: { name: string; shape: number[]; offset: number; byteLength: number }[] = [];
  for (const tensor of sorted) {
    if (tensor.name === '__metadata__' || Object.hasOwn(header, tensor.name)) {
      throw new SafetensorsError(`cannot write tensor name "${tensor.name}" twice or as a reserved key`);
    }
    const byteLength = tensor.shape.reduce((a, b) => a * b, 1) * 4;
    header[tensor.name] = {
      dtype: 'F32',
      shape: [...tensor.shape],
      data_offsets: [offset, offset + byteLength],
    };
    placed.push({ name: tensor.name, shape: [...tensor.shape], offset, byteLength });
    offset += byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const prefix = new Uint8Array(8 + padded).fill(0x20);
  const view = new DataView(prefix.buffer);
  view.setUint32(0, padded % 2 ** 32, true);
  view.setUint32(4, Math.floor(padded / 2 ** 32), true);
  prefix.set(json, 8);
  for (const entry of placed) entry.offset += prefix.byteLength;
  return { prefix, entries: placed, byteLength: prefix.byteLength + offset };
}

/** Serializes float32 tensors into one safetensors file (see safetensorsLayout for the format). */
export function writeSafetensors(
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): Uint8Array<ArrayBuffer> {
  const layout = safetensorsLayout(tensors, metadata);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const out = new Uint8Array(layout.byteLength);
  out.set(layout.prefix, 0);
  for (const entry of layout.entries) {
    const data = byName.get(entry.name)!.data;
    if (data.byteLength !== entry.byteLength) {
      throw new SafetensorsError(
        `tensor "${entry.name}": shape [${entry.shape.join(', ')}] holds ${entry.byteLength / 4} values but data has ${data.length}`,
      );
    }
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), entry.offset);
  }
  return out;
}

export function isFloatDtype(dtype: SafetensorsDtype): boolean {
  return FLOAT_DTYPES.has(dtype);
}

/** `model.safetensors.index.json`: which shard file holds each tensor. */
export interface ShardIndex {
  weightMap: Record<string, string>;
  /** Shard files in first-appearance order. */
  files: string[];
  totalSize?: number;
}

export function parseShardIndex(json: unknown, what = 'model.safetensors.index.json'): ShardIndex {
  if (!isRecord(json) || !isRecord(json.weight_map)) {
    throw new SafetensorsError(`${what} has no "weight_map" object`);
  }
  const weightMap: Record<string, string> = {};
  const files: string[] = [];
  for (const [name, file] of Object.entries(json.weight_map)) {
    if (typeof file !== 'string' || !/^[\w.-]+\.safetensors$/.test(file) || file.startsWith('.')) {
      throw new SafetensorsError(
        `${what}: "${name}" points to ${JSON.stringify(file)}, not a .safetensors file name`,
      );
    }
    weightMap[name] = file;
    if (!files.includes(file)) files.push(file);
  }
  const metadata = isRecord(json.metadata) ? json.metadata : {};
  const totalSize = typeof metadata.total_size === 'number' ? metadata.total_size : undefined;
  return totalSize === undefined ? { weightMap, files } : { weightMap, files, totalSize };
}
