import type { RowEdit } from '../../core/dataset/index.ts';

const ACTION_TEXT = { keep: 'kept', relabel: 'relabelled', drop: 'dropped' } as const;

/** The edited rows (the Data step's "edited" filter): row, text, label before and after. */
export function EditedRows({ rows }: { rows: readonly RowEdit[] }) {
  return (
    <div className="fs-table-scroll">
      <table className="fs-table" aria-label="Edited rows">
        <thead>
          <tr>
            <th scope="col" className="fs-num">
              Row
            </th>
            <th scope="col">Text</th>
            <th scope="col">Edit</th>
            <th scope="col">Label before</th>
            <th scope="col">Label now</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((edit) => (
            <tr key={edit.row}>
              <td className="fs-num">{edit.row}</td>
              <td>{edit.text}</td>
              <td>{ACTION_TEXT[edit.action]}</td>
              <td>{edit.given}</td>
              <td>{edit.action === 'relabel' ? edit.label : edit.action === 'keep' ? edit.given : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
