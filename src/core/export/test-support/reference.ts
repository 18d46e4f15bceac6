// Test support (Node only): reads the fixtures' reference tensors, including the int64 inputs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RawTensor {
  dtype: string;
  shape: number[];
  values: number[];
}

export function readReferenceTensors(file: string): Map<string, RawTensor> {
  const bytes = readFileSync(file);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const start = 8 + headerLength;
  const out = new Map<string, RawTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    const values: number[] = [];
    for (let at = start + begin; at < start + end;) {
      switch (entry.dtype) {
        case 'F32':
          values.push(view.getFloat32(at, true));
          at += 4;
          break;
        case 'F64':
          values.push(view.getFloat64(at, true));
          at += 8;
          break;
        case 'I64':
          values.push(Number(view.getBigInt64(at, true)));
          at += 8;
          break;
        default:
          throw new Error(`reference tensor ${name}: unexpected dtype ${entry.dtype}`);
      }
    }
    out.set(name, { dtype: entry.dtype, shape: entry.shape, values });
  }
  return out;
}

export function referenceTensor(dir: string, name: string): RawTensor {
  const tensor = readReferenceTensors(join(dir, 'reference.safetensors')).get(name);
  if (!tensor) throw new Error(`reference.safetensors in ${dir} has no "${name}"`);
  return tensor;
}
