import { useEffect, useMemo, useRef, useState } from 'react';
import { pointsInBox, type PointColors } from '../../state/quality/index.ts';
import { drawPoints, fitView, mapBounds, type MapView } from './map-drawing.ts';

const WIDTH = 720;
const HEIGHT = 480;
/** Hover picks the nearest point within this many pixels. */
const HOVER_RADIUS = 6;
/** Cells per side of the grid the hover looks points up in. */
const GRID = 128;

/** Points bucketed by a grid over the map's bounds, for finding the one under the pointer. */
function buildGrid(positions: Float32Array) {
  const [minX, minY, maxX, maxY] = mapBounds(positions);
  const cell = Math.max(maxX - minX, maxY - minY, 1e-6) / GRID;
  const cellOf = (x: number, y: number) => {
    const cx = Math.min(GRID - 1, Math.max(0, Math.floor((x - minX) / cell)));
    const cy = Math.min(GRID - 1, Math.max(0, Math.floor((y - minY) / cell)));
    return [cx, cy] as const;
  };
  const buckets = new Map<number, number[]>();
  for (let p = 0; p < positions.length / 2; p++) {
    const [cx, cy] = cellOf(positions[2 * p]!, positions[2 * p + 1]!);
    const key = cy * GRID + cx;
    const bucket = buckets.get(key);
    if (bucket) bucket.push(p);
    else buckets.set(key, [p]);
  }
  /** The nearest point to (x, y) within `radius` map units, or -1. */
  return (x: number, y: number, radius: number): number => {
    const [x0, y0] = cellOf(x - radius, y - radius);
    const [x1, y1] = cellOf(x + radius, y + radius);
    let best = -1;
    let bestDistance = radius * radius;
    for (let cy = y0; cy <= y1; cy++) {
      for (let cx = x0; cx <= x1; cx++) {
        for (const p of buckets.get(cy * GRID + cx) ?? []) {
          const d = (positions[2 * p]! - x) ** 2 + (positions[2 * p + 1]! - y) ** 2;
          if (d <= bestDistance) {
            bestDistance = d;
            best = p;
          }
        }
      }
    }
    return best;
  };
}

/**
 * Every point of the map drawn into one image per frame (2×2 pixels each, no DOM node per
 * point), so 100,000 points pan and zoom smoothly. Drag pans, the wheel zooms about the pointer,
 * Shift + drag selects the points in a box, hovering reports the nearest point. It fits the view to
 * the positions it starts with: give a new map a new `key`.
 */
export function MapCanvas({
  positions,
  colors,
  onHover,
  onSelect,
}: {
  positions: Float32Array;
  colors: PointColors;
  onHover: (point: number | null) => void;
  onSelect: (points: number[]) => void;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [view, setView] = useState<MapView>(() => fitView(positions, WIDTH, HEIGHT));
  const [box, setBox] = useState<[number, number, number, number] | null>(null);
  const drag = useRef<{ x: number; y: number; view: MapView; selecting: boolean } | null>(null);
  const nearest = useMemo(() => buildGrid(positions), [positions]);

  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(WIDTH, HEIGHT);
    drawPoints(image.data, WIDTH, HEIGHT, positions, colors, view);
    context.putImageData(image, 0, 0);
    if (box) {
      context.strokeStyle = 'rgba(30, 30, 30, 0.8)';
      context.setLineDash([4, 3]);
      context.strokeRect(box[0], box[1], box[2] - box[0], box[3] - box[1]);
    }
  }, [positions, colors, view, box]);

  const local = (event: { clientX: number; clientY: number }) => {
    const rect = canvas.current!.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * WIDTH) / rect.width,
      ((event.clientY - rect.top) * HEIGHT) / rect.height,
    ] as const;
  };
  const toMap = (x: number, y: number, v: MapView) =>
    [(x - v.offsetX) / v.scale, (y - v.offsetY) / v.scale] as const;

  // The wheel zooms the map, not the page: React's wheel listener is passive and cannot stop the
  // page from scrolling, so the canvas gets its own.
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const zoom = (event: WheelEvent) => {
      event.preventDefault();
      const [x, y] = local(event);
      const factor = Math.exp(-event.deltaY * 0.0015);
      setView((v) => ({
        scale: v.scale * factor,
        offsetX: x - (x - v.offsetX) * factor,
        offsetY: y - (y - v.offsetY) * factor,
      }));
    };
    element.addEventListener('wheel', zoom, { passive: false });
    return () => element.removeEventListener('wheel', zoom);
  }, []);

  return (
    <canvas
      ref={canvas}
      className="fs-map-canvas"
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={`Data map of ${positions.length / 2} rows: drag to pan, scroll to zoom, Shift + drag to select`}
      data-testid="data-map"
      onPointerDown={(event) => {
        const [x, y] = local(event);
        drag.current = { x, y, view, selecting: event.shiftKey };
        canvas.current?.setPointerCapture?.(event.pointerId);
      }}
      onPointerMove={(event) => {
        const [x, y] = local(event);
        const state = drag.current;
        if (state?.selecting) {
          setBox([state.x, state.y, x, y]);
        } else if (state) {
          setView({
            ...state.view,
            offsetX: state.view.offsetX + x - state.x,
            offsetY: state.view.offsetY + y - state.y,
          });
        } else {
          const [mx, my] = toMap(x, y, view);
          const point = nearest(mx, my, HOVER_RADIUS / view.scale);
          onHover(point < 0 ? null : point);
        }
      }}
      onPointerUp={(event) => {
        const state = drag.current;
        drag.current = null;
        if (!state?.selecting) return;
        const [x, y] = local(event);
        setBox(null);
        onSelect(pointsInBox(positions, toMap(state.x, state.y, view), toMap(x, y, view)));
      }}
      onPointerLeave={() => onHover(null)}
    />
  );
}
