import type { Trial } from '../../core/search/index.ts';

function formatParam(value: unknown): string {
  return typeof value === 'number' && !Number.isInteger(value) ? value.toExponential(2) : String(value);
}

/** Every trial: state, parameters, objective; promote one to a run by training it again. */
export function TrialsTable({
  trials,
  params,
  best,
  canPromote,
  onPromote,
}: {
  trials: readonly Trial[];
  params: readonly string[];
  best: number | null;
  canPromote: boolean;
  onPromote(trial: Trial): void;
}) {
  return (
    <div className="fs-table-scroll">
      <table className="fs-table" aria-label="Trials">
        <thead>
          <tr>
            <th scope="col" className="fs-num">
              Trial
            </th>
            <th scope="col">State</th>
            {params.map((name) => (
              <th key={name} scope="col" className="fs-num">
                {name}
              </th>
            ))}
            <th scope="col" className="fs-num">
              Objective
            </th>
            <th scope="col">
              <span className="fs-visually-hidden">Promote</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {trials.map((trial) => (
            <tr key={trial.number} className={trial.number === best ? 'fs-run-row-active' : undefined}>
              <td className="fs-num">{trial.number}</td>
              <td>
                {trial.state}
                {trial.number === best ? ' (best)' : ''}
              </td>
              {params.map((name) => (
                <td key={name} className="fs-num">
                  {trial.params[name] === undefined ? '—' : formatParam(trial.params[name])}
                </td>
              ))}
              <td className="fs-num">{trial.value === null ? '—' : trial.value.toFixed(4)}</td>
              <td>
                {trial.state !== 'running' && trial.number !== best ? (
                  <button
                    type="button"
                    className="fs-button fs-button-small"
                    disabled={!canPromote}
                    onClick={() => onPromote(trial)}
                    aria-label={`Promote trial ${trial.number}`}
                    title="Train this trial again from its parameters and seed, as a new run"
                  >
                    Promote
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
