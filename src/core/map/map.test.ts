import { describe, expect, it } from 'vitest';
import { requirePython, runPython } from '../../node/python.ts';
import { createRng } from '../util/index.ts';
import { mapLayout } from './layout.ts';
import { pca, pcaTransform, topEigenvectors } from './pca.ts';
import { trustworthiness } from './trustworthiness.ts';

/** Rows with a decaying spectrum: Gaussian columns scaled 1, 0.8, 0.8², …, mixed by a random matrix. */
function spectrumMatrix(seed: number, rows: number, dims: number): Float64Array {
  const rng = createRng(seed);
  const latent = Float64Array.from({ length: rows * dims }, (_, i) => rng.normal() * 0.8 ** (i % dims));
  const mixing = Float64Array.from({ length: dims * dims }, () => rng.normal() / Math.sqrt(dims));
  const out = new Float64Array(rows * dims);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dims; j++) {
      let sum = 3; // an offset, so that centring matters
      for (let l = 0; l < dims; l++) sum += latent[r * dims + l]! * mixing[l * dims + j]!;
      out[r * dims + j] = sum;
    }
  }
  return out;
}

/** Labelled Gaussian blobs: `clusters` well-separated centres in `dims` dimensions. */
function blobs(
  seed: number,
  perCluster: number,
  clusters: number,
  dims: number,
): { features: Float32Array; labels: Int32Array } {
  const rng = createRng(seed);
  const centres = Array.from({ length: clusters }, () =>
    Array.from({ length: dims }, () => rng.normal() * 6),
  );
  const rows = perCluster * clusters;
  const features = new Float32Array(rows * dims);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = r % clusters;
    labels[r] = c;
    for (let j = 0; j < dims; j++) features[r * dims + j] = centres[c]![j]! + rng.normal();
  }
  return { features, labels };
}

const chunk = (values: ArrayLike<number>, width: number): number[][] =>
  Array.from({ length: values.length / width }, (_, r) =>
    Array.from(values).slice(r * width, (r + 1) * width),
  );

describe('PCA', () => {
  it('decomposes a small symmetric matrix exactly, largest eigenvalue first', () => {
    // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with eigenvectors (1, 1)/√2 and (1, −1)/√2.
    const { values, vectors } = topEigenvectors(Float64Array.from([2, 1, 1, 2]), 2, 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0]! * vectors[2]!).toBeGreaterThan(0);
  });

  it('keeps min(requested, rows, dims) components and projects rows as pcaTransform does', async () => {
    const x = spectrumMatrix(3, 6, 9);
    const result = await pca(x, 6, 9, 50);
    expect(result.components).toBe(6);
    expect(result.projected.length).toBe(6 * 6);
    const again = pcaTransform(result, x, 6);
    for (let i = 0; i < again.length; i++) expect(again[i]).toBeCloseTo(result.projected[i]!, 4);
  });

  it('rejects bad shapes with a one-line message', async () => {
    await expect(pca(new Float32Array(5), 2, 3, 2)).rejects.toThrow(/expected 2 × 3/);
    await expect(pca(new Float32Array(3), 1, 3, 2)).rejects.toThrow(/at least 2 rows/);
  });

  it('stops with an AbortError when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      pca(spectrumMatrix(1, 20, 4), 20, 4, 2, { signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});

requirePython();

const SKLEARN_PCA = `
import json, sys
import numpy as np
from sklearn.decomposition import PCA
out = []
for case in json.load(sys.stdin):
    x = np.array(case["x"], dtype=np.float64)
    model = PCA(n_components=case["k"], svd_solver="full").fit(x)
    out.append({"axes": model.components_.tolist(), "variance": model.explained_variance_.tolist(),
                "projected": model.transform(x).tolist()})
print(json.dumps(out))
`;

const SKLEARN_TRUSTWORTHINESS = `
import json, sys
import numpy as np
from sklearn.manifold import trustworthiness
print(json.dumps([trustworthiness(np.array(c["x"]), np.array(c["y"]), n_neighbors=c["k"]) for c in json.load(sys.stdin)]))
`;

describe('PCA against scikit-learn', () => {
  it('equals sklearn.decomposition.PCA up to sign: a block spanning the space and subspace iteration', async () => {
    const cases = [
      { rows: 60, dims: 12, k: 5, x: spectrumMatrix(11, 60, 12) },
      { rows: 400, dims: 120, k: 10, x: spectrumMatrix(12, 400, 120) },
    ];
    const run = await runPython(['-c', SKLEARN_PCA], {
      timeoutMs: 120_000,
      input: JSON.stringify(cases.map((c) => ({ x: chunk(c.x, c.dims), k: c.k }))),
    });
    expect(run.code, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout) as {
      axes: number[][];
      variance: number[];
      projected: number[][];
    }[];
    for (const [n, c] of cases.entries()) {
      const reference = expected[n]!;
      const ours = await pca(c.x, c.rows, c.dims, c.k);
      expect(ours.components).toBe(c.k);
      for (let comp = 0; comp < c.k; comp++) {
        expect(ours.explainedVariance[comp]).toBeCloseTo(reference.variance[comp]!, 8);
        // Both flip each axis so that its largest entry is positive; the check still allows a sign.
        const axis = Array.from(ours.axes.subarray(comp * c.dims, (comp + 1) * c.dims));
        const sign = Math.sign(axis.reduce((s, v, j) => s + v * reference.axes[comp]![j]!, 0));
        for (let j = 0; j < c.dims; j++) expect(sign * axis[j]!).toBeCloseTo(reference.axes[comp]![j]!, 7);
        for (let r = 0; r < c.rows; r++) {
          expect(sign * ours.projected[r * c.k + comp]!).toBeCloseTo(reference.projected[r]![comp]!, 4);
        }
      }
    }
  }, 120_000);
});

describe('trustworthiness', () => {
  it('equals sklearn.manifold.trustworthiness', async () => {
    const rng = createRng(5);
    const cases = [
      { n: 80, dx: 10, dy: 2, k: 5 },
      { n: 50, dx: 6, dy: 3, k: 7 },
    ].map((c) => ({
      ...c,
      x: Float64Array.from({ length: c.n * c.dx }, () => rng.normal()),
      y: Float64Array.from({ length: c.n * c.dy }, () => rng.normal()),
    }));
    // A layout that is the first two coordinates keeps part of the structure: a non-trivial value.
    const third = cases[0]!;
    const projection = Float64Array.from(
      { length: third.n * 2 },
      (_, i) => third.x[Math.floor(i / 2) * third.dx + (i % 2)]!,
    );
    cases.push({ ...third, y: projection });
    const run = await runPython(['-c', SKLEARN_TRUSTWORTHINESS], {
      timeoutMs: 60_000,
      input: JSON.stringify(cases.map((c) => ({ x: chunk(c.x, c.dx), y: chunk(c.y, c.dy), k: c.k }))),
    });
    expect(run.code, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout) as number[];
    cases.forEach((c, n) => {
      expect(trustworthiness(c.x, c.dx, c.y, c.dy, c.k)).toBeCloseTo(expected[n]!, 12);
    });
    expect(trustworthiness(third.x, third.dx, third.x, third.dx, 5)).toBe(1);
  }, 60_000);

  it('rejects mismatched shapes', () => {
    expect(() => trustworthiness(new Float64Array(20), 2, new Float64Array(12), 2)).toThrow(
      /as many embedded rows/,
    );
  });
});

describe('map layout (PCA + UMAP)', () => {
  // 4 labelled clusters of 75 rows in 96 dimensions.
  const data = blobs(21, 75, 4, 96);
  const rows = data.labels.length;

  it('preserves neighbourhoods: trustworthiness ≥ 0.9 against the features; clusters stay apart', async () => {
    const stages = new Set<string>();
    const layout = await mapLayout(data.features, rows, 96, {
      seed: 7,
      epochs: 200,
      onProgress: (p) => stages.add(p.stage),
    });
    expect([...stages]).toEqual(['pca', 'neighbours', 'layout']);
    expect(layout.positions.length).toBe(rows * 2);
    expect(layout.positions.every(Number.isFinite)).toBe(true);
    expect(trustworthiness(data.features, 96, layout.positions, 2, 10)).toBeGreaterThanOrEqual(0.9);
    // Each row's nearest layout neighbour carries its label.
    let agree = 0;
    for (let i = 0; i < rows; i++) {
      let best = -1;
      let bestDistance = Infinity;
      for (let j = 0; j < rows; j++) {
        if (j === i) continue;
        const d =
          (layout.positions[i * 2]! - layout.positions[j * 2]!) ** 2 +
          (layout.positions[i * 2 + 1]! - layout.positions[j * 2 + 1]!) ** 2;
        if (d < bestDistance) [best, bestDistance] = [j, d];
      }
      if (data.labels[best] === data.labels[i]) agree++;
    }
    expect(agree / rows).toBeGreaterThanOrEqual(0.98);
  }, 120_000);

  it('gives the same layout for the same seed and another for another seed', async () => {
    const small = blobs(4, 20, 3, 16);
    const options = { epochs: 50 };
    const a = await mapLayout(small.features, 60, 16, { ...options, seed: 3 });
    const b = await mapLayout(small.features, 60, 16, { ...options, seed: 3 });
    const c = await mapLayout(small.features, 60, 16, { ...options, seed: 4 });
    expect([...a.positions]).toEqual([...b.positions]);
    expect([...a.positions]).not.toEqual([...c.positions]);
  }, 60_000);

  it('stops with an AbortError when cancelled mid-layout', async () => {
    const controller = new AbortController();
    const run = mapLayout(data.features, rows, 96, {
      seed: 1,
      onProgress: (p) => {
        if (p.stage === 'layout' && p.fraction > 0) controller.abort();
      },
      signal: controller.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  }, 60_000);

  it('lays out one or two rows without UMAP', async () => {
    const layout = await mapLayout(new Float32Array([1, 2, 3, 4]), 2, 2);
    expect([...layout.positions]).toEqual([0, 0, 1, 0]);
  });
});
