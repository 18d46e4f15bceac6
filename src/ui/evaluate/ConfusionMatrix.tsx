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
/** Cell size by label count: 2 to about 12 labels fit a full-width card, more scroll. */
function density(n: number): 'roomy' | 'compact' | 'dense' {
  return n <= 12 ? 'roomy' : n <= 40 ? 'compact' : 'dense';
}

export function ConfusionMatrix({ labels, matrix, selected, onSelect }: ConfusionMatrixProps) {
  const n = labels.length;
  return (
    <>
      <p className="fs-muted fs-small" id="fs-confusion-help">
        Rows: true label · columns: predicted label · press a cell to list its examples
        {n > 12
          ? ` · ${n} labels: scroll the matrix sideways and down; point at a name to read it whole`
          : ''}
      </p>
      <div
        className={`fs-confusion-scroll fs-confusion-${density(n)}`}
        // Focusable so the keyboard can scroll a matrix wider than the card.
        tabIndex={0}
        role="region"
        aria-label="Confusion matrix, scrollable"
        aria-describedby="fs-confusion-help"
      >
        <table className="fs-confusion" aria-label="Confusion matrix">
          <thead>
            <tr>
              <th scope="col" className="fs-confusion-corner">
                <span className="fs-muted fs-small">true ↓ · predicted →</span>
              </th>
              {labels.map((label) => (
                <th key={label} scope="col" title={label} className="fs-confusion-col">
                  <span className="fs-confusion-name">{label}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {matrix.map((row, t) => {
              const rowTotal = row.reduce((a, b) => a + b, 0);
              return (
                <tr key={labels[t] ?? t}>
                  <th scope="row" title={labels[t]} className="fs-confusion-row">
                    <span className="fs-confusion-name">{labels[t]}</span>
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
    </>
  );
}
