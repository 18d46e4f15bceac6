import { useState } from 'react';
import type { SearchState } from '../../state/search/search.ts';

const W = 360;
const H = 180;
const PAD = 32;

/** One searched parameter against the objective, one dot per finished trial (log axis for log ranges). */
export function SearchScatter({ search, params }: { search: SearchState; params: readonly string[] }) {
  const [param, setParam] = useState(params[0] ?? 'learning_rate');
  const points = search.trials.flatMap((trial) => {
    const value = trial.params[param];
    return typeof value === 'number' && trial.value !== null
      ? [{ p: value, v: trial.value, n: trial.number }]
      : [];
  });
  const logScale = points.length > 0 && points.every((q) => q.p > 0) && param === 'learning_rate';
  const px = (p: number) => (logScale ? Math.log10(p) : p);
  const xs = points.map((q) => px(q.p));
  const vs = points.map((q) => q.v);
  const [xlo, xhi] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  const [vlo, vhi] = vs.length ? [Math.min(...vs), Math.max(...vs)] : [0, 1];
  const x = (p: number) => PAD + ((px(p) - xlo) / (xhi - xlo || 1)) * (W - 2 * PAD);
  const y = (v: number) => H - PAD - ((v - vlo) / (vhi - vlo || 1)) * (H - 2 * PAD);
  return (
    <figure
      className="fs-search-chart"
      aria-label="Parameter against objective chart"
      data-points={points.length}
    >
      <label className="fs-small">
        Parameter{' '}
        <select className="fs-select" value={param} onChange={(e) => setParam(e.target.value)}>
          {params.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${param} against ${search.metric}`}>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} stroke="currentColor" opacity={0.3} />
        <line x1={PAD} y1={PAD} x2={PAD} y2={H - PAD} stroke="currentColor" opacity={0.3} />
        <text x={W / 2} y={H - 6} fontSize={10} fill="currentColor" textAnchor="middle">
          {param}
          {logScale ? ' (log)' : ''}
        </text>
        {points.map((q) => (
          <circle key={q.n} cx={x(q.p)} cy={y(q.v)} r={4} fill="var(--fs-accent)">
            <title>{`trial ${q.n}: ${param} ${q.p}, ${search.metric} ${q.v.toPrecision(4)}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}
