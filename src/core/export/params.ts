// The trained model's variables as plain float32 tensors, read one at a time so a large model
// never holds two GPU-to-CPU copies of every weight at once.
import { mergedParams, type ReadableParam } from '../model/index.ts';
import type { NamedTensor } from './types.ts';

export type { ReadableParam };

/**
 * The parameters under their Hugging Face names, sorted; a word-embedding table held in row chunks
 * on the GPU (model/row-chunks.ts) is written whole.
 */
export async function namedTensorsFromParams(
  params: Readonly<Record<string, ReadableParam>>,
): Promise<NamedTensor[]> {
  const out: NamedTensor[] = [];
  const tensors = mergedParams(params).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const tensor of tensors)
    out.push({ name: tensor.name, shape: tensor.shape, data: await tensor.read() });
  return out;
}
