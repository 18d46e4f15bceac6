import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { dataVersion, editCounts, effectiveEdits } from '../../core/dataset/index.ts';
import { downloadCorrectedFile, downloadEditLog, undoEdit } from '../../state/edits.ts';
import { useStudio } from '../../state/store.ts';
import { formatCount } from '../format.ts';
import { EditedRows } from './EditedRows.tsx';

const ACTION_TEXT = { keep: 'kept', relabel: 'relabelled', drop: 'dropped' } as const;

/** The analyst's edits over the file: counts, the data version, undo, the corrected file and the log. */
export function EditsPanel() {
  const { edits, analyzing, tokenizing } = useStudio(
    useShallow((s) => ({ edits: s.data.edits, analyzing: s.data.analyzing, tokenizing: s.data.tokenizing })),
  );
  const [onlyEdited, setOnlyEdited] = useState(false);
  const counts = useMemo(() => editCounts(edits), [edits]);
  const rows = useMemo(() => [...effectiveEdits(edits).values()].sort((a, b) => a.row - b.row), [edits]);
  const last = edits.entries.at(-1);
  const version = dataVersion(edits);
  const busy = analyzing || tokenizing;
  return (
    <section className="fs-card" aria-labelledby="fs-edits-title">
      <div className="fs-card-head">
        <h3 id="fs-edits-title">Edits</h3>
        <span className="fs-muted" data-testid="data-version">
          {version === 0 ? 'Data as uploaded' : `Data version ${version}`}
        </span>
      </div>
      {edits.entries.length === 0 ? (
        <p className="fs-muted">
          No edits yet. Keep, relabel or drop rows from a run&apos;s label issues or its misclassified
          examples on the Evaluate step; the uploaded file itself never changes.
        </p>
      ) : (
        <>
          <p aria-label="Edit counts">
            {(['relabel', 'drop', 'keep'] as const).map((action, i) => (
              <span key={action}>
                {i > 0 ? ' · ' : ''}
                <strong>{formatCount(counts[action])}</strong> {ACTION_TEXT[action]}
              </span>
            ))}
          </p>
          <div className="fs-form-actions">
            <button
              type="button"
              className="fs-button"
              disabled={!last || busy}
              onClick={() => void undoEdit()}
              title={last ? `Undo version ${last.version}: ${last.note}` : undefined}
            >
              Undo last edit
              {last ? ` (${formatCount(last.edits.length)} row${last.edits.length === 1 ? '' : 's'})` : ''}
            </button>
            <button
              type="button"
              className="fs-button"
              disabled={busy}
              onClick={() => void downloadCorrectedFile()}
            >
              Download corrected file
            </button>
            <button type="button" className="fs-button" onClick={downloadEditLog}>
              Download edit log (CSV)
            </button>
            <label className="fs-check">
              <input type="checkbox" checked={onlyEdited} onChange={(e) => setOnlyEdited(e.target.checked)} />{' '}
              Show edited rows
            </label>
          </div>
          {onlyEdited ? <EditedRows rows={rows} /> : null}
        </>
      )}
    </section>
  );
}
