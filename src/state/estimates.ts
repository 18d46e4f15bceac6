// Rough memory and time per epoch for each training mode, from the model's dimensions, the
// dataset's size and token lengths, and a forward pass timed on this backend. Arithmetic only:
// the numbers orient the user (head only in seconds, full in hours?), they are not promises.

export type TrainingMode = 'head' | 'top-k' | 'full';

export interface EstimateInput {
  layers: number;
  dim: number;
  hiddenDim: number;
  heads: number;
  numLabels: number;
  parameters: number;
  /** Measured tokens per second of an inference forward pass at sequence length 32. */
  forwardTokensPerSec: number | null;
  trainExamples: number;
  evalExamples: number;
  /** Average tokens per example after truncation (padding within a batch included). */
  tokensPerExample: number;
  batchSize: number;
  /** Layers trained in top-k mode. */
  topLayers: number;
}

export interface ModeEstimate {
  mode: TrainingMode;
  /** Bytes the training keeps: weights, gradients and optimizer state, caches, activations. */
  memoryBytes: number;
  /** Seconds for one epoch once any cache is built (null without a timing). */
  epochSeconds: number | null;
  /** Seconds to build the frozen part's cache once, before the first epoch (0 when none). */
  cacheSeconds: number | null;
  /** Bytes of that cache. */
  cacheBytes: number;
}

const FLOAT = 4;
const TIMING_LENGTH = 32;
/** Backward costs about twice the forward pass. */
const TRAIN_FACTOR = 3;

/** Multiply-adds ×2 per token for one transformer block at sequence length T. */
function layerFlopsPerToken(dim: number, hiddenDim: number, length: number): number {
  return 8 * dim * dim + 4 * dim * hiddenDim + 4 * length * dim;
}

/** Float activations a block keeps per token for its backward pass. */
function layerActivationsPerToken(dim: number, hiddenDim: number, heads: number, length: number): number {
  return 10 * dim + 2 * hiddenDim + 2 * heads * length;
}

export function estimateModes(input: EstimateInput): ModeEstimate[] {
  const { layers, dim, hiddenDim, heads, numLabels, parameters, trainExamples, evalExamples, batchSize } =
    input;
  const length = Math.max(1, input.tokensPerExample);
  const topLayers = Math.min(Math.max(1, input.topLayers), layers);
  const weights = parameters * FLOAT;
  const headParams = dim * dim + dim + dim * numLabels + numLabels;
  const blockParams = 4 * (dim * dim + dim) + 2 * dim * hiddenDim + hiddenDim + dim + 4 * dim;
  const allExamples = trainExamples + evalExamples;

  // Measured speed → floating-point operations per second on this backend.
  const flopsPerSec = input.forwardTokensPerSec
    ? input.forwardTokensPerSec * layers * layerFlopsPerToken(dim, hiddenDim, TIMING_LENGTH)
    : null;
  const seconds = (flops: number): number | null => (flopsPerSec ? flops / flopsPerSec : null);
  const encoderFlops = (examples: number, blocks: number): number =>
    examples * length * blocks * layerFlopsPerToken(dim, hiddenDim, length);
  const activations = (blocks: number): number =>
    batchSize * length * blocks * layerActivationsPerToken(dim, hiddenDim, heads, length) * FLOAT;
  const headFlops = (examples: number): number => examples * 2 * headParams;

  const headCache = allExamples * dim * FLOAT;
  const head: ModeEstimate = {
    mode: 'head',
    memoryBytes: weights + headCache + headParams * FLOAT * 3,
    cacheBytes: headCache,
    cacheSeconds: seconds(encoderFlops(allExamples, layers)),
    epochSeconds: seconds(TRAIN_FACTOR * headFlops(trainExamples) + headFlops(evalExamples)),
  };

  const frozen = layers - topLayers;
  const topCache = frozen > 0 ? allExamples * length * dim * FLOAT : 0;
  const topK: ModeEstimate = {
    mode: 'top-k',
    memoryBytes:
      weights + topCache + (topLayers * blockParams + headParams) * FLOAT * 3 + activations(topLayers),
    cacheBytes: topCache,
    cacheSeconds: frozen > 0 ? seconds(encoderFlops(allExamples, frozen)) : 0,
    epochSeconds: seconds(
      TRAIN_FACTOR * (encoderFlops(trainExamples, topLayers) + headFlops(trainExamples)) +
        encoderFlops(evalExamples, topLayers),
    ),
  };

  const full: ModeEstimate = {
    mode: 'full',
    memoryBytes: weights * 4 + activations(layers),
    cacheBytes: 0,
    cacheSeconds: 0,
    epochSeconds: seconds(
      TRAIN_FACTOR * encoderFlops(trainExamples, layers) + encoderFlops(evalExamples, layers),
    ),
  };
  return [head, topK, full];
}
