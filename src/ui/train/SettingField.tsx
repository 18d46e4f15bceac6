import { useId, useState } from 'react';
import { TRAIN_CONFIG_HELP, type TrainConfig } from '../../core/train/index.ts';
import {
  formatClassWeights,
  formatSetting,
  parseClassWeights,
  parseSetting,
  type FieldSpec,
} from './fields.ts';

interface SettingFieldProps {
  spec: FieldSpec;
  config: TrainConfig;
  defaults: TrainConfig;
  labels: readonly string[];
  metricOptions: readonly string[];
  disabled: boolean;
  onChange(patch: Partial<TrainConfig>): void;
}

function textOf(value: unknown): string {
  if (typeof value === 'number') return formatSetting(value);
  if (value && typeof value === 'object') return formatClassWeights(value as Record<string, number>);
  return String(value);
}

/** One training setting: its label, an input, and a line on what it does and its default. */
export function SettingField({
  spec,
  config,
  defaults,
  labels,
  metricOptions,
  disabled,
  onChange,
}: SettingFieldProps) {
  const id = useId();
  const helpId = `${id}-help`;
  const value = config[spec.key];
  const [draft, setDraft] = useState<{ text: string; for: unknown } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const changed = textOf(value) !== textOf(defaults[spec.key]);
  // A draft is only shown while it belongs to the current value (a preset or clone replaces it).
  const text = draft && draft.for === value ? draft.text : textOf(value);
  const className = `fs-hp${problem ? ' fs-hp-invalid' : ''}`;
  // Outside the label, so the control's accessible name stays the setting's name.
  const changedMark = changed ? (
    <span className="fs-hp-changed" aria-hidden="true" title="Changed from the default">
      •
    </span>
  ) : null;
  const help = (
    <p className="fs-hp-help" id={helpId}>
      {TRAIN_CONFIG_HELP[spec.key]}
      {problem ? <strong style={{ color: 'var(--fs-danger)' }}> {problem}</strong> : null}
    </p>
  );

  if (spec.kind === 'boolean') {
    return (
      <div className={className}>
        <div className="fs-hp-input">
          <input
            id={id}
            type="checkbox"
            checked={Boolean(value)}
            disabled={disabled}
            aria-describedby={helpId}
            onChange={(e) => onChange({ [spec.key]: e.target.checked } as Partial<TrainConfig>)}
          />
          <label htmlFor={id}>{spec.label}</label>
          {changedMark}
        </div>
        {help}
      </div>
    );
  }

  if (spec.kind === 'select') {
    const options = spec.options ?? metricOptions.map((m) => ({ value: m, label: m }));
    return (
      <div className={className}>
        <span>
          <label htmlFor={id}>{spec.label}</label>
          {changedMark}
        </span>
        <select
          id={id}
          value={String(value)}
          disabled={disabled}
          aria-describedby={helpId}
          onChange={(e) => onChange({ [spec.key]: e.target.value } as Partial<TrainConfig>)}
        >
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {help}
      </div>
    );
  }

  if (spec.kind === 'classWeights') {
    const mode = typeof value === 'string' ? value : 'custom';
    return (
      <div className={className}>
        <span>
          <label htmlFor={id}>{spec.label}</label>
          {changedMark}
        </span>
        <div className="fs-hp-input" style={{ flexWrap: 'wrap' }}>
          <select
            id={id}
            value={mode}
            disabled={disabled}
            aria-describedby={helpId}
            onChange={(e) => {
              setProblem(null);
              const next = e.target.value;
              onChange({
                classWeights:
                  next === 'custom'
                    ? Object.fromEntries(labels.map((l) => [l, 1]))
                    : (next as 'none' | 'balanced'),
              });
            }}
          >
            <option value="none">none</option>
            <option value="balanced">balanced</option>
            <option value="custom">custom</option>
          </select>
          {mode === 'custom' && (
            <input
              type="text"
              aria-label="Class weights by label"
              value={text}
              disabled={disabled}
              onChange={(e) => {
                setDraft({ text: e.target.value, for: value });
                try {
                  const weights = parseClassWeights(e.target.value, labels);
                  setProblem(null);
                  setDraft(null);
                  onChange({ classWeights: weights });
                } catch (error) {
                  setProblem(error instanceof Error ? error.message : String(error));
                }
              }}
            />
          )}
        </div>
        {help}
      </div>
    );
  }

  return (
    <div className={className}>
      <span>
        <label htmlFor={id}>{spec.label}</label>
        {changedMark}
      </span>
      <div className="fs-hp-input">
        <input
          id={id}
          type="text"
          inputMode={spec.kind === 'integer' ? 'numeric' : 'decimal'}
          value={text}
          disabled={disabled}
          aria-describedby={helpId}
          aria-invalid={problem ? true : undefined}
          onChange={(e) => {
            const typed = e.target.value;
            const parsed = parseSetting(typed);
            const ok =
              Number.isFinite(parsed) &&
              (spec.kind !== 'integer' || Number.isInteger(parsed)) &&
              (spec.min === undefined || parsed >= spec.min);
            if (!ok) {
              setDraft({ text: typed, for: value });
              setProblem(spec.kind === 'integer' ? 'Type a whole number.' : 'Type a number, e.g. 5e-5.');
              return;
            }
            setProblem(null);
            setDraft({ text: typed, for: parsed });
            onChange({ [spec.key]: parsed } as Partial<TrainConfig>);
          }}
          onBlur={() => {
            if (!problem) setDraft(null);
          }}
        />
        {changed && (
          <button
            type="button"
            className="fs-button fs-button-quiet fs-button-small"
            disabled={disabled}
            onClick={() => {
              setDraft(null);
              setProblem(null);
              onChange({ [spec.key]: defaults[spec.key] } as Partial<TrainConfig>);
            }}
            aria-label={`Reset ${spec.label} to its default ${textOf(defaults[spec.key])}`}
          >
            Reset
          </button>
        )}
      </div>
      {help}
    </div>
  );
}
