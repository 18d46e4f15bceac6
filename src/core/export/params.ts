// The trained model's variables as plain float32 tensors, read one at a time so a large model
// never holds two GPU-to-CPU copies of every weight at once.
import type { NamedTensor } from './types.ts';

/** The part of a tfjs Variable the export reads (structural, so this module needs no tfjs). */
export interface ReadableParam {
  shape: number[];
  data(): Promise<ArrayLike<number> | Float32Array>;
}

export async function namedTensorsFromParams(
  params: Readonly<Record<string, ReadableParam>>,
): Promise<NamedTensor[]> {
  const out: NamedTensor[] = [];
  for (const name of Object.keys(params).sort()) {
    const param = params[name] as ReadableParam;
    const values = await param.data();
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    out.push({ name, shape: [...param.shape], data });
  }
  return out;
}
