import type { SearchState } from '../../state/search/search.ts';
import { objectiveSeries } from '../../state/search/search.ts';

const W = 360;
const H = 180;
const PAD = 32;

/** The objective of each trial (dots; pruned hollow) and the best so far (line). */
export function SearchChart({ search }: { search: SearchState }) {
  const series = objectiveSeries(search);
  const values = series.flatMap((p) => (p.value === null ? [] : [p.value]));
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const span = hi - lo || 1;
  const x = (i: number) => PAD + (series.length <= 1 ? 0 : (i / (series.length - 1)) * (W - 2 * PAD));
  const y = (v: number) => H - PAD - ((v - lo) / span) * (H - 2 * PAD);
  const bestPath = series
    .map((p, i) => (p.best === null ? null : `${x(i)},${y(p.best)}`))
    .filter((p): p is string => p !== null)
    .join(' ');
  return (
    <figure
      className="fs-search-chart"
      aria-label="Objective by trial chart"
      data-trials={series.length}
      data-values={values.length}
    >
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${search.metric} by trial`}>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} stroke="currentColor" opacity={0.3} />
        <line x1={PAD} y1={PAD} x2={PAD} y2={H - PAD} stroke="currentColor" opacity={0.3} />
        <text x={2} y={PAD} fontSize={10} fill="currentColor">
          {hi.toPrecision(3)}
        </text>
        <text x={2} y={H - PAD} fontSize={10} fill="currentColor">
          {lo.toPrecision(3)}
        </text>
        <text x={W / 2} y={H - 6} fontSize={10} fill="currentColor" textAnchor="middle">
          trial
        </text>
        {bestPath ? (
          <polyline points={bestPath} fill="none" stroke="var(--fs-accent)" strokeWidth={2} />
        ) : null}
        {series.map((p, i) =>
          p.value === null ? null : (
            <circle
              key={i}
              cx={x(i)}
              cy={y(p.value)}
              r={4}
              fill={search.trials[i]?.state === 'pruned' ? 'none' : 'var(--fs-accent)'}
              stroke="var(--fs-accent)"
            >
              <title>{`trial ${i}: ${p.value.toPrecision(4)} (${search.trials[i]?.state ?? ''})`}</title>
            </circle>
          ),
        )}
      </svg>
      <figcaption className="fs-muted fs-small">
        {search.metric} by trial ({search.direction === 'minimize' ? 'lower' : 'higher'} is better); the line
        is the best so far, hollow dots were pruned.
      </figcaption>
    </figure>
  );
}
