interface ProgressBarProps {
  label: string;
  /** 0..1, or null for an activity of unknown length. */
  value: number | null;
  detail?: string;
}

export function ProgressBar({ label, value, detail }: ProgressBarProps) {
  const percent = value === null ? undefined : Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div className="fs-progress">
      <div className="fs-progress-head">
        <span>{label}</span>
        {detail ? <span className="fs-muted">{detail}</span> : null}
      </div>
      <div
        className={percent === undefined ? 'fs-progress-track fs-indeterminate' : 'fs-progress-track'}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={detail}
      >
        <div className="fs-progress-fill" style={{ width: percent === undefined ? '30%' : `${percent}%` }} />
      </div>
    </div>
  );
}
