// Frame time of the data map while panning: the studio's own drawing (ui/evaluate/map-drawing.ts)
// of `points` clustered points into a 720 × 480 canvas, the view moved a few pixels every
// animation frame as a drag moves it. Reports the time each frame's drawing took (clearing the
// image, writing every point, putting it on the canvas) and the interval between frames.
import { createRng } from '../../../src/core/util/index.ts';
import { drawPoints, fitView } from '../../../src/ui/evaluate/map-drawing.ts';
import type { MapFramesReport, MapFramesRequest } from '../types.ts';

const WIDTH = 720;
const HEIGHT = 480;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted[sorted.length - 1]! };
};

export async function runMapFrameBench(request: MapFramesRequest): Promise<MapFramesReport> {
  const { points, frames } = request;
  const rng = createRng('map-frames');
  // Points around 20 centres, as a layout of labelled rows clusters them; 10 labels' colours.
  const centres = Array.from({ length: 20 }, () => [rng.normal() * 10, rng.normal() * 10] as const);
  const positions = new Float32Array(points * 2);
  const index = new Uint16Array(points);
  for (let p = 0; p < points; p++) {
    const c = rng.int(centres.length);
    positions[2 * p] = centres[c]![0] + rng.normal();
    positions[2 * p + 1] = centres[c]![1] + rng.normal();
    index[p] = c % 10;
  }
  const palette = Uint8Array.from({ length: 30 }, () => rng.int(256));
  const canvas = document.createElement('canvas');
  canvas.width = WIDTH;
  canvas.height = HEIGHT;
  document.body.append(canvas);
  const context = canvas.getContext('2d')!;
  const start = fitView(positions, WIDTH, HEIGHT);
  const draws: number[] = [];
  const intervals: number[] = [];
  await new Promise<void>((resolve) => {
    let previous = 0;
    const frame = (now: number) => {
      if (previous > 0) intervals.push(now - previous);
      previous = now;
      const t0 = performance.now();
      const view = {
        ...start,
        offsetX: start.offsetX + 3 * draws.length,
        offsetY: start.offsetY + draws.length,
      };
      const image = context.createImageData(WIDTH, HEIGHT);
      drawPoints(image.data, WIDTH, HEIGHT, positions, { index, palette }, view);
      context.putImageData(image, 0, 0);
      draws.push(performance.now() - t0);
      if (draws.length < frames) requestAnimationFrame(frame);
      else resolve();
    };
    requestAnimationFrame(frame);
  });
  canvas.remove();
  return { points, frames, drawMs: summary(draws), frameMs: summary(intervals) };
}
