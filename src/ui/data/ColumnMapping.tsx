import { memo } from 'react';
import { confirmMapping, updateMapping, updateSplit } from '../../state/data.ts';
import { useStudio } from '../../state/store.ts';
import { formatCount } from '../format.ts';

const SEPARATORS = [
  { value: '|', label: 'pipe  |' },
  { value: ';', label: 'semicolon  ;' },
  { value: ',', label: 'comma  ,' },
];

function columnOptionLabel(name: string, distinct: number | undefined): string {
  if (distinct === undefined) return name;
  return `${name} (${distinct > 10_000 ? 'over 10,000' : formatCount(distinct)} distinct)`;
}

/** Which column is what; the worker's guesses come pre-selected. */
export const ColumnMapping = memo(function ColumnMapping() {
  const opened = useStudio((state) => state.data.opened);
  const mapping = useStudio((state) => state.data.mapping);
  const split = useStudio((state) => state.data.split);
  const confirmed = useStudio((state) => state.data.confirmed);
  const analyzing = useStudio((state) => state.data.analyzing);
  const usable = useStudio((state) => state.data.analysis !== null && state.data.analysis.fatal === null);
  const opening = useStudio((state) => state.data.status === 'opening');
  if (!opened || !mapping) return null;
  const { columns } = opened.parse;
  const stats = opened.columnStats;
  const toggleText = (index: number, on: boolean) => {
    const next = on
      ? [...mapping.textColumns, index].sort((a, b) => a - b)
      : mapping.textColumns.filter((c) => c !== index);
    if (next.length > 0) updateMapping({ textColumns: next });
  };
  const optional = (value: string): number | null => (value === '' ? null : Number(value));
  const percent = (fraction: number) => Math.round(fraction * 100);
  const setShare = (key: 'train' | 'validation' | 'test', value: number) => {
    if (!Number.isFinite(value) || value < 0 || value > 100) return;
    updateSplit({ [key]: value / 100 });
  };
  const shareSum = Math.round((split.train + split.validation + split.test) * 100);
  return (
    <section className="fs-card fs-mapping" aria-labelledby="fs-mapping-title">
      <h3 id="fs-mapping-title">Columns</h3>
      <fieldset className="fs-fieldset">
        <legend>Text column(s)</legend>
        <p className="fs-muted fs-small">
          Tick several to join them, e.g. title + body (joined with a line break).
        </p>
        <div className="fs-checks">
          {columns.map((name, index) => (
            <label key={index} className="fs-check">
              <input
                type="checkbox"
                checked={mapping.textColumns.includes(index)}
                onChange={(event) => toggleText(index, event.currentTarget.checked)}
              />
              <span>
                {name}
                {stats[index] ? (
                  <span className="fs-muted fs-small">
                    {' '}
                    · avg {Math.round(stats[index].averageLength)} chars
                  </span>
                ) : null}
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <div className="fs-form-grid">
        <label className="fs-field">
          <span>Label column</span>
          <select
            value={mapping.labelColumn}
            title={columnOptionLabel(
              columns[mapping.labelColumn] ?? '',
              stats[mapping.labelColumn]?.distinct,
            )}
            onChange={(event) => updateMapping({ labelColumn: Number(event.currentTarget.value) })}
          >
            {columns.map((name, index) => (
              <option key={index} value={index}>
                {mapping.multiLabel ? name : columnOptionLabel(name, stats[index]?.distinct)}
              </option>
            ))}
          </select>
        </label>
        <label className="fs-field">
          <span>Split column</span>
          <select
            value={mapping.splitColumn ?? ''}
            onChange={(event) => updateMapping({ splitColumn: optional(event.currentTarget.value) })}
          >
            <option value="">None: split for me</option>
            {columns.map((name, index) => (
              <option key={index} value={index}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="fs-field">
          <span>ID column (ignored)</span>
          <select
            value={mapping.idColumn ?? ''}
            onChange={(event) => updateMapping({ idColumn: optional(event.currentTarget.value) })}
          >
            <option value="">None</option>
            {columns.map((name, index) => (
              <option key={index} value={index}>
                {name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="fs-form-row">
        <label className="fs-check">
          <input
            type="checkbox"
            checked={mapping.multiLabel}
            onChange={(event) => updateMapping({ multiLabel: event.currentTarget.checked })}
          />
          <span>Several labels per row (multi-label)</span>
        </label>
        {mapping.multiLabel ? (
          <label className="fs-field fs-field-inline">
            <span>Label separator</span>
            <select
              value={mapping.labelSeparator}
              onChange={(event) => updateMapping({ labelSeparator: event.currentTarget.value })}
            >
              {SEPARATORS.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label className="fs-check">
          <input
            type="checkbox"
            checked={mapping.caseFold}
            onChange={(event) => updateMapping({ caseFold: event.currentTarget.checked })}
          />
          <span>Ignore case in labels</span>
        </label>
      </div>
      <fieldset className="fs-fieldset" disabled={mapping.splitColumn !== null}>
        <legend>Splits {mapping.splitColumn !== null ? '(taken from the split column)' : ''}</legend>
        <div className="fs-form-grid fs-form-grid-4">
          <label className="fs-field">
            <span>Train %</span>
            <input
              type="number"
              min={1}
              max={98}
              value={percent(split.train)}
              onChange={(e) => setShare('train', Number(e.currentTarget.value))}
            />
          </label>
          <label className="fs-field">
            <span>Validation %</span>
            <input
              type="number"
              min={1}
              max={98}
              value={percent(split.validation)}
              onChange={(e) => setShare('validation', Number(e.currentTarget.value))}
            />
          </label>
          <label className="fs-field">
            <span>Test %</span>
            <input
              type="number"
              min={0}
              max={98}
              value={percent(split.test)}
              onChange={(e) => setShare('test', Number(e.currentTarget.value))}
            />
          </label>
          <label className="fs-field">
            <span>Seed</span>
            <input
              type="number"
              value={split.seed}
              onChange={(event) => {
                const seed = Number(event.currentTarget.value);
                if (Number.isInteger(seed)) updateSplit({ seed });
              }}
            />
          </label>
        </div>
        {shareSum !== 100 ? (
          <p className="fs-field-error" role="alert">
            The shares add up to {shareSum}%; they must add up to 100%.
          </p>
        ) : null}
        <label className="fs-check">
          <input
            type="checkbox"
            checked={split.dropDuplicates}
            onChange={(event) => updateSplit({ dropDuplicates: event.currentTarget.checked })}
          />
          <span>Drop exact duplicate rows (kept by default, always in the same split)</span>
        </label>
      </fieldset>
      <div className="fs-form-actions">
        <button
          type="button"
          className="fs-button fs-button-primary"
          onClick={confirmMapping}
          disabled={!usable || analyzing || opening || confirmed || shareSum !== 100}
        >
          {confirmed ? 'Columns confirmed' : 'Use these columns'}
        </button>
        <span className="fs-muted" aria-live="polite">
          {opening
            ? 'Reading the file…'
            : analyzing
              ? 'Checking rows…'
              : confirmed
                ? 'Next: choose a model.'
                : 'Guesses are pre-selected; change anything that is wrong.'}
        </span>
      </div>
    </section>
  );
});
