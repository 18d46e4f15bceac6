// Parameter names and shapes of a model's family (through the architecture registry), and the
// initial values of parameters a checkpoint lacks. Canonical names are exactly the Hugging Face
// state_dict keys, so a checkpoint we write loads in transformers unchanged. Linear weights keep
// torch's [out, in] layout (the model multiplies with transposeB), so load and save never transpose.
import { architectureOf, type ParameterDims } from './architectures.ts';
import type { ModelConfig } from './config.ts';

export type { ParameterDims } from './architectures.ts';

/** Every parameter of the model with its shape, in state_dict order. */
export function parameterShapes(config: ParameterDims): Map<string, number[]> {
  return architectureOf(config).parameterShapes(config);
}

/** Prefix of the names of transformer block `layer`'s parameters. */
export function layerPrefix(config: Pick<ModelConfig, 'modelType'>, layer: number): string {
  return architectureOf(config).layerPrefix(layer);
}

/**
 * Whether `name` is a parameter of transformer block `layer`: under its prefix, or the final
 * norm the last block applies.
 */
export function isBlockParameter(
  config: Pick<ModelConfig, 'modelType' | 'nLayers'>,
  name: string,
  layer: number,
): boolean {
  const architecture = architectureOf(config);
  if (name.startsWith(architecture.layerPrefix(layer))) return true;
  const finalNorm = architecture.finalNorm;
  return finalNorm !== undefined && layer === config.nLayers - 1 && name.startsWith(`${finalNorm}.`);
}

/** The classification head's parameters (what head-only training trains; a checkpoint may lack them). */
export function headNames(config: Pick<ModelConfig, 'modelType'>): readonly string[] {
  return architectureOf(config).headNames;
}

export function isHeadName(config: Pick<ModelConfig, 'modelType'>, name: string): boolean {
  return architectureOf(config).headNames.includes(name);
}

/**
 * The classification head's parameters the loader made rather than read (the checkpoint had none,
 * or one for other labels): a model with any cannot be scored as it is.
 */
export function headMadeAtLoad(
  config: Pick<ModelConfig, 'modelType'>,
  report: { missing: readonly string[]; reinitialised: readonly string[] },
): string[] {
  return [...report.missing, ...report.reinitialised].filter((name) => isHeadName(config, name));
}

/** The canonical name for a checkpoint key, or null when the model has no such parameter. */
export function canonicalName(
  config: Pick<ModelConfig, 'modelType'>,
  key: string,
  known: ReadonlySet<string>,
): string | null {
  return architectureOf(config).canonicalName(key, known);
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
 * A freshly initialised tensor for `name` as transformers' *PreTrainedModel._init_weights does: Linear and Embedding weights ~ N(0, initializer_range), biases 0, LayerNorm weight 1.
 */
export function initialValue(
  name: string,
  shape: readonly number[],
  config: Pick<ModelConfig, 'sinusoidalPosEmbds' | 'initializerRange'>,
  random: () => number,
): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith('.bias')) return new Float32Array(count);
  // BERT's `LayerNorm`, DistilBERT's `*_layer_norm`, ModernBERT's `norm`, `attn_norm`, `final_norm`, ….
  if (name.includes('LayerNorm') || name.includes('layer_norm') || /(?:^|[._])norm\.weight$/.test(name)) {
    return new Float32Array(count).fill(1);
  }
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
