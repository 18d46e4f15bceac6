import { useStudio } from '../../state/store.ts';
import { goToStep } from '../../state/ui.ts';
import { Notice } from '../shell/Notice.tsx';
import { ComputeCard } from './ComputeCard.tsx';
import { DownloadProgress } from './DownloadProgress.tsx';
import { Estimates } from './Estimates.tsx';
import { ModelCatalog } from './ModelCatalog.tsx';
import { ModelSourceForm } from './ModelSourceForm.tsx';
import { ModelSummaryCard } from './ModelSummaryCard.tsx';

export function ModelStep() {
  const status = useStudio((state) => state.model.status);
  const error = useStudio((state) => state.model.error);
  const summary = useStudio((state) => state.model.summary);
  const hasData = useStudio((state) => state.data.confirmed);
  return (
    <div className="fs-step fs-model-step">
      <div className="fs-step-head">
        <h2>Model</h2>
      </div>
      <div className="fs-columns">
        <div className="fs-stack">
          <ModelSourceForm />
          {error ? <Notice tone="error" message={error.message} hint={error.hint} /> : null}
          {status === 'loading' ? <DownloadProgress /> : null}
          {summary ? <ModelSummaryCard summary={summary} /> : null}
          {status === 'idle' && !error ? (
            <p className="fs-muted">
              Nothing is downloaded until you press “Load from the Hub” or pick a folder.
            </p>
          ) : null}
          <ModelCatalog />
        </div>
        <div className="fs-stack">
          <ComputeCard />
          {summary ? <Estimates summary={summary} /> : null}
          {summary ? (
            <div className="fs-next-row">
              {hasData ? (
                <button
                  type="button"
                  className="fs-button fs-button-primary"
                  onClick={() => goToStep('train')}
                >
                  Next: Train
                </button>
              ) : (
                <button
                  type="button"
                  className="fs-button fs-button-primary"
                  onClick={() => goToStep('data')}
                >
                  Next: import data
                </button>
              )}
            </div>
          ) : null}
        </div>
      </div>
    </div>
  );
}
