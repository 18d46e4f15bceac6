// Drawing helpers for long metric series: the store keeps every point, the charts draw at most a
// few hundred per line so a 10,000-step run stays smooth while it updates ten times a second.

export interface XY {
  x: number;
  y: number;
}

/**
 * Largest-Triangle-Three-Buckets: keeps the first and last point and, per bucket, the point that
 * spans the largest triangle with its neighbours, so peaks and dips survive the downsampling.
 */
export function lttb<T extends XY>(points: readonly T[], threshold: number): T[] {
  const n = points.length;
  if (threshold >= n || threshold < 3) return points.slice();
  const sampled: T[] = [points[0]!];
  const bucketSize = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const nextStart = Math.floor((i + 1) * bucketSize) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * bucketSize) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += points[j]!.x;
      avgY += points[j]!.y;
    }
    const nextLength = Math.max(nextEnd - nextStart, 1);
    avgX /= nextLength;
    avgY /= nextLength;

    const start = Math.floor(i * bucketSize) + 1;
    const end = Math.floor((i + 1) * bucketSize) + 1;
    const pa = points[a]!;
    let maxArea = -1;
    let chosen = start;
    for (let j = start; j < end; j++) {
      const p = points[j]!;
      const area = Math.abs((pa.x - avgX) * (p.y - pa.y) - (pa.x - p.x) * (avgY - pa.y));
      if (area > maxArea) {
        maxArea = area;
        chosen = j;
      }
    }
    sampled.push(points[chosen]!);
    a = chosen;
  }
  sampled.push(points[n - 1]!);
  return sampled;
}

/**
 * Exponential moving average with the bias correction TensorBoard uses, so the smoothed line
 * starts at the first value instead of rising from zero.
 */
export function smoothEma(values: readonly number[], weight: number): number[] {
  const out = new Array<number>(values.length);
  let last = 0;
  let debias = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    debias = debias * weight + (1 - weight);
    out[i] = last / debias;
  }
  return out;
}
