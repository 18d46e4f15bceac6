// Principal component analysis of a row-major feature matrix, as scikit-learn's
// `sklearn.decomposition.PCA(n_components=k, svd_solver="full")` computes it: rows centred by the
// column means, components the top-k right singular vectors of the centred matrix (equivalently the
// top-k eigenvectors of the covariance), each signed so that its largest-magnitude entry is positive
// (`svd_flip(u_based_decision=False)`), explained variance the eigenvalues of the covariance
// (divided by N − 1), and the transform the centred rows times the components.
//
// The covariance (D × D, built once in float64) is small next to the data (N ≫ D for the map's
// 768-d features), so the axes come from its whole symmetric eigensystem.

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

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
 * array (vectors[j * k + c] is entry j of vector c), values descending. The whole symmetric
 * eigensystem (Householder tridiagonalisation, then the implicit QL method, through ml-matrix):
 * O(n³) and exact whatever the gaps between eigenvalues, where an iteration on the top k slows
 * down as the k-th and (k+1)-th eigenvalues meet (isotropic noise beyond a few clusters).
 */
export function topEigenvectors(
  matrix: Float64Array,
  n: number,
  k: number,
): { vectors: Float64Array; values: Float64Array } {
  const decomposition = new EigenvalueDecomposition(Matrix.from1DArray(n, n, matrix), {
    assumeSymmetric: true,
  });
  const all = decomposition.realEigenvalues;
  const eigenvectors = decomposition.eigenvectorMatrix;
  const order = all
    .map((_: number, i: number) => i)
    .sort((a: number, b: number) => all[b]! - all[a]! || a - b);
  const vectors = new Float64Array(n * k);
  const values = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const column = order[c]!;
    values[c] = all[column]!;
    for (let j = 0; j < n; j++) vectors[j * k + c] = eigenvectors.get(j, column);
  }
  return { vectors, values };
}
