import type { TrainConfig } from '../../core/train/index.ts';
import { PRESETS, presetOf } from './presets.ts';

interface PresetPickerProps {
  config: TrainConfig;
  disabled: boolean;
  onPick(settings: TrainConfig): void;
}

/** Quick / Balanced / Thorough: how much of the model trains. */
export function PresetPicker({ config, disabled, onPick }: PresetPickerProps) {
  const current = presetOf(config);
  return (
    <fieldset className="fs-presets" disabled={disabled}>
      <legend>How much of the model trains</legend>
      {PRESETS.map((preset) => (
        <label key={preset.id} className="fs-preset">
          <input
            type="radio"
            name="fs-preset"
            value={preset.id}
            checked={current.id === preset.id}
            onChange={() => onPick({ ...preset.settings(), maxLength: config.maxLength })}
          />
          <span>
            <strong>{preset.name}</strong>
            <small>{preset.summary}</small>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
