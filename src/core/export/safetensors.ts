// The trained weights of a run folder or an exported zip, read back through the model layer's
// safetensors reader. Only the float types a checkpoint stores weights in are accepted: every
// weight comes back as float32 for the export to write again.
import { decodeTensors, readSafetensorsHeader, SafetensorsError } from '../model/index.ts';
import type { NamedTensor } from './types.ts';

const WEIGHT_DTYPES = new Set(['F32', 'F16', 'BF16']);

/** Reads F32, F16 and BF16 tensors (converted to float32), validating the header against the file. */
export function decodeSafetensors(bytes: Uint8Array, what = 'model.safetensors'): NamedTensor[] {
  const header = readSafetensorsHeader(bytes, what);
  for (const info of header.tensors) {
    if (!WEIGHT_DTYPES.has(info.dtype)) {
      throw new SafetensorsError(
        `${what}: "${info.name}" has unsupported dtype ${info.dtype} (weights must be F32, F16 or BF16)`,
      );
    }
  }
  return decodeTensors(bytes, header).map(({ name, shape, data }) => ({
    name,
    shape,
    data: data as Float32Array,
  }));
}
