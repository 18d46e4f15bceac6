import { memo, useMemo } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { setMaxLength } from '../../state/data.ts';
import type { TokenStats } from '../../state/types.ts';
import { formatCount, formatPercent } from '../format.ts';

interface Bin {
  start: number;
  label: string;
  count: number;
}

function histogram(lengths: Int32Array, limit: number): { bins: Bin[]; width: number } {
  let max = 0;
  for (const length of lengths) if (length > max) max = length;
  const top = Math.max(8, Math.min(max, limit * 2));
  const width = Math.max(1, Math.ceil(top / 40 / 4) * 4);
  const count = Math.ceil((top + 1) / width);
  const bins: Bin[] = Array.from({ length: count }, (_, i) => ({
    start: i * width,
    label: `${i * width}–${(i + 1) * width - 1}`,
    count: 0,
  }));
  for (const length of lengths) {
    const bin = bins[Math.min(count - 1, Math.floor(length / width))];
    if (bin) bin.count += 1;
  }
  return { bins, width };
}

/** Token lengths of the kept texts, the max-length control, and how many texts it would cut. */
export const TokenLengths = memo(function TokenLengths({
  stats,
  maxLength,
}: {
  stats: TokenStats;
  maxLength: number;
}) {
  const { bins } = useMemo(() => histogram(stats.lengths, stats.modelMaxLength), [stats]);
  // The Train step shows the same count (MaxLengthField); both count length > maxLength.
  const { cut, tokensCut } = useMemo(() => {
    let texts = 0;
    let tokens = 0;
    for (const length of stats.lengths) {
      if (length > maxLength) {
        texts += 1;
        tokens += length - maxLength;
      }
    }
    return { cut: texts, tokensCut: tokens };
  }, [stats, maxLength]);
  const total = stats.lengths.length;
  return (
    <section className="fs-card" aria-labelledby="fs-tokens-title">
      <h3 id="fs-tokens-title">Token lengths</h3>
      <p className="fs-muted fs-small">
        Median {stats.percentiles.p50}, 95th percentile {stats.percentiles.p95}, longest{' '}
        {formatCount(stats.percentiles.max)} tokens (model limit {stats.modelMaxLength}).
      </p>
      <div role="img" aria-label="Histogram of token lengths with the max length marked">
        <ResponsiveContainer width="100%" height={180}>
          <BarChart data={bins} margin={{ top: 8, right: 16, bottom: 4, left: 0 }} barCategoryGap={1}>
            <CartesianGrid vertical={false} stroke="var(--fs-grid)" />
            <XAxis dataKey="start" stroke="var(--fs-muted)" fontSize={12} />
            <YAxis allowDecimals={false} stroke="var(--fs-muted)" fontSize={12} width={48} />
            <Tooltip
              cursor={{ fill: 'var(--fs-hover)' }}
              contentStyle={{
                background: 'var(--fs-surface)',
                border: '1px solid var(--fs-border)',
                color: 'var(--fs-text)',
              }}
              labelFormatter={(_, payload) => `${payload?.[0]?.payload?.label ?? ''} tokens`}
              formatter={(value) => [formatCount(Number(value)), 'texts']}
            />
            <Bar dataKey="count" fill="var(--fs-accent-2)" isAnimationActive={false} />
            <ReferenceLine
              x={bins.reduce((best, bin) => (bin.start <= maxLength ? bin.start : best), 0)}
              stroke="var(--fs-danger)"
              strokeDasharray="4 3"
              label={{
                value: `max ${maxLength}`,
                fill: 'var(--fs-danger)',
                fontSize: 12,
                position: 'insideTopRight',
              }}
            />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <div className="fs-form-row">
        <label className="fs-field fs-field-inline">
          <span>Max length (tokens)</span>
          <input
            type="number"
            min={8}
            max={stats.modelMaxLength}
            step={8}
            value={maxLength}
            onChange={(event) => {
              const value = Number(event.currentTarget.value);
              if (Number.isFinite(value) && value > 0) setMaxLength(value);
            }}
          />
        </label>
        <input
          type="range"
          className="fs-range"
          aria-label="Max length slider"
          min={8}
          max={stats.modelMaxLength}
          step={8}
          value={maxLength}
          onChange={(event) => setMaxLength(Number(event.currentTarget.value))}
        />
        {maxLength !== stats.suggestedMaxLength ? (
          <button
            type="button"
            className="fs-button fs-button-small"
            onClick={() => setMaxLength(stats.suggestedMaxLength)}
          >
            Use suggested ({stats.suggestedMaxLength})
          </button>
        ) : (
          <span className="fs-muted fs-small">Suggested: covers 95% of texts.</span>
        )}
      </div>
      <p aria-live="polite" className={cut > 0 ? 'fs-warn-text' : 'fs-ok-text'}>
        {cut > 0
          ? `${formatCount(cut)} of ${formatCount(total)} texts (${formatPercent(cut / Math.max(1, total), 1)}) are longer and would be cut, losing ${formatCount(tokensCut)} tokens.`
          : `No text is longer than ${maxLength} tokens; nothing is cut.`}
      </p>
    </section>
  );
});
