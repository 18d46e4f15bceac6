// The exact parameter set of DistilBertForSequenceClassification under Hugging Face names (the
// model layer's table), so that every export writes the same tensors whatever naming the trained
// model used.
import { canonicalName, parameterShapes } from '../model/weights.ts';
import type { DistilBertShape } from './onnx/distilbert-onnx.ts';
import type { NamedTensor } from './types.ts';

/**
 * Returns the classifier's tensors under their canonical names (encoder weights prefixed with
 * `distilbert.`), checking every shape; tensors of other heads (e.g. the MLM head) are listed
 * in `dropped`.
 */
export function canonicalizeWeights(
  weights: readonly NamedTensor[],
  shape: DistilBertShape,
): { weights: NamedTensor[]; dropped: string[] } {
  const expected = parameterShapes(shape);
  const known = new Set(expected.keys());
  const found = new Map<string, NamedTensor>();
  const dropped: string[] = [];
  for (const weight of weights) {
    const name = canonicalName(weight.name, known);
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
