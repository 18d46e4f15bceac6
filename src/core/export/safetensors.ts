// Safetensors bytes for the export (float32, sorted names, fixed header layout, so the same
// weights always give the same file) and a strict reader for files coming back in.
import type { NamedTensor } from './types.ts';

const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** float32 safetensors with `{"format": "pt"}` metadata, which transformers requires. */
export function encodeSafetensors(tensors: readonly NamedTensor[]): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  const seen = new Set<string>();
  for (const tensor of sorted) {
    if (seen.has(tensor.name)) throw new Error(`weights: "${tensor.name}" appears twice`);
    seen.add(tensor.name);
    const size = tensor.shape.reduce((a, b) => a * b, 1);
    if (size !== tensor.data.length) {
      throw new Error(
        `weights: "${tensor.name}" has ${tensor.data.length} values for shape [${tensor.shape.join(', ')}]`,
      );
    }
    header[tensor.name] = {
      dtype: 'F32',
      shape: [...tensor.shape],
      data_offsets: [offset, offset + size * 4],
    };
    offset += size * 4;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces so the data starts 8-byte aligned, as the reference implementation does.
  const padded = Math.ceil(headerBytes.byteLength / 8) * 8;
  if (padded !== headerBytes.byteLength) {
    const withPadding = new Uint8Array(padded).fill(0x20);
    withPadding.set(headerBytes);
    headerBytes = withPadding;
  }
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const tensor of sorted) {
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), position);
    position += tensor.data.byteLength;
  }
  return out;
}

function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Reads F32, F16 and BF16 tensors (converted to float32), validating the header against the file. */
export function decodeSafetensors(bytes: Uint8Array): NamedTensor[] {
  const fail = (why: string): never => {
    throw new Error(`model.safetensors: ${why}`);
  };
  if (bytes.byteLength < 8) fail('file is too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.byteLength)
    fail('header size is out of range');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
      string,
      unknown
    >;
  } catch {
    return fail('header is not valid JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    return fail('header is not an object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const tensors: NamedTensor[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as Record<string, unknown>;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(`"${name}" has an invalid shape`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d))) {
      fail(`"${name}" has invalid data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const dims = shape as number[];
    const count = dims.reduce((a, b) => a * b, 1);
    const width =
      dtype === 'F32'
        ? 4
        : dtype === 'F16' || dtype === 'BF16'
          ? 2
          : fail(`"${name}" has unsupported dtype ${String(dtype)}`);
    if (begin < 0 || end < begin || end > dataLength || end - begin !== count * width) {
      fail(`"${name}" data_offsets [${begin}, ${end}] do not match its shape or the file size`);
    }
    const data = new Float32Array(count);
    const at = dataStart + begin;
    if (dtype === 'F32') {
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + i * 4, true);
    } else if (dtype === 'F16') {
      for (let i = 0; i < count; i++) data[i] = f16ToF32(view.getUint16(at + i * 2, true));
    } else {
      const scratch = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        scratch.setUint32(0, view.getUint16(at + i * 2, true) << 16, true);
        data[i] = scratch.getFloat32(0, true);
      }
    }
    tensors.push({ name, shape: dims, data });
  }
  return tensors;
}
