import { useId } from 'react';

interface ThresholdControlProps {
  label: string;
  value: number;
  onChange(value: number): void;
  help: string;
}

/** A decision threshold slider with its value printed beside it. */
export function ThresholdControl({ label, value, onChange, help }: ThresholdControlProps) {
  const id = useId();
  return (
    <div className="fs-threshold">
      <label htmlFor={id}>
        <strong>{label}</strong>
      </label>
      <input
        id={id}
        type="range"
        min={0.05}
        max={0.95}
        step={0.01}
        value={value}
        onChange={(event) => onChange(Number(event.target.value))}
        aria-valuetext={value.toFixed(2)}
      />
      <output htmlFor={id} className="fs-num" style={{ minWidth: '3em' }}>
        {value.toFixed(2)}
      </output>
      <span className="fs-muted" style={{ fontSize: '0.85rem' }}>
        {help}
      </span>
    </div>
  );
}
