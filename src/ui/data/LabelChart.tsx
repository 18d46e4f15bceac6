import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { LabelCount } from '../../state/types.ts';
import { formatCount } from '../format.ts';

const ROW = 22;

/** How many rows carry each label, largest first. */
export function LabelChart({ counts, title }: { counts: LabelCount[]; title: string }) {
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
                fontSize={12}
                tickFormatter={(label: string) => (label.length > 30 ? `${label.slice(0, 29)}…` : label)}
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
}
