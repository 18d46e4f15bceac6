import { currentSettings, isRunLive, selectRun, type RunRecord } from '../../state/runs/index.ts';
import { goToStep } from '../../state/ui.ts';
import { Notice } from '../shell/Notice.tsx';
import { RunControls } from './RunControls.tsx';
import { TrainProgress } from './TrainProgress.tsx';
import { presetOf } from './presets.ts';

/** The shown run: progress, speed, controls, and what the worker said about it. */
export function RunStatusPanel({ run }: { run: RunRecord }) {
  const interrupted = run.status === 'interrupted';
  return (
    <section className="fs-card" aria-label={`${run.name} progress`}>
      <div className="fs-card-head">
        <h3>
          {run.name}{' '}
          <span className="fs-muted fs-small">
            {run.modelId} · {presetOf(run.settings).name.toLowerCase()} · lr{' '}
            {currentSettings(run).learningRate.toExponential(1)}
          </span>
        </h3>
        <span className={`fs-status fs-status-${run.status}`} role="status" aria-label="Run status">
          {run.status}
        </span>
      </div>
      <TrainProgress run={run} />
      <div style={{ marginTop: 10 }}>
        <RunControls run={run} />
      </div>
      {interrupted && (
        <p className="fs-muted fs-small">
          The page was closed while this run trained. Its curves up to step {run.progress.step} are kept;
          {run.saved?.epoch
            ? ` it can continue from the checkpoint saved at step ${run.saved.epoch.step}.`
            : ' no epoch had finished, so it would start again.'}
        </p>
      )}
      {run.error && <Notice tone="error" message={run.error} />}
      {run.message && !run.error && (
        <p className="fs-small" role="status">
          {run.message}
        </p>
      )}
      {run.notices.length > 0 && (
        <ul
          className="fs-small fs-muted"
          aria-label="Training notes"
          style={{ margin: '8px 0 0', paddingLeft: 18 }}
        >
          {run.notices.slice(-5).map((note, i) => (
            <li key={i}>{note}</li>
          ))}
        </ul>
      )}
      {run.testResult && !isRunLive(run.status) && (
        <div className="fs-next-row">
          <button
            type="button"
            className="fs-button fs-button-primary"
            onClick={() => {
              selectRun(run.id);
              goToStep('evaluate');
            }}
          >
            Next: Evaluate
          </button>
        </div>
      )}
    </section>
  );
}
