import { memo, startTransition, useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { lttb, type XY } from './series.ts';

export interface ChartSeries {
  id: string;
  name: string;
  color: string;
  points: readonly XY[];
  dashed?: boolean;
  faint?: boolean;
  /** Draw a marker on each point (sparse series such as evaluations). */
  dots?: boolean;
}

interface MetricChartProps {
  title: string;
  /** Accessible name of the figure, e.g. "Training loss chart". */
  label: string;
  series: readonly ChartSeries[];
  xLabel?: string;
  yFormat?: (value: number) => string;
  yDomain?: [number | 'auto', number | 'auto'];
  emptyText: string;
  /** Points drawn per line at most; the full series stays in the store. */
  maxPoints?: number;
  /**
   * Charts updated by the same event redraw in turn, this many slots of DRAW_SLOT_MS apart, so
   * each redraw is a task of its own rather than all of them one long task.
   */
  drawSlot?: number;
}

const AXIS_TICK = { fontSize: 11, fill: 'var(--fs-muted, #6b7280)' };
const AUTO_DOMAIN: [number | 'auto', number | 'auto'] = ['auto', 'auto'];

function defaultFormat(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e4)) return value.toExponential(1);
  return Number(value.toPrecision(3)).toString();
}

/** Beyond this many points a line has no markers: hundreds of dots read as one blur, and each
 *  is an element to redraw. */
const MAX_DOTS = 60;

/** Redraws of one chart are at least this far apart (ten a second at most). */
const DRAW_INTERVAL_MS = 100;
const DRAW_SLOT_MS = 25;

/**
 * The series the plot draws: it follows `series` at most every DRAW_INTERVAL_MS, after
 * `delayMs`, and as a transition, so React renders it in slices between other work and input
 * never waits for a chart. The figure's numbers (points, latest value) follow `series` at once.
 */
function useDrawnSeries(series: readonly ChartSeries[], delayMs: number): readonly ChartSeries[] {
  const [drawn, setDrawn] = useState(series);
  const latest = useRef(series);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const lastDrawAt = useRef(-Infinity);
  useEffect(() => {
    latest.current = series;
    if (timer.current !== null || series === drawn) return;
    const wait = Math.max(delayMs, lastDrawAt.current + DRAW_INTERVAL_MS - performance.now());
    timer.current = setTimeout(() => {
      timer.current = null;
      lastDrawAt.current = performance.now();
      startTransition(() => setDrawn(latest.current));
    }, wait);
  }, [series, drawn, delayMs]);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    },
    [],
  );
  return drawn;
}

interface TickProps {
  x: number;
  y: number;
  textAnchor: 'start' | 'middle' | 'end';
  payload: { value: number };
  index: number;
}

/**
 * Axis labels as plain SVG text. Recharts' own tick labels measure every new label in the DOM,
 * which forces a layout of the whole page on each redraw of a growing chart.
 */
function tickRenderer(format: (value: number) => string, dy: string): (props: unknown) => ReactElement {
  return function AxisTick(props) {
    const { x, y, textAnchor, payload } = props as TickProps;
    return (
      <text x={x} y={y} dy={dy} textAnchor={textAnchor} fontSize={AXIS_TICK.fontSize} fill={AXIS_TICK.fill}>
        {format(payload.value)}
      </text>
    );
  };
}

interface PlotProps {
  series: readonly ChartSeries[];
  xLabel: string;
  yFormat: (value: number) => string;
  yDomain: [number | 'auto', number | 'auto'];
  maxPoints: number;
}

const Plot = memo(function Plot({ series, xLabel, yFormat, yDomain, maxPoints }: PlotProps) {
  const drawn = useMemo(
    () => series.map((s) => ({ ...s, drawnPoints: lttb(s.points, maxPoints) })),
    [series, maxPoints],
  );
  const xTick = useMemo(() => tickRenderer(defaultFormat, '0.71em'), []);
  const yTick = useMemo(() => tickRenderer(yFormat, '0.32em'), [yFormat]);
  // The tooltip measures itself on every redraw; it is only there while someone reads it.
  const [inspecting, setInspecting] = useState(false);
  return (
    <div
      className="fs-chart-body"
      onPointerEnter={() => setInspecting(true)}
      onPointerLeave={() => setInspecting(false)}
      onFocus={() => setInspecting(true)}
      onBlur={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setInspecting(false);
      }}
    >
      <ResponsiveContainer width="100%" height="100%">
        <LineChart margin={{ top: 6, right: 12, bottom: 4, left: 0 }}>
          <CartesianGrid stroke="var(--fs-grid, #e5e7eb)" strokeDasharray="3 3" />
          <XAxis
            type="number"
            dataKey="x"
            domain={['dataMin', 'dataMax']}
            allowDuplicatedCategory={false}
            tick={xTick}
            tickCount={6}
            // A fixed interval: the default one measures every tick label in the DOM on each redraw.
            interval={0}
            label={{
              value: xLabel,
              position: 'insideBottomRight',
              offset: -2,
              fontSize: 11,
              fill: AXIS_TICK.fill,
            }}
            height={32}
          />
          <YAxis type="number" domain={yDomain} tick={yTick} tickCount={5} interval={0} width={52} />
          {inspecting && (
            <Tooltip
              formatter={(value) => (typeof value === 'number' ? yFormat(value) : String(value))}
              labelFormatter={(value) => `${xLabel} ${String(value)}`}
              contentStyle={{
                background: 'var(--fs-surface, #fff)',
                border: '1px solid var(--fs-border, #d1d5db)',
                color: 'var(--fs-text, #111827)',
                fontSize: 12,
              }}
            />
          )}
          {drawn.map((s) => (
            <Line
              key={s.id}
              data={s.drawnPoints as XY[]}
              dataKey="y"
              name={s.name}
              type="linear"
              stroke={s.color}
              strokeWidth={s.faint ? 1 : 2}
              strokeOpacity={s.faint ? 0.35 : 1}
              strokeDasharray={s.dashed ? '5 4' : undefined}
              dot={s.dots && s.drawnPoints.length <= MAX_DOTS ? { r: 2.5, fill: s.color } : false}
              activeDot={{ r: 3 }}
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
});

/**
 * A line chart of one or more metric series. Each line is downsampled with LTTB before drawing, so
 * the cost of a redraw is bounded however long the run is, and redraws are throttled and rendered
 * as transitions (see useDrawnSeries). The figure carries the total number of points and the
 * primary series' last point (x and y) as data attributes, which tests and screen readers use.
 */
function MetricChartInner({
  title,
  label,
  series,
  xLabel = 'step',
  yFormat = defaultFormat,
  yDomain = AUTO_DOMAIN,
  emptyText,
  maxPoints = 400,
  drawSlot = 0,
}: MetricChartProps) {
  const drawnSeries = useDrawnSeries(series, drawSlot * DRAW_SLOT_MS);
  const primary = series[0];
  const total = series.reduce((sum, s) => sum + s.points.length, 0);
  const primaryLast = primary?.points[primary.points.length - 1];
  return (
    <figure
      className="fs-chart"
      aria-label={label}
      data-points={primary?.points.length ?? 0}
      data-total-points={total}
      data-last-x={primaryLast ? String(primaryLast.x) : ''}
      data-last-y={primaryLast ? String(primaryLast.y) : ''}
    >
      <figcaption className="fs-chart-title">
        <span>{title}</span>
        {primaryLast && (
          <span className="fs-chart-last" aria-label={`${title}, latest value`}>
            {yFormat(primaryLast.y)}
          </span>
        )}
      </figcaption>
      {total === 0 ? (
        <p className="fs-chart-empty">{emptyText}</p>
      ) : (
        <>
          <Plot
            series={drawnSeries}
            xLabel={xLabel}
            yFormat={yFormat}
            yDomain={yDomain}
            maxPoints={maxPoints}
          />
          {series.length > 1 && (
            <ul className="fs-chart-legend" aria-label={`${title}, lines`}>
              {series.map((s) => (
                <li key={s.id}>
                  <svg width="18" height="8" aria-hidden="true">
                    <line
                      x1="1"
                      y1="4"
                      x2="17"
                      y2="4"
                      stroke={s.color}
                      strokeWidth={s.faint ? 1.5 : 2.5}
                      strokeOpacity={s.faint ? 0.45 : 1}
                      strokeDasharray={s.dashed ? '4 3' : undefined}
                    />
                  </svg>
                  {s.name}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </figure>
  );
}

export const MetricChart = memo(MetricChartInner);
