interface ConfusionMatrixProps {
  labels: readonly string[];
  /** matrix[true][predicted] counts. */
  matrix: readonly (readonly number[])[];
  selected: { truth: number; predicted: number } | null;
  onSelect(cell: { truth: number; predicted: number } | null): void;
}

/**
 * Heatmap of true (rows) against predicted (columns) labels. Each cell is a button: pressing it
 * lists the examples in that cell. Shading is relative to the row, so a rare class's errors show
 * as clearly as a frequent one's; the count is always printed.
 */
export function ConfusionMatrix({ labels, matrix, selected, onSelect }: ConfusionMatrixProps) {
  return (
    <div className="fs-table-scroll" style={{ maxHeight: 'none' }}>
      <table className="fs-confusion" aria-label="Confusion matrix">
        <caption className="fs-muted" style={{ captionSide: 'bottom', textAlign: 'left', paddingTop: 6 }}>
          Rows: true label · columns: predicted label · press a cell to list its examples
        </caption>
        <thead>
          <tr>
            <th scope="col">
              <span className="fs-muted fs-small">true ↓ · predicted →</span>
            </th>
            {labels.map((label) => (
              <th key={label} scope="col" title={label}>
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, t) => {
            const rowTotal = row.reduce((a, b) => a + b, 0);
            return (
              <tr key={labels[t] ?? t}>
                <th scope="row" title={labels[t]}>
                  {labels[t]}
                </th>
                {row.map((count, p) => {
                  const share = rowTotal === 0 ? 0 : count / rowTotal;
                  const isSelected = selected?.truth === t && selected.predicted === p;
                  const alpha = 0.08 + share * 0.82;
                  return (
                    <td key={p}>
                      <button
                        type="button"
                        className="fs-cell"
                        aria-pressed={isSelected}
                        aria-label={`${count} examples labelled ${labels[t]} predicted ${labels[p]}`}
                        style={{
                          background:
                            count === 0 ? 'transparent' : `rgba(var(--fs-heat), ${alpha.toFixed(3)})`,
                          color: share > 0.55 ? '#fff' : undefined,
                          fontWeight: t === p ? 700 : 400,
                        }}
                        onClick={() => onSelect(isSelected ? null : { truth: t, predicted: p })}
                      >
                        {count}
                      </button>
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
