import { memo } from 'react';
import { downloadCheckRows } from '../../state/data.ts';
import { useStudio } from '../../state/store.ts';
import { formatBytes, formatCount } from '../format.ts';

/** File, rows, labelled, unlabelled and dropped: always in view while the Data step is open. */
export const DataSummary = memo(function DataSummary() {
  const source = useStudio((state) => state.data.source);
  const opened = useStudio((state) => state.data.opened);
  const analysis = useStudio((state) => state.data.analysis);
  const analyzing = useStudio((state) => state.data.analyzing);
  if (!source || !opened) return null;
  const { parse } = opened;
  const delimiter = parse.delimiter === '\t' ? 'tab' : parse.delimiter === ' ' ? 'space' : parse.delimiter;
  return (
    <div className="fs-summary" role="region" aria-label="Dataset summary">
      <div className="fs-summary-file">
        <strong>{source.name}</strong>
        <span className="fs-muted fs-small">
          {formatBytes(parse.bytes || source.bytes)} · {parse.encoding} · delimiter “{delimiter}” ·{' '}
          {parse.hasHeader ? 'header row' : 'no header row'}
        </span>
      </div>
      <dl className="fs-summary-counts">
        <div>
          <dt>Rows</dt>
          <dd data-testid="rows-count">{formatCount(parse.rowCount)}</dd>
        </div>
        <div>
          <dt>{analysis && analysis.unlabelled > 0 ? 'Labelled' : 'Kept'}</dt>
          <dd data-testid="kept-count">{analysis ? formatCount(analysis.kept) : analyzing ? '…' : '—'}</dd>
        </div>
        {analysis && analysis.unlabelled > 0 ? (
          <div title="Rows with an empty label cell: kept, not trained on; a finished run ranks which to label next">
            <dt>Unlabelled</dt>
            <dd data-testid="unlabelled-count">{formatCount(analysis.unlabelled)}</dd>
          </div>
        ) : null}
        <div>
          <dt>Dropped</dt>
          <dd
            data-testid="dropped-count"
            className={analysis && analysis.dropped > 0 ? 'fs-warn-text' : undefined}
          >
            {analysis ? formatCount(analysis.dropped) : analyzing ? '…' : '—'}
          </dd>
        </div>
      </dl>
      {analysis && analysis.dropped > 0 ? (
        <button
          type="button"
          className="fs-button fs-button-small"
          onClick={() => void downloadCheckRows('dropped')}
        >
          Download dropped rows
        </button>
      ) : null}
    </div>
  );
});
