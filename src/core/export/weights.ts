// The exact parameter set of DistilBertForSequenceClassification under Hugging Face names, so that
// every export writes the same tensors whatever naming the trained model used.
import type { DistilBertShape } from './onnx/distilbert-onnx.ts';
import type { NamedTensor } from './types.ts';

export function expectedWeightShapes(s: DistilBertShape): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  const add = (name: string, shape: number[]): void => void shapes.set(name, shape);
  add('distilbert.embeddings.word_embeddings.weight', [s.vocabSize, s.dim]);
  add('distilbert.embeddings.position_embeddings.weight', [s.maxPositions, s.dim]);
  add('distilbert.embeddings.LayerNorm.weight', [s.dim]);
  add('distilbert.embeddings.LayerNorm.bias', [s.dim]);
  for (let i = 0; i < s.nLayers; i++) {
    const p = `distilbert.transformer.layer.${i}`;
    for (const lin of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) {
      add(`${p}.attention.${lin}.weight`, [s.dim, s.dim]);
      add(`${p}.attention.${lin}.bias`, [s.dim]);
    }
    for (const norm of ['sa_layer_norm', 'output_layer_norm']) {
      add(`${p}.${norm}.weight`, [s.dim]);
      add(`${p}.${norm}.bias`, [s.dim]);
    }
    add(`${p}.ffn.lin1.weight`, [s.hiddenDim, s.dim]);
    add(`${p}.ffn.lin1.bias`, [s.hiddenDim]);
    add(`${p}.ffn.lin2.weight`, [s.dim, s.hiddenDim]);
    add(`${p}.ffn.lin2.bias`, [s.dim]);
  }
  add('pre_classifier.weight', [s.dim, s.dim]);
  add('pre_classifier.bias', [s.dim]);
  add('classifier.weight', [s.numLabels, s.dim]);
  add('classifier.bias', [s.numLabels]);
  return shapes;
}

function canonicalName(name: string): string {
  return name.startsWith('embeddings.') || name.startsWith('transformer.') ? `distilbert.${name}` : name;
}

/**
 * Returns the classifier's tensors under their canonical names (encoder weights prefixed with
 * `distilbert.`), checking every shape; tensors of other heads (e.g. the MLM head) are listed
 * in `dropped`.
 */
export function canonicalizeWeights(
  weights: readonly NamedTensor[],
  shape: DistilBertShape,
): { weights: NamedTensor[]; dropped: string[] } {
  const expected = expectedWeightShapes(shape);
  const found = new Map<string, NamedTensor>();
  const dropped: string[] = [];
  for (const weight of weights) {
    const name = canonicalName(weight.name);
    if (!expected.has(name)) {
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
