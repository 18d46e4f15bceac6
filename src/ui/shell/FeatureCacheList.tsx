import { useEffect, useState } from 'react';
import { formatBytes } from '../../core/train/index.ts';
import {
  featureCaches,
  type FeatureStoreAction,
  type FeatureStoreListing,
} from '../../state/featureCaches.ts';

const MB = 1e6;

/** Settings' list of the head-only feature caches kept between sessions, with their budget. */
export function FeatureCacheList({ open }: { open: boolean }) {
  const [listing, setListing] = useState<FeatureStoreListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [budgetText, setBudgetText] = useState('');
  const run = (action: FeatureStoreAction) =>
    featureCaches(action).then(
      (next) => {
        setListing(next);
        setBudgetText(String(Math.round(next.budgetBytes / MB)));
        setError(null);
      },
      (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)),
    );
  useEffect(() => {
    if (open) void run({ kind: 'list' });
  }, [open]);

  const budgetMb = Number(budgetText);
  const budgetValid = budgetText.trim() !== '' && Number.isFinite(budgetMb) && budgetMb >= 0;
  const used = listing?.entries.reduce((sum, entry) => sum + entry.bytes, 0) ?? 0;
  return (
    <fieldset className="fs-fieldset" aria-label="Feature caches">
      <legend>Feature caches</legend>
      <p className="fs-muted fs-small">
        Head-only runs keep the frozen layers' output for each split here, so a later run with the same model,
        data and max length (after a reload too) skips computing it. The least recently used go first when the
        budget is full.
      </p>
      {error && (
        <p className="fs-small" role="alert">
          {error}
        </p>
      )}
      {listing?.unavailable && <p className="fs-small">Not kept between sessions: {listing.unavailable}.</p>}
      {listing && !listing.unavailable && (
        <>
          <div className="fs-field fs-field-inline">
            <label htmlFor="fs-feature-budget">Budget (MB)</label>
            <input
              id="fs-feature-budget"
              type="number"
              min={0}
              step={1}
              value={budgetText}
              onChange={(event) => setBudgetText(event.target.value)}
              aria-invalid={!budgetValid}
            />
            <button
              type="button"
              className="fs-button"
              disabled={!budgetValid || budgetMb * MB === listing.budgetBytes}
              onClick={() => void run({ kind: 'budget', bytes: Math.round(budgetMb * MB) })}
            >
              Set budget
            </button>
          </div>
          <p className="fs-small" aria-live="polite">
            {listing.entries.length === 0
              ? 'No feature caches are kept.'
              : `${listing.entries.length} kept, ${formatBytes(used)} of ${formatBytes(listing.budgetBytes)}.`}
          </p>
          {listing.entries.length > 0 && (
            // Scrolls sideways inside the dialog on a narrow window rather than squeezing the names.
            <div style={{ overflowX: 'auto' }}>
              <table className="fs-table" aria-label="Kept feature caches">
                <thead>
                  <tr>
                    <th scope="col">Model</th>
                    <th scope="col">Split</th>
                    <th scope="col">Examples</th>
                    <th scope="col">Max length</th>
                    <th scope="col">Size</th>
                    <th scope="col">Last used</th>
                    <th scope="col">
                      <span className="fs-visually-hidden">Delete</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {listing.entries.map((entry) => (
                    <tr key={entry.key}>
                      <td title={entry.description.model}>{entry.description.model}</td>
                      <td>{entry.description.split}</td>
                      <td>{entry.description.rows.toLocaleString('en')}</td>
                      <td>{entry.description.maxLength}</td>
                      <td style={{ whiteSpace: 'nowrap' }}>{formatBytes(entry.bytes)}</td>
                      <td style={{ whiteSpace: 'nowrap' }}>
                        {new Date(entry.lastUsed).toLocaleString(undefined, {
                          dateStyle: 'short',
                          timeStyle: 'short',
                        })}
                      </td>
                      <td>
                        <button
                          type="button"
                          className="fs-button"
                          aria-label={`Delete the ${entry.description.split} cache of ${entry.description.model}`}
                          onClick={() => void run({ kind: 'delete', key: entry.key })}
                        >
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {listing.entries.length > 1 && (
            <button type="button" className="fs-button" onClick={() => void run({ kind: 'clear' })}>
              Delete all
            </button>
          )}
        </>
      )}
    </fieldset>
  );
}
