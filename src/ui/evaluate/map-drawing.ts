// The data map's drawing, apart from React so the frame-time benchmark draws exactly what the
// studio draws: every point as 2×2 pixels of one image (no DOM node or path per point).

/** Map coordinates → canvas pixels: x·scale + offsetX (y likewise). */
export interface MapView {
  scale: number;
  offsetX: number;
  offsetY: number;
}

/** Each point's colour: an index into `palette`, RGB triples. */
export interface MapColors {
  index: Uint16Array;
  palette: Uint8Array;
}

/** The smallest box holding every point: [minX, minY, maxX, maxY]. */
export function mapBounds(positions: Float32Array): [number, number, number, number] {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let p = 0; p < positions.length; p += 2) {
    minX = Math.min(minX, positions[p]!);
    maxX = Math.max(maxX, positions[p]!);
    minY = Math.min(minY, positions[p + 1]!);
    maxY = Math.max(maxY, positions[p + 1]!);
  }
  return [minX, minY, maxX, maxY];
}

/** The view that fits every point into a width × height canvas with a margin. */
export function fitView(positions: Float32Array, width: number, height: number, margin = 16): MapView {
  const [minX, minY, maxX, maxY] = mapBounds(positions);
  const span = Math.max(maxX - minX, maxY - minY, 1e-6);
  const scale = Math.min((width - 2 * margin) / span, (height - 2 * margin) / span);
  return {
    scale,
    offsetX: width / 2 - ((minX + maxX) / 2) * scale,
    offsetY: height / 2 - ((minY + maxY) / 2) * scale,
  };
}

/** Writes every point inside the view into `pixels` (RGBA, width × height, cleared beforehand). */
export function drawPoints(
  pixels: Uint8ClampedArray,
  width: number,
  height: number,
  positions: Float32Array,
  colors: MapColors,
  view: MapView,
): void {
  const { index, palette } = colors;
  for (let p = 0; p < positions.length / 2; p++) {
    const px = Math.round(positions[2 * p]! * view.scale + view.offsetX);
    const py = Math.round(positions[2 * p + 1]! * view.scale + view.offsetY);
    if (px < 0 || py < 0 || px >= width - 1 || py >= height - 1) continue;
    const c = index[p]! * 3;
    const r = palette[c]!;
    const g = palette[c + 1]!;
    const b = palette[c + 2]!;
    for (const at of [
      py * width + px,
      py * width + px + 1,
      (py + 1) * width + px,
      (py + 1) * width + px + 1,
    ]) {
      pixels[at * 4] = r;
      pixels[at * 4 + 1] = g;
      pixels[at * 4 + 2] = b;
      pixels[at * 4 + 3] = 255;
    }
  }
}
