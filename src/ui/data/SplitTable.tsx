import { memo } from 'react';
import type { SplitSummary } from '../../state/types.ts';
import { formatCount } from '../format.ts';

/** Examples per split, overall and per class. */
export const SplitTable = memo(function SplitTable({ splits }: { splits: SplitSummary }) {
  const { sizes, perClass, notes } = splits;
  return (
    <section className="fs-card" aria-labelledby="fs-splits-title">
      <h3 id="fs-splits-title">Splits</h3>
      <dl className="fs-split-sizes">
        <div>
          <dt>Train</dt>
          <dd>{formatCount(sizes.train)}</dd>
        </div>
        <div>
          <dt>Validation</dt>
          <dd>{formatCount(sizes.validation)}</dd>
        </div>
        <div>
          <dt>Test</dt>
          <dd>{formatCount(sizes.test)}</dd>
        </div>
      </dl>
      {notes.length > 0 ? (
        <ul className="fs-notes">
          {notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      ) : null}
      <div className="fs-table-scroll">
        <table className="fs-table">
          <caption className="fs-visually-hidden">Examples per class in each split</caption>
          <thead>
            <tr>
              <th scope="col">Label</th>
              <th scope="col" className="fs-num">
                Train
              </th>
              <th scope="col" className="fs-num">
                Validation
              </th>
              <th scope="col" className="fs-num">
                Test
              </th>
            </tr>
          </thead>
          <tbody>
            {perClass.map((row) => (
              <tr key={row.label}>
                <th scope="row">{row.label}</th>
                <td className="fs-num">{formatCount(row.train)}</td>
                <td className="fs-num">{formatCount(row.validation)}</td>
                <td className="fs-num">{formatCount(row.test)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
});
