import { useStudio } from '../../state/store.ts';
import type { ModelSummary } from '../../state/types.ts';
import { formatBytes, formatCount } from '../format.ts';

function NameList({ title, names }: { title: string; names: string[] }) {
  if (names.length === 0) return null;
  return (
    <details className="fs-details">
      <summary>
        {title}: {formatCount(names.length)}
      </summary>
      <ul className="fs-code-list">
        {names.map((name) => (
          <li key={name}>
            <code>{name}</code>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** What was loaded: size, shape, labels, and what the loader did with the checkpoint's weights. */
export function ModelSummaryCard({ summary }: { summary: ModelSummary }) {
  const dataLabels = useStudio((state) =>
    state.data.confirmed ? (state.data.analysis?.labels ?? null) : null,
  );
  const differs =
    dataLabels !== null &&
    (dataLabels.length !== summary.labels.length ||
      dataLabels.some((label, i) => label !== summary.labels[i]));
  return (
    <section className="fs-card" aria-labelledby="fs-loaded-title">
      <h3 id="fs-loaded-title">Loaded: {summary.source}</h3>
      <dl className="fs-facts">
        <div>
          <dt>Parameters</dt>
          <dd>{formatCount(summary.parameters)}</dd>
        </div>
        <div>
          <dt>Weights</dt>
          <dd>{formatBytes(summary.weightBytes)}</dd>
        </div>
        <div>
          <dt>Layers</dt>
          <dd>{summary.layers}</dd>
        </div>
        <div>
          <dt>Hidden size</dt>
          <dd>{summary.dim}</dd>
        </div>
        <div>
          <dt>Heads</dt>
          <dd>{summary.heads}</dd>
        </div>
        <div>
          <dt>Vocabulary</dt>
          <dd>{formatCount(summary.vocabSize)}</dd>
        </div>
        <div>
          <dt>Max tokens</dt>
          <dd>{summary.maxPositionEmbeddings}</dd>
        </div>
        <div>
          <dt>Head</dt>
          <dd>{summary.multiLabel ? 'multi-label' : 'single-label'}</dd>
        </div>
      </dl>
      <p>
        <strong>Labels ({summary.labels.length}):</strong>{' '}
        <span className="fs-muted">
          {summary.labels.slice(0, 12).join(', ')}
          {summary.labels.length > 12 ? `, and ${summary.labels.length - 12} more` : ''}
        </span>
      </p>
      <p className="fs-load-report">{summary.report.message}</p>
      {differs ? (
        <p className="fs-notice-hint">
          Your dataset has {dataLabels.length} labels ({dataLabels.slice(0, 6).join(', ')}
          {dataLabels.length > 6 ? ', …' : ''}): training starts this model with a classifier for them, as
          transformers does with ignore_mismatched_sizes.
        </p>
      ) : null}
      <NameList title="Ignored checkpoint weights" names={summary.report.ignored} />
      <NameList title="Missing, newly initialised" names={summary.report.missing} />
      <NameList title="Re-initialised for your labels" names={summary.report.reinitialised} />
    </section>
  );
}
