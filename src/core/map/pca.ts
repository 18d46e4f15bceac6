// Principal component analysis of a row-major feature matrix, as scikit-learn's
// `sklearn.decomposition.PCA(n_components=k, svd_solver="full")` computes it: rows centred by the
// column means, components the top-k right singular vectors of the centred matrix (equivalently the
// top-k eigenvectors of the covariance), each signed so that its largest-magnitude entry is positive
// (`svd_flip(u_based_decision=False)`), explained variance the eigenvalues of the covariance
// (divided by N − 1), and the transform the centred rows times the components.
//
// The covariance (D × D, built once in float64) is small next to the data (N ≫ D for the map's
// 768-d features), so the eigenvectors come from subspace iteration on it with a Rayleigh–Ritz step
// (a block of k + 10 vectors, rotated each pass by the small block's exact Jacobi eigensystem) until
// the top-k residuals ‖C v − λ v‖ are below the stated tolerance. When the block spans the whole
// space (D ≤ k + 10) the first pass is already exact.

import { createRng } from '../util/index.ts';

export interface PcaOptions {
  /** Reports the fraction of the work done, in [0, 1]. */
  onProgress?: (fraction: number) => void;
  /** Stops with an AbortError between chunks of rows. */
  signal?: AbortSignal;
  /** Rows accumulated between yields to the event loop (so a worker can read a cancel message). */
  chunkRows?: number;
}

export interface PcaResult {
  rows: number;
  dims: number;
  /** Components kept: min(requested, rows, dims). */
  components: number;
  /** Column means [D]. */
  mean: Float64Array;
  /** Principal axes, row-major [components × D], unit length, largest-magnitude entry positive. */
  axes: Float64Array;
  /** Variance along each axis (covariance eigenvalue, divided by N − 1), descending [components]. */
  explainedVariance: Float64Array;
  /** The rows projected on the axes, row-major [N × components]. */
  projected: Float32Array;
}

/** Subspace iteration stops once every kept residual ‖C v − λ v‖ is below this times λ₁. */
export const PCA_RESIDUAL_TOLERANCE = 1e-11;
const OVERSAMPLING = 10;
const MAX_ITERATIONS = 3000;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** The top-`components` principal components of `features` (row-major [rows × dims]). */
export async function pca(
  features: ArrayLike<number>,
  rows: number,
  dims: number,
  components: number,
  options: PcaOptions = {},
): Promise<PcaResult> {
  if (!Number.isInteger(rows) || !Number.isInteger(dims) || rows < 2 || dims < 1) {
    throw new Error(`PCA needs at least 2 rows and 1 dimension (got ${rows} × ${dims})`);
  }
  if (features.length !== rows * dims) {
    throw new Error(
      `PCA features hold ${features.length} values, expected ${rows} × ${dims} = ${rows * dims}`,
    );
  }
  if (!Number.isInteger(components) || components < 1) {
    throw new Error(`PCA components must be a positive integer (got ${components})`);
  }
  const k = Math.min(components, rows, dims);
  const chunkRows = Math.max(1, options.chunkRows ?? 512);
  const { signal, onProgress } = options;

  const mean = new Float64Array(dims);
  for (let r = 0; r < rows; r++) {
    const base = r * dims;
    for (let j = 0; j < dims; j++) mean[j]! += features[base + j]!;
  }
  for (let j = 0; j < dims; j++) mean[j]! /= rows;

  // Upper triangle of the centred scatter matrix; the covariance is it divided by N − 1.
  const covariance = new Float64Array(dims * dims);
  const centred = new Float64Array(dims);
  for (let start = 0; start < rows; start += chunkRows) {
    signal?.throwIfAborted();
    const end = Math.min(rows, start + chunkRows);
    for (let r = start; r < end; r++) {
      const base = r * dims;
      for (let j = 0; j < dims; j++) centred[j] = features[base + j]! - mean[j]!;
      for (let a = 0; a < dims; a++) {
        const va = centred[a]!;
        if (va === 0) continue;
        const row = a * dims;
        for (let b = a; b < dims; b++) covariance[row + b]! += va * centred[b]!;
      }
    }
    onProgress?.((0.9 * end) / rows);
    if (end < rows) await yieldToEventLoop();
  }
  for (let a = 0; a < dims; a++) {
    for (let b = a; b < dims; b++) {
      const value = covariance[a * dims + b]! / (rows - 1);
      covariance[a * dims + b] = value;
      covariance[b * dims + a] = value;
    }
  }
  signal?.throwIfAborted();

  const { vectors, values } = topEigenvectors(covariance, dims, k);

  const axes = new Float64Array(k * dims);
  for (let c = 0; c < k; c++) {
    // svd_flip with u_based_decision=False: the largest-magnitude entry of each axis is positive.
    let largest = 0;
    for (let j = 0; j < dims; j++) {
      if (Math.abs(vectors[j * k + c]!) > Math.abs(vectors[largest * k + c]!)) largest = j;
    }
    const sign = vectors[largest * k + c]! < 0 ? -1 : 1;
    for (let j = 0; j < dims; j++) axes[c * dims + j] = sign * vectors[j * k + c]!;
  }

  const projected = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    const base = r * dims;
    for (let j = 0; j < dims; j++) centred[j] = features[base + j]! - mean[j]!;
    for (let c = 0; c < k; c++) {
      const axis = c * dims;
      let sum = 0;
      for (let j = 0; j < dims; j++) sum += centred[j]! * axes[axis + j]!;
      projected[r * k + c] = sum;
    }
  }
  onProgress?.(1);
  return { rows, dims, components: k, mean, axes, explainedVariance: values, projected };
}

/** Applies a fitted PCA to new rows (row-major [rows × dims]): [rows × components]. */
export function pcaTransform(model: PcaResult, features: ArrayLike<number>, rows: number): Float32Array {
  const { dims, components: k, mean, axes } = model;
  if (features.length !== rows * dims) {
    throw new Error(`PCA transform got ${features.length} values, expected ${rows} × ${dims}`);
  }
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let j = 0; j < dims; j++) sum += (features[r * dims + j]! - mean[j]!) * axes[c * dims + j]!;
      out[r * k + c] = sum;
    }
  }
  return out;
}

/**
 * Top-k eigenpairs of a symmetric matrix [n × n]: vectors column-major in a [n × k] row-major
 * array (vectors[j * k + c] is entry j of vector c), values descending.
 */
export function topEigenvectors(
  matrix: Float64Array,
  n: number,
  k: number,
): { vectors: Float64Array; values: Float64Array } {
  const m = Math.min(n, k + OVERSAMPLING);
  const rng = createRng('pca-subspace');
  // Block V [n × m], row-major; a seeded start keeps the result reproducible.
  let block = new Float64Array(n * m);
  for (let i = 0; i < block.length; i++) block[i] = rng.normal();
  orthonormalizeColumns(block, n, m, rng);

  let values: Float64Array = new Float64Array(m);
  const product = new Float64Array(n * m);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    multiply(matrix, block, product, n, m); // C V: [n × m]
    // Rayleigh–Ritz: H = Vᵀ C V [m × m], H = Q Λ Qᵀ, V ← V Q.
    const small = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      for (let b = a; b < m; b++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += block[i * m + a]! * product[i * m + b]!;
        small[a * m + b] = sum;
        small[b * m + a] = sum;
      }
    }
    const eigen = jacobiEigen(small, m);
    values = eigen.values;
    const rotated = new Float64Array(n * m);
    const rotatedProduct = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < m; c++) {
        let v = 0;
        let p = 0;
        for (let a = 0; a < m; a++) {
          const q = eigen.vectors[a * m + c]!;
          v += block[i * m + a]! * q;
          p += product[i * m + a]! * q;
        }
        rotated[i * m + c] = v;
        rotatedProduct[i * m + c] = p;
      }
    }
    block = rotated;
    const scale = Math.max(Math.abs(values[0]!), Number.MIN_VALUE);
    let worst = 0;
    for (let c = 0; c < k; c++) {
      let squared = 0;
      for (let i = 0; i < n; i++) {
        const residual = rotatedProduct[i * m + c]! - values[c]! * block[i * m + c]!;
        squared += residual * residual;
      }
      worst = Math.max(worst, Math.sqrt(squared) / scale);
    }
    if (m === n || worst < PCA_RESIDUAL_TOLERANCE) break;
    // Next pass starts from C V (rotated), orthonormalized.
    block = rotatedProduct;
    orthonormalizeColumns(block, n, m, rng);
  }
  const vectors = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) vectors[i * k + c] = block[i * m + c]!;
  return { vectors, values: values.slice(0, k) };
}

/** out = A B with A [n × n] and B [n × m], all row-major. */
function multiply(a: Float64Array, b: Float64Array, out: Float64Array, n: number, m: number): void {
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const rowOut = i * m;
    for (let j = 0; j < n; j++) {
      const aij = a[i * n + j]!;
      if (aij === 0) continue;
      const rowB = j * m;
      for (let c = 0; c < m; c++) out[rowOut + c]! += aij * b[rowB + c]!;
    }
  }
}

/**
 * Modified Gram–Schmidt, twice, on the columns of a row-major [n × m] block. A column that falls
 * into the span of the previous ones (a rank-deficient covariance) is replaced by a fresh random
 * one, so the block always stays orthonormal.
 */
function orthonormalizeColumns(
  block: Float64Array,
  n: number,
  m: number,
  rng: ReturnType<typeof createRng>,
): void {
  for (let c = 0; c < m; c++) {
    for (let attempt = 0; ; attempt++) {
      let before = 0;
      for (let i = 0; i < n; i++) before += block[i * m + c]! ** 2;
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < c; p++) {
          let dot = 0;
          for (let i = 0; i < n; i++) dot += block[i * m + c]! * block[i * m + p]!;
          for (let i = 0; i < n; i++) block[i * m + c]! -= dot * block[i * m + p]!;
        }
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += block[i * m + c]! ** 2;
      norm = Math.sqrt(norm);
      if (norm > 1e-10 * Math.sqrt(before) && norm > 0) {
        for (let i = 0; i < n; i++) block[i * m + c]! /= norm;
        break;
      }
      if (attempt > 20) throw new Error('PCA could not build an orthonormal basis');
      for (let i = 0; i < n; i++) block[i * m + c] = rng.normal();
    }
  }
}

/**
 * Eigen-decomposition of a small symmetric matrix [m × m] by cyclic Jacobi rotations:
 * values descending, vectors[a * m + c] the entry a of the eigenvector c.
 */
export function jacobiEigen(
  symmetric: Float64Array,
  m: number,
): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(symmetric);
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let p = 0; p < m; p++) {
      for (let q = 0; q < m; q++) {
        const x = a[p * m + q]! ** 2;
        total += x;
        if (p !== q) off += x;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < m - 1; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]!;
        if (apq === 0) continue;
        const app = a[p * m + p]!;
        const aqq = a[q * m + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < m; r++) {
          const arp = a[r * m + p]!;
          const arq = a[r * m + q]!;
          a[r * m + p] = c * arp - s * arq;
          a[r * m + q] = s * arp + c * arq;
        }
        for (let r = 0; r < m; r++) {
          const apr = a[p * m + r]!;
          const aqr = a[q * m + r]!;
          a[p * m + r] = c * apr - s * aqr;
          a[q * m + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < m; r++) {
          const vrp = v[r * m + p]!;
          const vrq = v[r * m + q]!;
          v[r * m + p] = c * vrp - s * vrq;
          v[r * m + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => a[y * m + y]! - a[x * m + x]!);
  const values = Float64Array.from(order, (i) => a[i * m + i]!);
  const vectors = new Float64Array(m * m);
  order.forEach((from, to) => {
    for (let r = 0; r < m; r++) vectors[r * m + to] = v[r * m + from]!;
  });
  return { values, vectors };
}
