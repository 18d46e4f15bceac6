import { memo } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { LabelCount } from '../../state/types.ts';
import { formatCount } from '../format.ts';

const ROW = 22;

interface TickProps {
  x?: number | string;
  y?: number | string;
  payload?: { value?: unknown };
}

/**
 * A plain SVG label: recharts' default tick measures every word in the DOM to wrap it, which costs
 * over 100 ms on the main thread for 77 labels; one line, cut to 30 characters, needs no measuring.
 */
function LabelTick({ x = 0, y = 0, payload }: TickProps) {
  const label = String(payload?.value ?? '');
  return (
    <text x={Number(x) - 6} y={Number(y)} dy={4} textAnchor="end" fill="var(--fs-muted)" fontSize={12}>
      <title>{label}</title>
      {label.length > 30 ? `${label.slice(0, 29)}…` : label}
    </text>
  );
}

/** How many rows carry each label, largest first. */
export const LabelChart = memo(function LabelChart({
  counts,
  title,
}: {
  counts: LabelCount[];
  title: string;
}) {
  const data = [...counts].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  const longest = data.reduce((max, item) => Math.max(max, item.label.length), 0);
  const axisWidth = Math.min(220, Math.max(60, longest * 7));
  const height = Math.max(120, data.length * ROW + 40);
  return (
    <section className="fs-card fs-label-chart" aria-labelledby="fs-labels-title">
      <h3 id="fs-labels-title">
        {title} <span className="fs-muted">· {formatCount(data.length)} labels</span>
      </h3>
      {data.length === 0 ? (
        <p className="fs-muted">No labels found in this column.</p>
      ) : (
        <div className="fs-chart-scroll" role="img" aria-label={`Bar chart of ${data.length} label counts`}>
          <ResponsiveContainer width="100%" height={height}>
            <BarChart data={data} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 4 }}>
              <CartesianGrid horizontal={false} stroke="var(--fs-grid)" />
              <XAxis
                type="number"
                allowDecimals={false}
                stroke="var(--fs-muted)"
                fontSize={12}
                tickFormatter={(value: number) => formatCount(value)}
              />
              <YAxis
                type="category"
                dataKey="label"
                width={axisWidth}
                interval={0}
                stroke="var(--fs-muted)"
                tick={<LabelTick />}
              />
              <Tooltip
                cursor={{ fill: 'var(--fs-hover)' }}
                contentStyle={{
                  background: 'var(--fs-surface)',
                  border: '1px solid var(--fs-border)',
                  color: 'var(--fs-text)',
                }}
                formatter={(value) => [formatCount(Number(value)), 'rows']}
              />
              <Bar dataKey="count" fill="var(--fs-accent)" isAnimationActive={false} barSize={14} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      )}
    </section>
  );
});
