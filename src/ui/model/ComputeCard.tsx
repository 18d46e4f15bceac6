import { useStudio } from '../../state/store.ts';
import { openSettings } from '../../state/ui.ts';
import { formatBytes } from '../format.ts';
import { Notice } from '../shell/Notice.tsx';

/** The backend that will train, its adapter, and why it is not a better one. */
export function ComputeCard() {
  const backend = useStudio((state) => state.model.backend);
  const report = backend.report;
  return (
    <section className="fs-card" aria-labelledby="fs-compute-title">
      <h3 id="fs-compute-title">Compute</h3>
      {backend.status === 'starting' || backend.status === 'idle' ? (
        <p className="fs-muted">Starting…</p>
      ) : null}
      {backend.status === 'error' ? (
        <Notice
          tone="error"
          message={backend.error?.message ?? 'No compute backend started.'}
          hint={backend.error?.hint}
        />
      ) : null}
      {report ? (
        <>
          <p className="fs-compute-line">
            <strong>{report.name}</strong>
            {report.adapterLabel ? <span> on {report.adapterLabel}</span> : null}
            {report.threads !== undefined ? (
              <span>
                {' '}
                · {report.threads} thread{report.threads === 1 ? '' : 's'}
              </span>
            ) : null}
            {report.forced ? <span className="fs-muted"> (chosen in settings)</span> : null}
          </p>
          {report.threadsNote ? (
            <p className="fs-warn-text">One CPU thread because {report.threadsNote}.</p>
          ) : null}
          {report.timings ? (
            <p className="fs-muted fs-small">
              Automatic timed a test step:{' '}
              {Object.entries(report.timings.ms)
                .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
                .join(', ')}
              {report.timings.cached ? ' (measured earlier on this device)' : ''}.
            </p>
          ) : null}
          {report.fallbackMessage ? <p className="fs-warn-text">{report.fallbackMessage}</p> : null}
          {report.softwareAdapter ? (
            <p className="fs-muted fs-small">
              This is a software GPU (no graphics card is available to the browser): results are correct but
              training is much slower than on a real GPU. Automatic uses WASM instead.
            </p>
          ) : null}
          {report.limits ? (
            <p className="fs-muted fs-small">
              Largest buffer: {formatBytes(report.limits.maxStorageBufferBindingSize)} per binding,{' '}
              {formatBytes(report.limits.maxBufferSize)} in all.
            </p>
          ) : null}
        </>
      ) : null}
      <button type="button" className="fs-button fs-button-small" onClick={() => openSettings(true)}>
        Change backend…
      </button>
    </section>
  );
}
