// Test support (Node only): reads the fixtures' reference tensors, including the int64 inputs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../model/safetensors.ts';

export interface RawTensor {
  dtype: string;
  shape: number[];
  values: number[];
}

export function readReferenceTensors(file: string): Map<string, RawTensor> {
  return new Map(
    readSafetensors(readFileSync(file), file).map((t) => [
      t.name,
      { dtype: t.dtype, shape: t.shape, values: Array.from(t.data) },
    ]),
  );
}

export function referenceTensor(dir: string, name: string): RawTensor {
  const tensor = readReferenceTensors(join(dir, 'reference.safetensors')).get(name);
  if (!tensor) throw new Error(`reference.safetensors in ${dir} has no "${name}"`);
  return tensor;
}
