import { useStudio } from '../../state/store.ts';

/**
 * The compute backend in use, e.g. "wasm · 4 threads" or "webgpu · google · swiftshader", for the
 * header; its title says why Automatic chose it and why WASM runs on one thread when it does.
 */
export function BackendBadge() {
  const backend = useStudio((state) => state.model.backend);
  if (backend.status === 'idle' || backend.status === 'starting') {
    return (
      <span className="fs-badge" aria-live="polite">
        Starting compute…
      </span>
    );
  }
  if (backend.status === 'error' || !backend.report) {
    return (
      <span className="fs-badge fs-badge-error" title={backend.error?.hint}>
        No compute backend: {backend.error?.message ?? 'unknown error'}
      </span>
    );
  }
  const { report } = backend;
  const threads =
    report.threads === undefined ? '' : `${report.threads} thread${report.threads === 1 ? '' : 's'}`;
  const title = [
    report.fallbackMessage,
    report.threadsNote ? `One thread because ${report.threadsNote}.` : '',
    report.softwareAdapter ? 'Software GPU: correct, but far slower than a real GPU.' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <span
      className={report.fallbackMessage ? 'fs-badge fs-badge-warn' : 'fs-badge'}
      title={title || undefined}
      aria-label={`Compute backend: ${report.name}${report.adapterLabel ? ` on ${report.adapterLabel}` : ''}${threads ? `, ${threads}` : ''}`}
      data-testid="backend-badge"
    >
      <span className="fs-badge-dot" aria-hidden="true" />
      <strong>{report.name}</strong>
      {report.adapterLabel ? <span> · {report.adapterLabel}</span> : null}
      {threads ? <span> · {threads}</span> : null}
      {report.threadsNote ? (
        <span className="fs-muted"> ({report.threadsNote.split(' (')[0]!.split(', so')[0]})</span>
      ) : null}
      {report.forced ? <span className="fs-muted"> (chosen)</span> : null}
    </span>
  );
}
