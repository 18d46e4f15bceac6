import { useState } from 'react';
import { MAX_WASM_THREADS } from '../../core/backend/index.ts';
import { setForcedBackend } from '../../state/model.ts';
import { setWasmThreads } from '../../state/project.ts';
import { useStudio } from '../../state/store.ts';
import { openSettings } from '../../state/ui.ts';
import type { BackendName } from '../../state/types.ts';
import { Dialog } from './Dialog.tsx';
import { FeatureCacheList } from './FeatureCacheList.tsx';

const CHOICES: { value: BackendName | 'auto'; label: string; help: string }[] = [
  {
    value: 'auto',
    label: 'Automatic',
    help: 'The fastest that works here: a real GPU when a quick test step says it beats WASM; never a software GPU.',
  },
  { value: 'webgpu', label: 'WebGPU', help: 'Your graphics card through WebGPU; fastest on real GPUs.' },
  { value: 'webgl', label: 'WebGL', help: 'Older GPU path; slower, for browsers without WebGPU.' },
  {
    value: 'wasm',
    label: 'WASM',
    help: 'The processor, with SIMD and several threads; far faster than a software GPU.',
  },
  { value: 'cpu', label: 'CPU (plain JavaScript)', help: 'Slowest; a last resort that always works.' },
];

export function SettingsDialog() {
  const open = useStudio((state) => state.ui.settingsOpen);
  const forced = useStudio((state) => state.ui.forcedBackend);
  const savedThreads = useStudio((state) => state.ui.wasmThreads);
  const report = useStudio((state) => state.model.backend.report);
  const [choice, setChoice] = useState<BackendName | 'auto'>(forced ?? 'auto');
  const [threadsText, setThreadsText] = useState(savedThreads === null ? '' : String(savedThreads));
  const threadsValue = threadsText.trim() === '' ? null : Number(threadsText);
  const threadsValid =
    threadsValue === null ||
    (Number.isInteger(threadsValue) && threadsValue >= 1 && threadsValue <= MAX_WASM_THREADS);
  const defaultThreads = Math.min(Math.max(1, navigator.hardwareConcurrency || 1), 4);
  const close = () => openSettings(false);
  const apply = () => {
    if (!threadsValid) return;
    close();
    if (threadsValue !== savedThreads) {
      void setForcedBackend(choice === 'auto' ? null : choice).then(() => setWasmThreads(threadsValue));
      return;
    }
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
          <button
            type="button"
            className="fs-button fs-button-primary"
            onClick={apply}
            disabled={!threadsValid}
          >
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
      <fieldset className="fs-fieldset">
        <legend>CPU threads (WASM)</legend>
        <label className="fs-field">
          <span>Threads</span>
          <input
            type="number"
            min={1}
            max={MAX_WASM_THREADS}
            step={1}
            placeholder={`${defaultThreads} (automatic)`}
            value={threadsText}
            onChange={(event) => setThreadsText(event.target.value)}
            aria-describedby="fs-threads-help"
            aria-invalid={!threadsValid}
          />
        </label>
        <p className="fs-muted" id="fs-threads-help">
          {threadsValid
            ? `Empty: ${defaultThreads}, the cores this device reports, at most 4. A new count reloads the page (a run in progress stops; the project is kept).`
            : `A whole number from 1 to ${MAX_WASM_THREADS}, or empty for automatic.`}
          {report?.threadsNote ? ` Now on one thread: ${report.threadsNote}.` : ''}
        </p>
      </fieldset>
      <FeatureCacheList open={open} />
    </Dialog>
  );
}
