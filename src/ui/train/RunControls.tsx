import { useState } from 'react';
import {
  currentSettings,
  isRunLive,
  continueRun,
  pauseRun,
  resumeRun,
  stopRun,
  type RunRecord,
} from '../../state/runs/index.ts';
import { LiveLearningRate } from './LiveLearningRate.tsx';

/** Pause / Resume / Stop, the live learning rate, and Continue for a run the page lost. */
export function RunControls({ run }: { run: RunRecord | undefined }) {
  const [error, setError] = useState<string | null>(null);
  if (!run) return null;
  const live = isRunLive(run.status);
  return (
    <div className="fs-train-controls">
      {run.status === 'running' && (
        <button type="button" className="fs-button" onClick={() => pauseRun(run.id)}>
          Pause
        </button>
      )}
      {run.status === 'paused' && (
        <button type="button" className="fs-button fs-button-primary" onClick={() => resumeRun(run.id)}>
          Resume
        </button>
      )}
      {live && (
        <button
          type="button"
          className="fs-button"
          disabled={run.status === 'stopping'}
          onClick={() => stopRun(run.id)}
          title="Ends the run; the best checkpoint so far is kept and evaluated on the test split."
        >
          {run.status === 'stopping' ? 'Stopping…' : 'Stop'}
        </button>
      )}
      {run.status === 'interrupted' && (
        <button
          type="button"
          className="fs-button fs-button-primary"
          onClick={() => {
            setError(null);
            continueRun(run.id).catch((reason: unknown) =>
              setError(reason instanceof Error ? reason.message : String(reason)),
            );
          }}
        >
          Continue from checkpoint
        </button>
      )}
      {(run.status === 'running' || run.status === 'paused') && (
        <LiveLearningRate
          key={`${run.id}-${currentSettings(run).learningRate}`}
          runId={run.id}
          current={currentSettings(run).learningRate}
          disabled={false}
        />
      )}
      {error && (
        <p role="alert" className="fs-field-error">
          {error}
        </p>
      )}
    </div>
  );
}
