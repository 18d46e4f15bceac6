import { useId, useMemo } from 'react';
import { setMaxLength } from '../../state/data.ts';
import { useStudio } from '../../state/store.ts';
import { formatCount, formatPercent } from '../format.ts';

/** Texts longer than `maxLength` tokens, of all measured. */
export function textsCut(lengths: Int32Array, maxLength: number): number {
  let cut = 0;
  for (const length of lengths) if (length > maxLength) cut += 1;
  return cut;
}

/**
 * The run's max length where the run is set up: the same setting as the Data step's histogram,
 * with how many texts it cuts, so an automatic choice that cuts texts is seen before training.
 */
export function MaxLengthField({ maxLength }: { maxLength: number }) {
  const id = useId();
  const stats = useStudio((s) => s.data.tokenStats);
  const cut = useMemo(() => (stats ? textsCut(stats.lengths, maxLength) : 0), [stats, maxLength]);
  const total = stats?.lengths.length ?? 0;
  return (
    <div className="fs-hp">
      <div className="fs-hp-input">
        <label htmlFor={id}>Max length (tokens)</label>
      </div>
      <div className="fs-hp-input">
        <input
          id={id}
          type="number"
          min={8}
          max={stats?.modelMaxLength ?? 512}
          step={8}
          value={maxLength}
          aria-describedby={`${id}-help`}
          onChange={(event) => {
            const value = Number(event.currentTarget.value);
            if (Number.isFinite(value) && value > 0) setMaxLength(value);
          }}
        />
        {stats && maxLength !== stats.suggestedMaxLength ? (
          <button
            type="button"
            className="fs-button fs-button-small"
            onClick={() => setMaxLength(stats.suggestedMaxLength)}
          >
            Use suggested ({stats.suggestedMaxLength})
          </button>
        ) : null}
      </div>
      <p className="fs-hp-help" id={`${id}-help`} aria-live="polite">
        {!stats
          ? 'Texts are cut to this many tokens.'
          : cut > 0
            ? `Cuts ${formatCount(cut)} of ${formatCount(total)} texts (${formatPercent(cut / Math.max(1, total), 1)}); the Data step's histogram shows where.`
            : `Cuts no text: the longest has ${formatCount(stats.percentiles.max)} tokens.`}
      </p>
    </div>
  );
}
