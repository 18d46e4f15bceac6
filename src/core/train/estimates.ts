// Rough memory and time per epoch for each training mode, from the model's dimensions, the
// dataset's size and token lengths, and forward passes timed on this backend. Arithmetic only:
// the numbers orient the user (seconds or hours?), they are not promises.
import type { TrainMode } from './config.ts';

/** A timed inference pass through every layer: overheadSec + tokens × secPerToken. */
export interface ForwardTiming {
  /** Fixed cost of a pass (op dispatch, synchronisation), whatever its size. */
  overheadSec: number;
  secPerToken: number;
}

export interface EstimateInput {
  layers: number;
  dim: number;
  hiddenDim: number;
  heads: number;
  numLabels: number;
  parameters: number;
  /** An inference pass through every layer: overheadSec + tokens × secPerToken. */
  timing: ForwardTiming | null;
  trainExamples: number;
  evalExamples: number;
  /** Average tokens per example after truncation (padding within a batch included). */
  tokensPerExample: number;
  batchSize: number;
  /** Layers trained in top-k mode. */
  topLayers: number;
}

export interface ModeEstimate {
  mode: TrainMode;
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
/** A training step (forward, backward, update) costs about three forward passes. */
const TRAIN_FACTOR = 3;

/** Float activations a block keeps per token for its backward pass. */
function layerActivationsPerToken(dim: number, hiddenDim: number, heads: number, length: number): number {
  return 10 * dim + 2 * hiddenDim + 2 * heads * length;
}

export function estimateModes(input: EstimateInput): ModeEstimate[] {
  const {
    layers,
    dim,
    hiddenDim,
    heads,
    numLabels,
    parameters,
    trainExamples,
    evalExamples,
    batchSize,
    timing,
  } = input;
  const length = Math.max(1, input.tokensPerExample);
  const topLayers = Math.min(Math.max(1, input.topLayers), layers);
  const weights = parameters * FLOAT;
  const headParams = dim * dim + dim + dim * numLabels + numLabels;
  const blockParams = 4 * (dim * dim + dim) + 2 * dim * hiddenDim + hiddenDim + dim + 4 * dim;
  const allExamples = trainExamples + evalExamples;

  /** Seconds to run `blocks` of the layers forward over `examples`, batch by batch. */
  const passSeconds = (examples: number, blocks: number): number | null => {
    if (!timing) return null;
    const batches = Math.ceil(examples / batchSize);
    // The embeddings and the head count as one more "layer" of fixed cost.
    const share = blocks / (layers + 1);
    return share * (batches * timing.overheadSec + examples * length * timing.secPerToken);
  };
  const headSeconds = (examples: number): number | null => {
    if (!timing) return null;
    return (Math.ceil(examples / batchSize) * timing.overheadSec) / (layers + 1);
  };
  const sum = (...parts: (number | null)[]): number | null =>
    parts.some((part) => part === null)
      ? null
      : parts.reduce<number>((total, part) => total + (part ?? 0), 0);
  const times = (factor: number, value: number | null): number | null =>
    value === null ? null : factor * value;
  const activations = (blocks: number): number =>
    batchSize * length * blocks * layerActivationsPerToken(dim, hiddenDim, heads, length) * FLOAT;

  const headCache = allExamples * dim * FLOAT;
  const head: ModeEstimate = {
    mode: 'head',
    memoryBytes: weights + headCache + headParams * FLOAT * 3,
    cacheBytes: headCache,
    cacheSeconds: passSeconds(allExamples, layers + 1),
    epochSeconds: sum(times(TRAIN_FACTOR, headSeconds(trainExamples)), headSeconds(evalExamples)),
  };

  const frozen = layers - topLayers;
  const topCache = frozen > 0 ? allExamples * length * dim * FLOAT : 0;
  const topK: ModeEstimate = {
    mode: 'top-k',
    memoryBytes:
      weights + topCache + (topLayers * blockParams + headParams) * FLOAT * 3 + activations(topLayers),
    cacheBytes: topCache,
    cacheSeconds: frozen > 0 ? passSeconds(allExamples, frozen + 1) : 0,
    epochSeconds: sum(
      times(TRAIN_FACTOR, passSeconds(trainExamples, topLayers)),
      passSeconds(evalExamples, topLayers),
    ),
  };

  const full: ModeEstimate = {
    mode: 'full',
    memoryBytes: weights * 4 + activations(layers),
    cacheBytes: 0,
    cacheSeconds: 0,
    epochSeconds: sum(
      times(TRAIN_FACTOR, passSeconds(trainExamples, layers + 1)),
      passSeconds(evalExamples, layers + 1),
    ),
  };
  return [head, topK, full];
}

/** WebAssembly memory is addressed with 32 bits: one module holds at most 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

const MODE_LABELS: Record<TrainMode, string> = {
  head: 'Head only (Quick)',
  'top-k': 'Top layers + head (Balanced)',
  full: 'Full fine-tuning (Thorough)',
};

/** The most memory a run can use on this backend, where the backend has a known ceiling. */
export function memoryCeiling(backend: string | undefined): number | null {
  return backend === 'wasm' ? WASM_HEAP_BYTES : null;
}

const gigabytes = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

/** How a fit warning names the modes and the GPU backend: the studio's words, or the CLI's flags. */
export interface FitWording {
  mode(mode: TrainMode): string;
  gpu: string;
}

const STUDIO_WORDING: FitWording = { mode: (mode) => MODE_LABELS[mode], gpu: 'a GPU (WebGPU) backend' };

/**
 * One line saying that `mode` will not fit the backend's memory and what would, or null when it
 * fits (or the backend has no known ceiling: a GPU's memory is not visible to the page).
 */
export function fitWarning(
  estimates: readonly ModeEstimate[],
  mode: TrainMode,
  backend: string | undefined,
  wording: FitWording = STUDIO_WORDING,
): string | null {
  const ceiling = memoryCeiling(backend);
  const chosen = estimates.find((estimate) => estimate.mode === mode);
  if (ceiling === null || !chosen || chosen.memoryBytes <= ceiling) return null;
  const lighter = estimates
    .filter((estimate) => estimate.mode !== mode && estimate.memoryBytes <= ceiling)
    .sort((a, b) => b.memoryBytes - a.memoryBytes)
    .map((estimate) => `${wording.mode(estimate.mode)}, about ${gigabytes(estimate.memoryBytes)}`);
  return (
    `${wording.mode(mode)} needs about ${gigabytes(chosen.memoryBytes)} here, more than the ` +
    `${gigabytes(ceiling)} WASM can address: ` +
    (lighter.length > 0 ? `choose ${lighter.join(' or ')}, ` : '') +
    `or a smaller batch or max length, a smaller model, or ${wording.gpu}.`
  );
}

/**
 * Tokens a training example costs on average at `maxLength`: the mean truncated length with a
 * margin, since batches are padded to their longest text.
 */
export function paddedTokensPerExample(lengths: ArrayLike<number>, maxLength: number): number {
  if (lengths.length === 0) return maxLength;
  let sum = 0;
  for (let i = 0; i < lengths.length; i++) sum += Math.min(lengths[i] as number, maxLength);
  return Math.min(maxLength, (sum / lengths.length) * 1.25);
}
