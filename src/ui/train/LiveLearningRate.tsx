import { useId, useState } from 'react';
import { updateRunSettings } from '../../state/runs/index.ts';
import { formatSetting, parseSetting } from './fields.ts';

/** Changes the peak learning rate of a running run; the worker applies it at the next step. */
export function LiveLearningRate({
  runId,
  current,
  disabled,
}: {
  runId: string;
  current: number;
  disabled: boolean;
}) {
  const id = useId();
  const [text, setText] = useState(formatSetting(current));
  const [problem, setProblem] = useState<string | null>(null);
  const apply = () => {
    const lr = parseSetting(text);
    if (!(lr > 0)) {
      setProblem('Type a positive number, e.g. 2e-5.');
      return;
    }
    setProblem(null);
    updateRunSettings(runId, { learningRate: lr });
  };
  return (
    <form
      className="fs-lr-live"
      onSubmit={(event) => {
        event.preventDefault();
        apply();
      }}
    >
      <label htmlFor={id}>Learning rate now</label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        value={text}
        disabled={disabled}
        aria-invalid={problem ? true : undefined}
        onChange={(event) => setText(event.target.value)}
      />
      <button type="submit" className="fs-button" disabled={disabled}>
        Apply
      </button>
      {problem ? (
        <span role="alert" className="fs-field-error">
          {problem}
        </span>
      ) : (
        <span className="fs-muted fs-small">peak rate; the schedule still applies</span>
      )}
    </form>
  );
}
