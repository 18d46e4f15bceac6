// Parameter names and shapes of DistilBertForSequenceClassification, and the mapping from the
// names a checkpoint uses to them. Canonical names are exactly the Hugging Face state_dict keys,
// so a checkpoint we write loads in transformers unchanged. Linear weights keep torch's
// [out, in] layout (the model multiplies with transposeB), so load and save never transpose.
import type { DistilBertConfig } from './config.ts';

export const ENCODER_PREFIX = 'distilbert.';
export const HEAD_NAMES = [
  'pre_classifier.weight',
  'pre_classifier.bias',
  'classifier.weight',
  'classifier.bias',
] as const;

/** What the parameter shapes depend on. */
export type ParameterDims = Pick<
  DistilBertConfig,
  'dim' | 'nLayers' | 'hiddenDim' | 'vocabSize' | 'maxPositionEmbeddings' | 'numLabels'
>;

const LAYER_PARTS: ReadonlyArray<readonly [string, (c: ParameterDims) => number[]]> = [
  ['attention.q_lin.weight', (c) => [c.dim, c.dim]],
  ['attention.q_lin.bias', (c) => [c.dim]],
  ['attention.k_lin.weight', (c) => [c.dim, c.dim]],
  ['attention.k_lin.bias', (c) => [c.dim]],
  ['attention.v_lin.weight', (c) => [c.dim, c.dim]],
  ['attention.v_lin.bias', (c) => [c.dim]],
  ['attention.out_lin.weight', (c) => [c.dim, c.dim]],
  ['attention.out_lin.bias', (c) => [c.dim]],
  ['sa_layer_norm.weight', (c) => [c.dim]],
  ['sa_layer_norm.bias', (c) => [c.dim]],
  ['ffn.lin1.weight', (c) => [c.hiddenDim, c.dim]],
  ['ffn.lin1.bias', (c) => [c.hiddenDim]],
  ['ffn.lin2.weight', (c) => [c.dim, c.hiddenDim]],
  ['ffn.lin2.bias', (c) => [c.dim]],
  ['output_layer_norm.weight', (c) => [c.dim]],
  ['output_layer_norm.bias', (c) => [c.dim]],
];

export const layerPrefix = (layer: number): string => `${ENCODER_PREFIX}transformer.layer.${layer}.`;

/** Every parameter of the model with its shape, in state_dict order. */
export function parameterShapes(config: ParameterDims): Map<string, number[]> {
  const shapes = new Map<string, number[]>([
    [`${ENCODER_PREFIX}embeddings.word_embeddings.weight`, [config.vocabSize, config.dim]],
    [`${ENCODER_PREFIX}embeddings.position_embeddings.weight`, [config.maxPositionEmbeddings, config.dim]],
    [`${ENCODER_PREFIX}embeddings.LayerNorm.weight`, [config.dim]],
    [`${ENCODER_PREFIX}embeddings.LayerNorm.bias`, [config.dim]],
  ]);
  for (let layer = 0; layer < config.nLayers; layer++) {
    for (const [part, shape] of LAYER_PARTS) shapes.set(layerPrefix(layer) + part, shape(config));
  }
  shapes.set('pre_classifier.weight', [config.dim, config.dim]);
  shapes.set('pre_classifier.bias', [config.dim]);
  shapes.set('classifier.weight', [config.numLabels, config.dim]);
  shapes.set('classifier.bias', [config.numLabels]);
  return shapes;
}

export const isHeadName = (name: string): boolean => (HEAD_NAMES as readonly string[]).includes(name);

/**
 * The canonical name for a checkpoint key, or null when the model has no such parameter.
 * Bare DistilBertModel checkpoints store encoder keys without the `distilbert.` prefix.
 */
export function canonicalName(key: string, known: ReadonlySet<string>): string | null {
  if (known.has(key)) return key;
  const prefixed = ENCODER_PREFIX + key;
  if (!isHeadName(key) && known.has(prefixed)) return prefixed;
  return null;
}

/** A seeded generator (mulberry32) so a fresh head is the same on every backend and run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normal(0, std) samples (Box–Muller over a seeded uniform), as transformers' `normal_` init. */
export function normalInit(count: number, std: number, random: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - random(); // (0, 1]: log stays finite
    const u2 = random();
    const radius = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/**
 * A freshly initialised tensor for `name` as transformers' DistilBertPreTrainedModel._init_weights
 * does: Linear and Embedding weights ~ N(0, initializer_range), biases 0, LayerNorm weight 1.
 */
export function initialValue(
  name: string,
  shape: readonly number[],
  config: DistilBertConfig,
  random: () => number,
): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith('.bias')) return new Float32Array(count);
  if (name.includes('LayerNorm') || name.includes('layer_norm')) return new Float32Array(count).fill(1);
  if (name.endsWith('position_embeddings.weight') && config.sinusoidalPosEmbds) {
    return sinusoidalPositions(shape[0] ?? 0, shape[1] ?? 0);
  }
  return normalInit(count, config.initializerRange, random);
}

/** transformers' create_sinusoidal_embeddings: sin on even columns, cos on odd ones. */
export function sinusoidalPositions(positions: number, dim: number): Float32Array {
  const out = new Float32Array(positions * dim);
  for (let pos = 0; pos < positions; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      out[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}
