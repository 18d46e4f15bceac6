import { memo } from 'react';
import { downloadCheckRows } from '../../state/data.ts';
import type { CheckResult } from '../../state/types.ts';
import { formatCount } from '../format.ts';

const SEVERITY: Record<CheckResult['severity'], string> = {
  fatal: 'blocks training',
  dropped: 'dropped',
  warning: 'warning',
  info: 'note',
};

function rowList(check: CheckResult): string {
  if (check.rows.length === 0) return '';
  const shown = check.rows.slice(0, 8).join(', ');
  return check.rowTotal > 8 ? `rows ${shown}, …` : `row${check.rows.length === 1 ? '' : 's'} ${shown}`;
}

/** Every check of the import with its count; rows can be downloaded as CSV. */
export const ChecksPanel = memo(function ChecksPanel({
  checks,
  dropped,
}: {
  checks: CheckResult[];
  dropped: number;
}) {
  const found = checks.filter((check) => check.count > 0);
  const clean = checks.filter((check) => check.count === 0);
  return (
    <section className="fs-card" aria-labelledby="fs-checks-title">
      <div className="fs-card-head">
        <h3 id="fs-checks-title">Checks</h3>
        <button
          type="button"
          className="fs-button"
          onClick={() => void downloadCheckRows('dropped')}
          disabled={dropped === 0}
        >
          Download dropped rows (CSV)
        </button>
      </div>
      {found.length === 0 ? (
        <p className="fs-ok-text">Every check passed.</p>
      ) : (
        <table className="fs-table fs-checks-table">
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Effect</th>
              <th scope="col" className="fs-num">
                Rows
              </th>
              <th scope="col">Where</th>
              <th scope="col">
                <span className="fs-visually-hidden">Download</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {found.map((check) => (
              <tr key={check.id}>
                <th scope="row">
                  {check.title}
                  {check.detail && check.detail !== check.title ? (
                    <div className="fs-muted fs-small">{check.detail}</div>
                  ) : null}
                </th>
                <td>
                  <span className={`fs-tag fs-tag-${check.severity}`}>{SEVERITY[check.severity]}</span>
                </td>
                <td className="fs-num">{formatCount(check.count)}</td>
                <td className="fs-muted fs-small">{rowList(check)}</td>
                <td>
                  {check.rows.length > 0 ? (
                    <button
                      type="button"
                      className="fs-button fs-button-small"
                      onClick={() => void downloadCheckRows(check.id)}
                      aria-label={`Download rows: ${check.title}`}
                    >
                      CSV
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {clean.length > 0 ? (
        <p className="fs-muted fs-small">
          No problems found: {clean.map((check) => check.title.toLowerCase()).join(', ')}.
        </p>
      ) : null}
    </section>
  );
});
