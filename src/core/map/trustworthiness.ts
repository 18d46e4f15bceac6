// Trustworthiness of a low-dimensional layout, as `sklearn.manifold.trustworthiness(X, X_embedded,
// n_neighbors=k)` computes it (Venna and Kaski, 2001): how much the layout's k nearest neighbours of
// each row are also near it in the original space.
//
//   T(k) = 1 − 2 / (n k (2n − 3k − 1)) · Σᵢ Σ_{j ∈ Nᵢᵏ(layout)} max(0, r(i, j) − k)
//
// with r(i, j) the rank of j among i's neighbours by original (Euclidean) distance, 1 for the
// nearest, and Nᵢᵏ(layout) the k nearest rows to i in the layout (i itself excluded in both).
// T is 1 when every layout neighbour is also an original neighbour. Exact and O(n² log n): meant for
// the few thousand rows a test or a sample of the map checks, not for every row of a large file.

/** Squared Euclidean distances from row i to every row, row i itself +∞. */
function distancesFrom(points: ArrayLike<number>, n: number, dims: number, i: number): Float64Array {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    if (j === i) {
      out[j] = Infinity;
      continue;
    }
    let sum = 0;
    for (let d = 0; d < dims; d++) {
      const diff = points[i * dims + d]! - points[j * dims + d]!;
      sum += diff * diff;
    }
    out[j] = sum;
  }
  return out;
}

/**
 * Trustworthiness in [0, 1] of `embedded` (row-major [n × embeddedDims]) as a layout of `original`
 * (row-major [n × originalDims]), over `neighbours` nearest neighbours (sklearn's default 5).
 */
export function trustworthiness(
  original: ArrayLike<number>,
  originalDims: number,
  embedded: ArrayLike<number>,
  embeddedDims: number,
  neighbours = 5,
): number {
  const n = original.length / originalDims;
  if (!Number.isInteger(n) || embedded.length !== n * embeddedDims) {
    throw new Error(
      `trustworthiness needs as many embedded rows as original ones (${original.length} / ${originalDims} vs ${embedded.length} / ${embeddedDims})`,
    );
  }
  if (!Number.isInteger(neighbours) || neighbours < 1 || neighbours >= n / 2) {
    throw new Error(`trustworthiness needs 1 ≤ neighbours < n / 2 (got ${neighbours} for n = ${n})`);
  }
  const k = neighbours;
  const rank = new Int32Array(n);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    const originalDistances = distancesFrom(original, n, originalDims, i);
    const byOriginal = Array.from({ length: n }, (_, j) => j).sort(
      (a, b) => originalDistances[a]! - originalDistances[b]! || a - b,
    );
    byOriginal.forEach((j, position) => {
      rank[j] = position + 1;
    });
    const embeddedDistances = distancesFrom(embedded, n, embeddedDims, i);
    const byEmbedded = Array.from({ length: n }, (_, j) => j).sort(
      (a, b) => embeddedDistances[a]! - embeddedDistances[b]! || a - b,
    );
    for (let position = 0; position < k; position++) {
      const excess = rank[byEmbedded[position]!]! - k;
      if (excess > 0) penalty += excess;
    }
  }
  return 1 - penalty * (2 / (n * k * (2 * n - 3 * k - 1)));
}
