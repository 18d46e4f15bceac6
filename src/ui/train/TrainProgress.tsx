import { isRunLive, type RunRecord } from '../../state/runs/index.ts';
import { ProgressBar } from '../shell/ProgressBar.tsx';
import { formatBytes, formatCount, formatDuration } from '../format.ts';

/** Where the run is: steps done, epoch, examples and tokens per second, time left. */
export function TrainProgress({ run }: { run: RunRecord }) {
  const p = run.progress;
  const live = isRunLive(run.status);
  const working = p.work && p.stage !== 'Training' && live;
  const fraction = working
    ? p.work!.total > 0
      ? p.work!.done / p.work!.total
      : null
    : p.totalSteps > 0
      ? p.step / p.totalSteps
      : live
        ? null
        : 1;
  const label = working
    ? p.stage
    : run.status === 'paused'
      ? `Paused at step ${formatCount(p.step)}`
      : run.status === 'preparing'
        ? p.stage || 'Preparing'
        : `Step ${formatCount(p.step)} of ${p.totalSteps ? formatCount(p.totalSteps) : '…'}`;
  const detail = working
    ? `${formatCount(p.work!.done)} / ${formatCount(p.work!.total)}`
    : p.totalSteps
      ? `${Math.round((fraction ?? 0) * 100)}%`
      : undefined;
  return (
    <div>
      <ProgressBar label={label} value={fraction} {...(detail ? { detail } : {})} />
      <div className="fs-train-stats" aria-label="Training speed">
        <span>
          epoch <strong>{p.epoch ? p.epoch.toFixed(2) : '0'}</strong> of{' '}
          {p.totalEpochs || run.settings.epochs}
        </span>
        <span>
          <strong>{p.examplesPerSec ? p.examplesPerSec.toFixed(1) : '—'}</strong> examples/s
        </span>
        <span>
          <strong>{p.tokensPerSec ? formatCount(p.tokensPerSec) : '—'}</strong> tokens/s
        </span>
        <span>
          time left <strong>{live && run.status !== 'preparing' ? formatDuration(p.etaSec) : '—'}</strong>
        </span>
        <span>
          batch <strong>{run.settings.batchSize}</strong> × {run.settings.gradAccumSteps} accumulation
        </span>
        {p.engineMemory ? (
          <span
            aria-label="Engine memory"
            data-tensors={p.engineMemory.tensors}
            data-bytes={p.engineMemory.bytes}
            data-epoch={p.engineMemory.epoch}
            title="What the training engine holds (weights, optimizer state, cached features) at the end of the latest epoch. It stays level over a long run."
          >
            memory <strong>{formatBytes(p.engineMemory.bytes)}</strong> in{' '}
            {formatCount(p.engineMemory.tensors)} tensors
          </span>
        ) : null}
      </div>
    </div>
  );
}
