import { useDeferredValue } from 'react';
import { cancelTokenize, countTokens, dismissDataError } from '../../state/data.ts';
import { useStudio } from '../../state/store.ts';
import { goToStep } from '../../state/ui.ts';
import { Notice } from '../shell/Notice.tsx';
import { ProgressBar } from '../shell/ProgressBar.tsx';
import { ChecksPanel } from './ChecksPanel.tsx';
import { ColumnMapping } from './ColumnMapping.tsx';
import { DataSummary } from './DataSummary.tsx';
import { EditsPanel } from './EditsPanel.tsx';
import { ImportProgress, progressDetail } from './ImportProgress.tsx';
import { LabelChart } from './LabelChart.tsx';
import { PreviewTable } from './PreviewTable.tsx';
import { SourcePicker } from './SourcePicker.tsx';
import { SplitTable } from './SplitTable.tsx';
import { TokenLengths } from './TokenLengths.tsx';

function TokenSection() {
  const confirmed = useStudio((state) => state.data.confirmed);
  const stats = useStudio((state) => state.data.tokenStats);
  const maxLength = useStudio((state) => state.data.maxLength);
  const tokenizing = useStudio((state) => state.data.tokenizing);
  const progress = useStudio((state) => state.data.tokenizeProgress);
  const tokenizer = useStudio((state) => state.data.tokenizerSource);
  const modelStatus = useStudio((state) => state.model.status);
  if (!confirmed) return null;
  if (stats && maxLength) return <TokenLengths stats={stats} maxLength={maxLength} />;
  if (tokenizing) {
    return (
      <section className="fs-card fs-import-progress" aria-label="Tokenizing">
        <ProgressBar
          label="Counting the tokens of every text"
          value={progress?.total ? progress.done / progress.total : null}
          {...(progress ? { detail: progressDetail(progress) } : {})}
        />
        <button type="button" className="fs-button" onClick={cancelTokenize}>
          Cancel
        </button>
      </section>
    );
  }
  if (tokenizer && modelStatus === 'loaded') {
    return (
      <section className="fs-card fs-next" aria-label="Token lengths">
        <h3>Token lengths</h3>
        <p>The token-length histogram and the max-length control need the tokens of every text counted.</p>
        <button type="button" className="fs-button fs-button-primary" onClick={() => void countTokens()}>
          Count tokens
        </button>
      </section>
    );
  }
  return (
    <section className="fs-card fs-next" aria-label="Token lengths">
      <h3>Token lengths</h3>
      <p>
        {modelStatus === 'loading'
          ? 'The model is loading; its tokenizer will count the tokens of every text here.'
          : 'The token-length histogram and the max-length control appear once a model is loaded: each model has its own tokenizer.'}
      </p>
      {modelStatus !== 'loading' ? (
        <button type="button" className="fs-button fs-button-primary" onClick={() => goToStep('model')}>
          Choose a model
        </button>
      ) : null}
    </section>
  );
}

export function DataStep() {
  const status = useStudio((state) => state.data.status);
  const source = useStudio((state) => state.data.source);
  const error = useStudio((state) => state.data.error);
  const opened = useStudio((state) => state.data.opened);
  const mapping = useStudio((state) => state.data.mapping);
  // The charts and tables follow in a deferred, interruptible render, so a new analysis never
  // blocks the page in one long task.
  const analysis = useDeferredValue(useStudio((state) => state.data.analysis));
  const analysisError = useStudio((state) => state.data.analysisError);
  const showCharts = opened && mapping;
  return (
    <div className="fs-step fs-data-step">
      <div className="fs-step-head">
        <h2>Data</h2>
        {status === 'opened' ? <SourcePicker compact /> : null}
      </div>
      {error ? (
        <Notice
          tone={error.info ? 'info' : 'error'}
          message={error.message}
          hint={error.hint}
          onDismiss={dismissDataError}
        />
      ) : null}
      {status === 'empty' || status === 'error' ? <SourcePicker /> : null}
      {status === 'opening' && source ? <ImportProgress name={source.name} /> : null}
      {showCharts ? (
        <>
          <DataSummary />
          {opened.parse.encodingNotice ? <Notice tone="info" message={opened.parse.encodingNotice} /> : null}
          <div className="fs-columns">
            <ColumnMapping />
            <LabelChart
              counts={analysis?.labelCounts ?? opened.labelCounts}
              title={analysis ? 'Labels of the kept rows' : 'Labels (guessed column)'}
            />
          </div>
          {analysisError ? (
            <Notice
              tone={analysisError.info ? 'info' : 'error'}
              message={analysisError.message}
              hint={analysisError.hint}
            />
          ) : null}
          {analysis?.fatal ? (
            <Notice
              tone="error"
              message={`This dataset cannot be trained on as it is: ${analysis.fatal}`}
              hint="Check that the label column is the right one (change it above), or fix the file and drop it again."
            />
          ) : null}
          {analysis ? (
            <div className="fs-columns">
              <ChecksPanel checks={analysis.checks} dropped={analysis.dropped} />
              {analysis.splits ? <SplitTable splits={analysis.splits} /> : null}
            </div>
          ) : null}
          {analysis ? <EditsPanel /> : null}
          <TokenSection />
          <PreviewTable />
        </>
      ) : null}
    </div>
  );
}
