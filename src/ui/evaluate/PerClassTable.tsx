import type { ClassScores } from '../../core/metrics/index.ts';

const pct = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : '—');

/** Precision, recall, F1 and support of every label. */
export function PerClassTable({
  classes,
  thresholds,
}: {
  classes: readonly ClassScores[];
  thresholds?: readonly number[];
}) {
  return (
    <div className="fs-table-scroll" style={{ maxHeight: 420 }}>
      <table className="fs-table" aria-label="Per-class metrics">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col" className="fs-num">
              Precision
            </th>
            <th scope="col" className="fs-num">
              Recall
            </th>
            <th scope="col" className="fs-num">
              F1
            </th>
            <th scope="col" className="fs-num">
              Support
            </th>
            {thresholds && (
              <th scope="col" className="fs-num">
                Threshold
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {classes.map((c, i) => (
            <tr key={c.label}>
              <th scope="row" style={{ fontWeight: 500 }}>
                {c.label}
              </th>
              <td className="fs-num">{pct(c.precision)}</td>
              <td className="fs-num">{pct(c.recall)}</td>
              <td className="fs-num">{pct(c.f1)}</td>
              <td className="fs-num">{c.support}</td>
              {thresholds && <td className="fs-num">{(thresholds[i] ?? 0.5).toFixed(2)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
