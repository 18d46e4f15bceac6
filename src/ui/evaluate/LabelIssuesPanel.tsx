import { useMemo, useState } from 'react';
import { effectiveEdits, type EditAction } from '../../core/dataset/index.ts';
import { editRows } from '../../state/edits.ts';
import { findLabelIssues, searchProgress, stopLabelIssues } from '../../state/quality/index.ts';
import type { RunRecord } from '../../state/runs/index.ts';
import { useStudio } from '../../state/store.ts';
import { Notice } from '../shell/Notice.tsx';
import { ProgressBar } from '../shell/ProgressBar.tsx';

const EDITED_TEXT = { keep: 'kept', relabel: 'relabelled', drop: 'dropped' } as const;
const SHOWN = 200;

const names = (labels: readonly string[], indices: readonly number[]) =>
  indices.length === 0 ? '(none)' : indices.map((i) => labels[i] ?? `#${i}`).join(', ');

/** The model's top probabilities for a row, as "label 0.93 · label 0.05". */
function topProbabilities(labels: readonly string[], probabilities: readonly number[]): string {
  return probabilities
    .map((p, i) => ({ p, i }))
    .sort((a, b) => b.p - a.p)
    .slice(0, 3)
    .map(({ p, i }) => `${labels[i] ?? `#${i}`} ${p.toFixed(2)}`)
    .join(' · ');
}

/**
 * Rows whose labels the model confidently contradicts, from K fold models trained on this run's
 * settings (each row scored by a model that never saw it), with keep / relabel / drop.
 */
export function LabelIssuesPanel({ run }: { run: RunRecord }) {
  const search = useStudio((s) => s.labelIssues[run.id]);
  const edits = useStudio((s) => s.data.edits);
  const edited = useMemo(() => effectiveEdits(edits), [edits]);
  const [folds, setFolds] = useState(5);
  const [score, setScore] = useState<'self-confidence' | 'normalized-margin'>('self-confidence');
  const outcome = search?.status === 'done' ? search.outcome : null;
  const issues = outcome?.issues.slice(0, SHOWN) ?? [];
  const labels = outcome?.labels ?? run.labels;
  const act = (indices: number[], action: EditAction) =>
    void editRows(
      indices.map((k) => ({
        row: issues[k]!.row,
        text: search?.texts[k] ?? '',
        labels: issues[k]!.given,
        relabelTo: issues[k]!.suggested,
      })),
      action,
      labels,
      `label issues of ${run.name}`,
    );
  const all = issues.map((_, k) => k);
  return (
    <section className="fs-card" aria-labelledby="fs-label-issues-title">
      <div className="fs-card-head">
        <h3 id="fs-label-issues-title">Label issues</h3>
      </div>
      <p className="fs-muted">
        Trains {folds} fold models with {run.name}&apos;s settings on the current data, so every row is scored
        by a model that never saw it, and lists the rows whose label the models confidently contradict
        (confident learning), most suspect first.
      </p>
      <div className="fs-form-actions">
        <label>
          Folds{' '}
          <select className="fs-select" value={folds} onChange={(e) => setFolds(Number(e.target.value))}>
            {[3, 5, 10].map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          Score{' '}
          <select
            className="fs-select"
            value={score}
            onChange={(e) => setScore(e.target.value as typeof score)}
          >
            <option value="self-confidence">self-confidence</option>
            <option value="normalized-margin">normalized margin</option>
          </select>
        </label>
        {search?.status === 'running' ? (
          <button type="button" className="fs-button" onClick={() => stopLabelIssues(run.id)}>
            Stop
          </button>
        ) : (
          <button
            type="button"
            className="fs-button fs-button-primary"
            onClick={() => void findLabelIssues(run.id, folds, score)}
          >
            Find label issues
          </button>
        )}
      </div>
      {search?.status === 'running' ? (
        <ProgressBar
          label="Training the fold models"
          value={searchProgress(search)}
          detail={`fold ${Math.min(search.fold + 1, search.folds)} of ${search.folds}`}
        />
      ) : null}
      {search?.status === 'error' ? (
        <Notice tone="error" message={search.error ?? 'The search failed.'} />
      ) : null}
      {outcome ? (
        <>
          <p aria-label="Label issue summary">
            {outcome.issues.length} of {outcome.rows} rows flagged ({outcome.folds} folds, {outcome.score},
            data {search!.dataVersion === 0 ? 'as uploaded' : `version ${search!.dataVersion}`},{' '}
            {outcome.seconds.toFixed(0)} s)
          </p>
          {issues.length > 0 ? (
            <div className="fs-form-actions">
              <button type="button" className="fs-button fs-button-small" onClick={() => act(all, 'relabel')}>
                Relabel all {issues.length} as suggested
              </button>
              <button type="button" className="fs-button fs-button-small" onClick={() => act(all, 'drop')}>
                Drop all {issues.length}
              </button>
              <button type="button" className="fs-button fs-button-small" onClick={() => act(all, 'keep')}>
                Keep all {issues.length}
              </button>
            </div>
          ) : null}
          {issues.length > 0 ? (
            <div className="fs-table-scroll">
              <table className="fs-table" aria-label="Flagged rows">
                <thead>
                  <tr>
                    <th scope="col" className="fs-num">
                      Row
                    </th>
                    <th scope="col">Text</th>
                    <th scope="col">Given</th>
                    <th scope="col">Suggested</th>
                    <th scope="col" className="fs-num">
                      Score
                    </th>
                    <th scope="col">Probabilities</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {issues.map((issue, k) => {
                    const edit = edited.get(issue.row);
                    return (
                      <tr key={issue.row}>
                        <td className="fs-num">{issue.row}</td>
                        <td>{search!.texts[k] ?? ''}</td>
                        <td>{names(labels, issue.given)}</td>
                        <td>{names(labels, issue.suggested)}</td>
                        <td className="fs-num">{issue.quality.toFixed(3)}</td>
                        <td className="fs-small">{topProbabilities(labels, issue.probabilities)}</td>
                        <td className="fs-run-actions">
                          {edit ? (
                            <span className="fs-tag fs-tag-info">{EDITED_TEXT[edit.action]}</span>
                          ) : null}
                          <button
                            type="button"
                            className="fs-button fs-button-small"
                            onClick={() => act([k], 'keep')}
                            aria-label={`Keep row ${issue.row}`}
                          >
                            Keep
                          </button>
                          <button
                            type="button"
                            className="fs-button fs-button-small"
                            onClick={() => act([k], 'relabel')}
                            aria-label={`Relabel row ${issue.row} as ${names(labels, issue.suggested)}`}
                          >
                            Relabel
                          </button>
                          <button
                            type="button"
                            className="fs-button fs-button-small"
                            onClick={() => act([k], 'drop')}
                            aria-label={`Drop row ${issue.row}`}
                          >
                            Drop
                          </button>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          ) : null}
          {outcome.issues.length > issues.length ? (
            <p className="fs-muted">
              Showing the {issues.length} most suspect of {outcome.issues.length}.
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
