// The one path from a finished run to "label these next", shared by the studio and the command
// line's `suggest`: the run's probabilities and pooled features of each unlabelled row, ranked by
// uncertainty, with a diversity rule measured between directions in feature space.
//
// Directions, not raw features: an encoder's pooled features share a large common component (the
// cosine between any two [CLS] vectors of one model is often above 0.9), so raw distances hardly
// tell near-duplicates from unrelated rows. The features are centred on the candidates' mean and
// scaled to unit length first; two rows at distance d then have centred cosine 1 − d² / 2, and the
// default radius 0.2 (centred cosine above 0.98) marks near-duplicates.
import type { ForwardEngine } from '../infer/index.ts';
import { argmaxRows, classify, type ModelConfig } from '../model/index.ts';
import { splitFeatures, type FeatureRunOptions } from '../map/index.ts';
import type { EncodedSplit } from '../tokenize/index.ts';
import { diverseBatch, uncertaintyScores, type UncertaintyStrategy } from './uncertainty.ts';

export const DEFAULT_DIVERSITY_RADIUS = 0.2;
export const DEFAULT_SUGGESTION_COUNT = 20;

/** A run's outputs for the candidate rows, in the rows' order. */
export interface CandidateOutputs {
  /** Row-major [rows × numLabels]: softmax (single-label) or sigmoid (multi-label). */
  probabilities: Float32Array;
  numLabels: number;
  multiLabel: boolean;
  /** Row-major [rows × dim]: the pooled features the run's head reads. */
  features: Float32Array;
  dim: number;
}

export interface SuggestOptions {
  count: number;
  strategy: UncertaintyStrategy;
  /** Between unit directions of centred features; 0 keeps the plain ranking. */
  radius?: number;
}

export interface Suggestion {
  /** Index of the row among the candidates. */
  index: number;
  /** Uncertainty under the chosen strategy; higher is less certain. */
  score: number;
  /** Label ids the run predicts: the argmax, or every label at p ≥ 0.5 for multi-label. */
  predicted: number[];
}

/** Row-major [rows × dim] features centred on their mean, each row scaled to unit length. */
export function centredDirections(features: ArrayLike<number>, rows: number, dim: number): Float32Array {
  if (features.length !== rows * dim) {
    throw new Error(`the features hold ${features.length} values, expected ${rows} × ${dim}`);
  }
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j]! += features[r * dim + j]! / rows;
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let squared = 0;
    for (let j = 0; j < dim; j++) {
      const centred = features[r * dim + j]! - mean[j]!;
      out[r * dim + j] = centred;
      squared += centred * centred;
    }
    // A row at the mean has no direction; it stays at the origin, at distance 1 from every other.
    const norm = Math.sqrt(squared);
    if (norm > 0) for (let j = 0; j < dim; j++) out[r * dim + j]! /= norm;
  }
  return out;
}

/** Label ids predicted for each row. */
function predictedLabels(outputs: CandidateOutputs): number[][] {
  const { probabilities, numLabels: k, multiLabel } = outputs;
  const rows = probabilities.length / k;
  if (!multiLabel) return Array.from(argmaxRows(probabilities, k), (id) => [id]);
  return Array.from({ length: rows }, (_, r) => {
    const ids: number[] = [];
    for (let j = 0; j < k; j++) if (probabilities[r * k + j]! >= 0.5) ids.push(j);
    return ids;
  });
}

/** Up to `count` candidates to label next, most uncertain first, no two near-duplicates. */
export function suggestRows(outputs: CandidateOutputs, options: SuggestOptions): Suggestion[] {
  const { probabilities, numLabels, multiLabel, features, dim } = outputs;
  const scores = uncertaintyScores(probabilities, numLabels, options.strategy, multiLabel);
  const rows = scores.length;
  const directions = centredDirections(features, rows, dim);
  const chosen = diverseBatch(
    scores,
    directions,
    dim,
    options.count,
    options.radius ?? DEFAULT_DIVERSITY_RADIUS,
  );
  const predicted = predictedLabels(outputs);
  return chosen.map((index) => ({ index, score: scores[index]!, predicted: predicted[index]! }));
}

/**
 * A run's probabilities and pooled features for `rows`, through two engines over the same weights
 * (output kinds `logits` and `features`).
 */
export async function candidateOutputs(
  engines: { logits: ForwardEngine; features: ForwardEngine },
  config: Pick<ModelConfig, 'numLabels' | 'problemType' | 'maxPositionEmbeddings' | 'dim'>,
  rows: Pick<EncodedSplit, 'ids' | 'offsets'>,
  data: { padTokenId: number; maxLength: number },
  options: FeatureRunOptions = {},
): Promise<CandidateOutputs> {
  const features = await splitFeatures(engines.features, rows, data, config.dim, options);
  options.signal?.throwIfAborted();
  const { probabilities } = await classify(config, rows, {
    engine: engines.logits,
    padTokenId: data.padTokenId,
    maxLength: data.maxLength,
  });
  return {
    probabilities,
    numLabels: config.numLabels,
    multiLabel: config.problemType === 'multi_label_classification',
    features,
    dim: config.dim,
  };
}
