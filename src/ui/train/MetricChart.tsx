import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
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
}

const AXIS_TICK = { fontSize: 11, fill: 'var(--fs-muted, #6b7280)' };

function defaultFormat(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e4)) return value.toExponential(1);
  return Number(value.toPrecision(3)).toString();
}

/**
 * A line chart of one or more metric series. Each line is downsampled with LTTB before drawing, so
 * the cost of a redraw is bounded however long the run is. The figure carries the total number of
 * points and the primary series' last value as data attributes, which tests and screen readers use.
 */
function MetricChartInner({
  title,
  label,
  series,
  xLabel = 'step',
  yFormat = defaultFormat,
  yDomain = ['auto', 'auto'],
  emptyText,
  maxPoints = 400,
}: MetricChartProps) {
  const drawn = useMemo(
    () => series.map((s) => ({ ...s, drawnPoints: lttb(s.points, maxPoints) })),
    [series, maxPoints],
  );
  const primary = series[0];
  const total = series.reduce((sum, s) => sum + s.points.length, 0);
  const primaryLast = primary?.points[primary.points.length - 1];
  return (
    <figure
      className="fs-chart"
      aria-label={label}
      data-points={primary?.points.length ?? 0}
      data-total-points={total}
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
        <div className="fs-chart-body">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart margin={{ top: 6, right: 12, bottom: 4, left: 0 }}>
              <CartesianGrid stroke="var(--fs-grid, #e5e7eb)" strokeDasharray="3 3" />
              <XAxis
                type="number"
                dataKey="x"
                domain={['dataMin', 'dataMax']}
                allowDuplicatedCategory={false}
                tick={AXIS_TICK}
                tickCount={6}
                // A fixed interval: the default one measures every tick label in the DOM on each redraw.
                interval={0}
                tickFormatter={(v: number) => defaultFormat(v)}
                label={{
                  value: xLabel,
                  position: 'insideBottomRight',
                  offset: -2,
                  fontSize: 11,
                  fill: AXIS_TICK.fill,
                }}
                height={32}
              />
              <YAxis
                type="number"
                domain={yDomain}
                tick={AXIS_TICK}
                tickCount={5}
                interval={0}
                tickFormatter={(v: number) => yFormat(v)}
                width={52}
              />
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
              {drawn.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
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
                  dot={s.dots ? { r: 2.5, fill: s.color } : false}
                  activeDot={{ r: 3 }}
                  isAnimationActive={false}
                  connectNulls
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

export const MetricChart = memo(MetricChartInner);
