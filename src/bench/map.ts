// Data map time: PCA to 50 dimensions, then the seeded UMAP layout, on synthetic 768-d features
// (Gaussian clusters, as a frozen encoder's first-token features of a labelled file group by class),
// in Node. Each size also reports the layout's trustworthiness on a sample of its rows.
import { mapLayout, pca, trustworthiness } from '../core/map/index.ts';
import { createRng } from '../core/util/index.ts';
import type { BenchRow } from './table.ts';

export interface MapBenchOptions {
  /** Row counts to lay out (default 10,000 and 100,000). */
  sizes?: number[];
  /** Feature dimensions (default 768, distilbert-base's). */
  dim?: number;
  clusters?: number;
  /** Rows of each layout the trustworthiness check samples (default 1,000). */
  sampleRows?: number;
  onProgress?: (message: string) => void;
}

/** `rows` points around `clusters` random centres, row-major [rows × dim]. */
export function clusteredFeatures(rows: number, dim: number, clusters: number, seed = 1): Float32Array {
  const rng = createRng(seed);
  const centres = Float32Array.from({ length: clusters * dim }, () => rng.normal() * 2);
  const out = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const c = rng.int(clusters);
    for (let j = 0; j < dim; j++) out[r * dim + j] = centres[c * dim + j]! + rng.normal();
  }
  return out;
}

export async function benchMap(options: MapBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.onProgress ?? (() => undefined);
  const sizes = options.sizes ?? [10_000, 100_000];
  const dim = options.dim ?? 768;
  const clusters = options.clusters ?? 20;
  const sampleRows = options.sampleRows ?? 1000;
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    log(`map: ${n} rows × ${dim}`);
    const features = clusteredFeatures(n, dim, clusters);
    const pcaStart = performance.now();
    await pca(features, n, dim, 50);
    const pcaSeconds = (performance.now() - pcaStart) / 1000;
    const start = performance.now();
    let lastStage = '';
    const layout = await mapLayout(features, n, dim, {
      seed: 42,
      onProgress: ({ stage }) => {
        if (stage !== lastStage) log(`map ${n}: ${stage}`);
        lastStage = stage;
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const sample = Math.min(sampleRows, n);
    const picked = createRng(7)
      .shuffle(Array.from({ length: n }, (_, i) => i))
      .slice(0, sample);
    const sampledFeatures = new Float32Array(sample * dim);
    const sampledPositions = new Float32Array(sample * 2);
    picked.forEach((r, i) => {
      sampledFeatures.set(features.subarray(r * dim, (r + 1) * dim), i * dim);
      sampledPositions.set(layout.positions.subarray(r * 2, r * 2 + 2), i * 2);
    });
    const trust = sample > 22 ? trustworthiness(sampledFeatures, dim, sampledPositions, 2, 10) : NaN;
    const shape = `${n.toLocaleString('en')} rows × ${dim}`;
    rows.push(
      { suite: 'map', name: `PCA to 50 dims, ${shape}`, where: 'node', value: pcaSeconds, unit: 's' },
      {
        suite: 'map',
        name: `PCA + UMAP layout, ${shape}`,
        where: 'node',
        value: seconds,
        unit: 's',
        note: `${clusters} clusters; ${layout.epochs} epochs, ${layout.neighbours} neighbours; trustworthiness ${trust.toFixed(3)} (k = 10, ${sample}-row sample)`,
      },
    );
  }
  return rows;
}
