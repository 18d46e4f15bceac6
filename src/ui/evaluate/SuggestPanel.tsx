import { useState } from 'react';
import {
  stopSuggestions,
  suggestionProgress,
  suggestRowsToLabel,
  trainOnGrownData,
} from '../../state/quality/index.ts';
import type { RunRecord } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import { Notice } from '../shell/Notice.tsx';
import { ProgressBar } from '../shell/ProgressBar.tsx';
import { LabellingBatch } from './LabellingBatch.tsx';

const COUNTS = [10, 20, 50, 100] as const;

/**
 * The unlabelled rows this run is least sure about, a batch with no near-duplicates, to label
 * from the keyboard and train on again: active learning over the data's empty label cells.
 */
export function SuggestPanel({ run }: { run: RunRecord }) {
  const suggestions = useStudio((s) => s.rowSuggestions[run.id]);
  const unlabelled = useStudio((s) => s.data.analysis?.unlabelled ?? 0);
  const [strategy, setStrategy] = useState<'entropy' | 'margin'>('entropy');
  const [count, setCount] = useState<number>(20);
  const [started, setStarted] = useState<string | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const dataBusy = useStudio((s) => s.data.analyzing || s.data.tokenizing);
  const running = suggestions?.status === 'running';
  return (
    <section className="fs-card" aria-labelledby="fs-suggest-title">
      <div className="fs-card-head">
        <h3 id="fs-suggest-title">Label next</h3>
      </div>
      <p className="fs-muted">
        Ranks the rows whose label cell is empty by how unsure {run.name} is about them (entropy of its
        probabilities, or the margin between its two likeliest labels), keeps near-duplicates out of one
        batch, and lets you label the batch from the keyboard; then train again on the grown data.
      </p>
      {unlabelled === 0 && !suggestions ? (
        <p className="fs-muted" role="note">
          {run.multiLabel
            ? 'In multi-label data an empty label cell means that none of the labels applies, so no row is unlabelled.'
            : 'The data has no unlabelled rows. Leave a row’s label cell empty and it is kept to be ranked here, not trained on.'}
        </p>
      ) : (
        <div className="fs-form-actions">
          <label>
            Uncertainty{' '}
            <select
              className="fs-select"
              value={strategy}
              onChange={(e) => setStrategy(e.target.value as typeof strategy)}
            >
              <option value="entropy">entropy</option>
              <option value="margin">margin</option>
            </select>
          </label>
          <label>
            Batch{' '}
            <select className="fs-select" value={count} onChange={(e) => setCount(Number(e.target.value))}>
              {COUNTS.map((n) => (
                <option key={n} value={n}>
                  {n} rows
                </option>
              ))}
            </select>
          </label>
          {running ? (
            <button type="button" className="fs-button" onClick={() => stopSuggestions(run.id)}>
              Stop
            </button>
          ) : (
            <button
              type="button"
              className="fs-button fs-button-primary"
              onClick={() => void suggestRowsToLabel(run.id, { strategy, count })}
            >
              Suggest rows to label
            </button>
          )}
          {unlabelled > 0 ? (
            <span className="fs-muted">{unlabelled.toLocaleString('en-US')} unlabelled rows</span>
          ) : null}
        </div>
      )}
      {running ? (
        <ProgressBar
          label="Scoring the unlabelled rows"
          value={suggestionProgress(suggestions)}
          detail={suggestions.total > 0 ? `${suggestions.done} of ${suggestions.total}` : undefined}
        />
      ) : null}
      {suggestions?.status === 'error' ? (
        <Notice tone="error" message={suggestions.error ?? 'Ranking the rows failed.'} />
      ) : null}
      {suggestions?.status === 'done' ? (
        <>
          <p aria-label="Suggestion summary">
            The {suggestions.rows.length} most uncertain of {suggestions.candidates.toLocaleString('en-US')}{' '}
            unlabelled rows ({suggestions.strategy}, data{' '}
            {suggestions.dataVersion === 0 ? 'as uploaded' : `version ${suggestions.dataVersion}`},{' '}
            {suggestions.seconds.toFixed(1)} s)
          </p>
          <LabellingBatch run={run} suggestions={suggestions} />
          <div className="fs-form-actions">
            <button
              type="button"
              className="fs-button"
              disabled={dataBusy}
              title={dataBusy ? 'The data is being checked after the new labels: a moment.' : undefined}
              onClick={() => {
                setStartError(null);
                trainOnGrownData(run.id)
                  .then((id) => setStarted(useStudio.getState().runs[id]?.name ?? 'A new run'))
                  .catch((error: unknown) =>
                    setStartError(error instanceof Error ? error.message : String(error)),
                  );
              }}
            >
              Train again on the grown data
            </button>
            {started ? (
              <span role="status">
                {started} started with {run.name}&apos;s settings: see the Train step.
              </span>
            ) : null}
          </div>
          {startError ? <Notice tone="error" message={startError} /> : null}
        </>
      ) : null}
    </section>
  );
}
