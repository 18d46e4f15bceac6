// The exact parameter set of the model's *ForSequenceClassification under Hugging Face names (the
// model layer's table for its family), so that every export writes the same tensors whatever
// naming the trained model used.
import { parseConfig, canonicalName, parameterShapes } from '../model/index.ts';
import type { NamedTensor } from './types.ts';

/**
 * Returns the classifier's tensors under their canonical names (encoder weights prefixed, e.g.
 * `distilbert.`), checking every shape against `config` (the exported config.json); tensors of
 * other heads (e.g. the MLM head) are listed in `dropped`.
 */
export function canonicalizeWeights(
  weights: readonly NamedTensor[],
  configJson: Record<string, unknown>,
): { weights: NamedTensor[]; dropped: string[] } {
  const config = parseConfig(configJson);
  const expected = parameterShapes(config);
  const known = new Set(expected.keys());
  const found = new Map<string, NamedTensor>();
  const dropped: string[] = [];
  for (const weight of weights) {
    const name = canonicalName(config, weight.name, known);
    if (name === null) {
      dropped.push(weight.name);
      continue;
    }
    if (found.has(name)) throw new Error(`weights: "${name}" is given twice`);
    found.set(name, weight);
  }
  const out: NamedTensor[] = [];
  for (const [name, dims] of expected) {
    const weight = found.get(name);
    if (!weight) throw new Error(`weights: "${name}" is missing`);
    const size = dims.reduce((a, b) => a * b, 1);
    if (
      weight.shape.length !== dims.length ||
      weight.shape.some((d, i) => d !== dims[i]) ||
      weight.data.length !== size
    ) {
      throw new Error(
        `weights: "${name}" has shape [${weight.shape.join(', ')}], expected [${dims.join(', ')}]`,
      );
    }
    out.push({ name, shape: dims, data: weight.data });
  }
  return { weights: out, dropped };
}
