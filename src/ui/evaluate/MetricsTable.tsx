interface MetricsTableProps {
  /** Metric names in display order with their human names. */
  rows: readonly { key: string; name: string }[];
  columns: readonly { name: string; values: Readonly<Record<string, number | undefined>> }[];
}

const format = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(4);

/** Headline metrics, one column per split or setting (validation at the best checkpoint, test). */
export function MetricsTable({ rows, columns }: MetricsTableProps) {
  return (
    <table className="fs-table" aria-label="Metrics">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          {columns.map((c) => (
            <th key={c.name} scope="col" className="fs-num">
              {c.name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key} data-metric={row.key}>
            <th scope="row" style={{ fontWeight: 500 }}>
              {row.name}
            </th>
            {columns.map((c) => (
              <td key={c.name} className="fs-num">
                {format(c.values[row.key])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
