import { useShallow } from 'zustand/react/shallow';
import { cloneRun, deleteRun, selectRun, toggleRunOverlay, useRuns } from '../../state/runs.ts';
import { runColor } from '../train/palette.ts';
import type { RunRecord } from '../../state/runs.ts';

const STATUS_TEXT: Record<RunRecord['status'], string> = {
  preparing: 'Preparing',
  running: 'Running',
  paused: 'Paused',
  stopping: 'Stopping',
  done: 'Done',
  stopped: 'Stopped',
  interrupted: 'Interrupted',
  error: 'Failed',
};

const MODE_TEXT: Record<string, string> = { head: 'Head only', 'top-k': 'Top layers', full: 'Full' };

function formatMetric(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

function modeText(run: RunRecord): string {
  const mode = MODE_TEXT[run.settings.mode] ?? run.settings.mode;
  const layers = run.settings['layers'];
  return run.settings.mode === 'top-k' && typeof layers === 'number' ? `${mode} (${layers})` : mode;
}

/** Every run of the project: compare (overlay), open, clone into the form, delete. */
export function RunsPanel({ onClone }: { onClone?: () => void }) {
  const { runs, runOrder, activeRunId, overlayRunIds } = useRuns(
    useShallow((s) => ({
      runs: s.runs,
      runOrder: s.runOrder,
      activeRunId: s.activeRunId,
      overlayRunIds: s.overlayRunIds,
    })),
  );
  if (runOrder.length === 0) {
    return (
      <section className="fs-runs" aria-labelledby="fs-runs-title">
        <h3 id="fs-runs-title">Runs</h3>
        <p className="fs-muted">
          No runs yet. Pick a preset and press Start training; each run is kept here to compare.
        </p>
      </section>
    );
  }
  return (
    <section className="fs-runs" aria-labelledby="fs-runs-title">
      <h3 id="fs-runs-title">Runs</h3>
      <div className="fs-table-scroll" style={{ maxHeight: 'none' }}>
        <table className="fs-table" aria-label="Runs">
          <thead>
            <tr>
              <th scope="col">Compare</th>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Mode</th>
              <th scope="col" className="fs-num">
                Learning rate
              </th>
              <th scope="col" className="fs-num">
                Epochs
              </th>
              <th scope="col" className="fs-num">
                Batch
              </th>
              <th scope="col" className="fs-num">
                Best validation
              </th>
              <th scope="col" className="fs-num">
                Test
              </th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {runOrder.map((id, index) => {
              const run = runs[id];
              if (!run) return null;
              const active = id === activeRunId;
              const testValue = run.test?.[run.bestMetric];
              return (
                <tr
                  key={id}
                  className={active ? 'fs-run-row-active' : undefined}
                  aria-current={active ? 'true' : undefined}
                >
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Compare ${run.name} on the charts`}
                      checked={active || overlayRunIds.includes(id)}
                      disabled={active}
                      onChange={() => toggleRunOverlay(id)}
                    />
                  </td>
                  <td>
                    <span className="fs-swatch" style={{ background: runColor(index) }} aria-hidden="true" />
                    <button
                      type="button"
                      className="fs-link"
                      onClick={() => selectRun(id)}
                      aria-label={`Show ${run.name}`}
                    >
                      {run.name}
                    </button>
                  </td>
                  <td>
                    <span className={`fs-status fs-status-${run.status}`}>{STATUS_TEXT[run.status]}</span>
                  </td>
                  <td>{modeText(run)}</td>
                  <td className="fs-num">{run.settings.learningRate.toExponential(1)}</td>
                  <td className="fs-num">{run.settings.epochs}</td>
                  <td className="fs-num">{run.settings.batchSize}</td>
                  <td className="fs-num" title={run.bestMetric}>
                    {formatMetric(run.best?.value)} <span className="fs-muted">{run.bestMetric}</span>
                  </td>
                  <td className="fs-num">
                    {formatMetric(typeof testValue === 'number' ? testValue : undefined)}
                  </td>
                  <td className="fs-run-actions">
                    <button
                      type="button"
                      className="fs-button fs-button-small"
                      onClick={() => {
                        cloneRun(id);
                        onClone?.();
                      }}
                      aria-label={`Clone ${run.name} settings`}
                    >
                      Clone
                    </button>
                    <button
                      type="button"
                      className="fs-button fs-button-small"
                      onClick={() => {
                        if (window.confirm(`Delete ${run.name} and its curves and checkpoint?`))
                          void deleteRun(id);
                      }}
                      disabled={
                        run.status === 'running' || run.status === 'preparing' || run.status === 'stopping'
                      }
                      aria-label={`Delete ${run.name}`}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
