import { useState } from 'react';
import { setForcedBackend } from '../../state/model.ts';
import { useStudio } from '../../state/store.ts';
import { openSettings } from '../../state/ui.ts';
import type { BackendName } from '../../state/types.ts';
import { Dialog } from './Dialog.tsx';

const CHOICES: { value: BackendName | 'auto'; label: string; help: string }[] = [
  { value: 'auto', label: 'Automatic', help: 'The fastest that works here: WebGPU, then WebGL, WASM, CPU.' },
  { value: 'webgpu', label: 'WebGPU', help: 'Your graphics card through WebGPU; fastest on real GPUs.' },
  { value: 'webgl', label: 'WebGL', help: 'Older GPU path; slower, for browsers without WebGPU.' },
  {
    value: 'wasm',
    label: 'WASM',
    help: 'The processor with SIMD; steady and often faster than a software GPU.',
  },
  { value: 'cpu', label: 'CPU (plain JavaScript)', help: 'Slowest; a last resort that always works.' },
];

export function SettingsDialog() {
  const open = useStudio((state) => state.ui.settingsOpen);
  const forced = useStudio((state) => state.ui.forcedBackend);
  const [choice, setChoice] = useState<BackendName | 'auto'>(forced ?? 'auto');
  const close = () => openSettings(false);
  const apply = () => {
    close();
    void setForcedBackend(choice === 'auto' ? null : choice);
  };
  return (
    <Dialog
      title="Settings"
      open={open}
      onClose={close}
      actions={
        <>
          <button type="button" className="fs-button" onClick={close}>
            Cancel
          </button>
          <button type="button" className="fs-button fs-button-primary" onClick={apply}>
            Apply
          </button>
        </>
      }
    >
      <fieldset className="fs-fieldset">
        <legend>Compute backend</legend>
        {CHOICES.map((option) => (
          <div key={option.value} className="fs-radio">
            <input
              type="radio"
              id={`fs-backend-${option.value}`}
              name="backend"
              value={option.value}
              checked={choice === option.value}
              onChange={() => setChoice(option.value)}
              aria-describedby={`fs-backend-${option.value}-help`}
            />
            <span>
              <label htmlFor={`fs-backend-${option.value}`}>
                <strong>{option.label}</strong>
              </label>
              <span className="fs-muted" id={`fs-backend-${option.value}-help`}>
                {' '}
                — {option.help}
              </span>
            </span>
          </div>
        ))}
      </fieldset>
      <p className="fs-muted">A loaded model is loaded again on the new backend.</p>
    </Dialog>
  );
}
