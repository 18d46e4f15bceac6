// The data map's 2-D layout: PCA of the frozen model's first-token features to at most 50
// dimensions (`pca.ts`), then UMAP (McInnes, Healy and Melville, 2018) through `umap-js`, whose every
// random draw (random-projection trees, nearest-neighbour descent, initial positions, negative
// samples) comes from one seeded generator, so a seed gives the same layout. The optimisation runs
// epoch by epoch, reporting progress and yielding between slices so that a cancel can land.

import { UMAP } from 'umap-js';
import { createRng } from '../util/index.ts';
import { pca } from './pca.ts';

export type MapStage = 'pca' | 'neighbours' | 'layout';

export interface MapProgress {
  stage: MapStage;
  /** Fraction of the stage done, in [0, 1]. */
  fraction: number;
}

export interface MapLayoutOptions {
  seed?: number;
  /** PCA dimensions before UMAP (50 unless given; fewer when the data has fewer rows or dims). */
  pcaComponents?: number;
  /** UMAP's n_neighbors (15 unless given; at most rows − 1). */
  neighbours?: number;
  /** UMAP's min_dist (0.1 unless given). */
  minDist?: number;
  /** Optimisation epochs; UMAP's own choice (500 under 10,000 rows, else 200) unless given. */
  epochs?: number;
  onProgress?: (progress: MapProgress) => void;
  signal?: AbortSignal;
}

export interface MapLayout {
  rows: number;
  /** Row-major [rows × 2] positions. */
  positions: Float32Array;
  /** PCA dimensions UMAP ran on. */
  pcaComponents: number;
  neighbours: number;
  epochs: number;
  seed: number;
}

export const DEFAULT_MAP_SEED = 42;
export const DEFAULT_PCA_COMPONENTS = 50;
export const DEFAULT_NEIGHBOURS = 15;
export const DEFAULT_MIN_DIST = 0.1;

/** Epochs between yields to the event loop while the layout is optimised. */
const EPOCHS_PER_SLICE = 5;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A 2-D layout of `features` (row-major [rows × dims]). */
export async function mapLayout(
  features: ArrayLike<number>,
  rows: number,
  dims: number,
  options: MapLayoutOptions = {},
): Promise<MapLayout> {
  const seed = options.seed ?? DEFAULT_MAP_SEED;
  if (!Number.isInteger(seed)) throw new Error(`map seed must be an integer (got ${seed})`);
  const { signal, onProgress } = options;
  if (rows < 1) throw new Error('the map needs at least one row');
  if (features.length !== rows * dims) {
    throw new Error(`map features hold ${features.length} values, expected ${rows} × ${dims}`);
  }
  // Too few rows to have neighbours: a deterministic line keeps the map drawable.
  if (rows < 3) {
    const positions = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) positions[r * 2] = r;
    onProgress?.({ stage: 'layout', fraction: 1 });
    return { rows, positions, pcaComponents: 0, neighbours: 0, epochs: 0, seed };
  }

  const reduced = await pca(features, rows, dims, options.pcaComponents ?? DEFAULT_PCA_COMPONENTS, {
    signal,
    onProgress: (fraction) => onProgress?.({ stage: 'pca', fraction }),
  });
  signal?.throwIfAborted();

  const k = reduced.components;
  const vectors: number[][] = new Array<number[]>(rows);
  for (let r = 0; r < rows; r++) vectors[r] = Array.from(reduced.projected.subarray(r * k, (r + 1) * k));

  const neighbours = Math.min(options.neighbours ?? DEFAULT_NEIGHBOURS, rows - 1);
  const rng = createRng(seed);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: neighbours,
    minDist: options.minDist ?? DEFAULT_MIN_DIST,
    random: () => rng.next(),
    ...(options.epochs !== undefined ? { nEpochs: options.epochs } : {}),
  });
  onProgress?.({ stage: 'neighbours', fraction: 0 });
  await yieldToEventLoop();
  signal?.throwIfAborted();
  const epochs = umap.initializeFit(vectors);
  onProgress?.({ stage: 'neighbours', fraction: 1 });

  for (let epoch = 0; epoch < epochs;) {
    signal?.throwIfAborted();
    const end = Math.min(epochs, epoch + EPOCHS_PER_SLICE);
    while (epoch < end) epoch = umap.step();
    onProgress?.({ stage: 'layout', fraction: epoch / epochs });
    if (epoch < epochs) await yieldToEventLoop();
  }

  const embedding = umap.getEmbedding();
  const positions = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    positions[r * 2] = embedding[r]![0]!;
    positions[r * 2 + 1] = embedding[r]![1]!;
  }
  return { rows, positions, pcaComponents: k, neighbours, epochs, seed };
}
