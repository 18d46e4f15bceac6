import { useMemo, useState } from 'react';
import { defaultSearchSpace, parseSpace, type Distribution } from '../../core/search/index.ts';
import { defaultTrainConfig, type TrainMode } from '../../core/train/index.ts';
import { controlSearch, promoteTrial, startSearch } from '../../state/search/actions.ts';
import { useStudio } from '../../state/store.ts';
import { Notice } from '../shell/Notice.tsx';
import { ProgressBar } from '../shell/ProgressBar.tsx';
import { SearchChart } from './SearchChart.tsx';
import { SearchScatter } from './SearchScatter.tsx';
import { TrialsTable } from './TrialsTable.tsx';

type Kind = 'range' | 'choices' | 'fixed';
interface ParamRow {
  name: string;
  kind: Kind;
  low: string;
  high: string;
  log: boolean;
  choices: string;
  value: string;
}

const OBJECTIVES = ['loss', 'accuracy', 'macro_f1', 'micro_f1', 'weighted_f1'];

function rowsFor(mode: TrainMode): ParamRow[] {
  return Object.entries(defaultSearchSpace(mode)).map(([name, d]: [string, Distribution]) => ({
    name,
    kind: d.kind === 'categorical' ? 'choices' : d.kind === 'fixed' ? 'fixed' : 'range',
    low: d.kind === 'float' || d.kind === 'int' ? String(d.low) : '',
    high: d.kind === 'float' || d.kind === 'int' ? String(d.high) : '',
    log: (d.kind === 'float' || d.kind === 'int') && d.log,
    choices: d.kind === 'categorical' ? d.choices.join(', ') : '',
    value: d.kind === 'fixed' ? String(d.value) : '',
  }));
}

/** The edited rows as parseSpace's JSON: ranges, choices and fixed values. */
function spaceJson(rows: readonly ParamRow[]): Record<string, unknown> {
  return Object.fromEntries(
    rows.map((row) => [
      row.name,
      row.kind === 'fixed'
        ? Number(row.value)
        : row.kind === 'choices'
          ? { choices: row.choices.split(',').map((c) => Number(c.trim())) }
          : { low: Number(row.low), high: Number(row.high), log: row.log },
    ]),
  );
}

/** Hyperparameter search over the form's settings: space, budget, objective; trials live. */
export function SearchPanel() {
  const draft = useStudio((s) => s.draftSettings);
  const search = useStudio((s) => s.search);
  const mode: TrainMode = draft?.mode ?? 'top-k';
  const [rows, setRows] = useState<ParamRow[]>(() => rowsFor(mode));
  const [rowsMode, setRowsMode] = useState(mode);
  const [budgetKind, setBudgetKind] = useState<'trials' | 'minutes'>('trials');
  const [budget, setBudget] = useState('10');
  const [objective, setObjective] = useState('loss');
  const [sampler, setSampler] = useState<'tpe' | 'random'>('tpe');
  const [problem, setProblem] = useState<string | null>(null);
  if (rowsMode !== mode) {
    setRowsMode(mode);
    setRows(rowsFor(mode));
  }
  const params = useMemo(() => rows.map((r) => r.name), [rows]);
  const live = search?.status === 'running' || search?.status === 'paused';
  const edit = (i: number, patch: Partial<ParamRow>) =>
    setRows((current) => current.map((row, k) => (k === i ? { ...row, ...patch } : row)));

  const start = () => {
    try {
      const space = parseSpace(spaceJson(rows), mode, false);
      const amount = Number(budget);
      if (!(amount > 0)) throw new Error(`the budget must be a positive number of ${budgetKind}`);
      setProblem(null);
      const base = draft ?? defaultTrainConfig(mode);
      void startSearch({
        baseConfig: { ...base, metricForBestModel: objective },
        space,
        budget: budgetKind === 'trials' ? { trials: Math.round(amount) } : { minutes: amount },
        sampler,
        seed: base.seed,
        pruning: true,
      });
    } catch (error) {
      setProblem(`Search space: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const running = search?.progress ? search.trials[search.progress.trial] : undefined;
  return (
    <section className="fs-card" aria-labelledby="fs-search-title">
      <div className="fs-card-head">
        <h3 id="fs-search-title">Hyperparameter search</h3>
      </div>
      <p className="fs-muted">
        Trains trials one after another with the settings above, each with parameters from the space below
        (Optuna&apos;s TPE sampler, or random); unpromising trials stop early by the median rule. The best
        trial becomes a run.
      </p>
      <table className="fs-table" aria-label="Search space">
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Search as</th>
            <th scope="col">Values</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={row.name}>
              <th scope="row">{row.name}</th>
              <td>
                <select
                  className="fs-select"
                  aria-label={`${row.name} search as`}
                  value={row.kind}
                  onChange={(e) => edit(i, { kind: e.target.value as Kind })}
                  disabled={live}
                >
                  <option value="range">range</option>
                  <option value="choices">choices</option>
                  <option value="fixed">fixed</option>
                </select>
              </td>
              <td>
                {row.kind === 'range' ? (
                  <>
                    <input
                      className="fs-input fs-input-small"
                      aria-label={`${row.name} low`}
                      value={row.low}
                      onChange={(e) => edit(i, { low: e.target.value })}
                      disabled={live}
                    />{' '}
                    to{' '}
                    <input
                      className="fs-input fs-input-small"
                      aria-label={`${row.name} high`}
                      value={row.high}
                      onChange={(e) => edit(i, { high: e.target.value })}
                      disabled={live}
                    />{' '}
                    <label className="fs-check">
                      <input
                        type="checkbox"
                        checked={row.log}
                        onChange={(e) => edit(i, { log: e.target.checked })}
                        disabled={live}
                      />
                      log
                    </label>
                  </>
                ) : row.kind === 'choices' ? (
                  <input
                    className="fs-input"
                    aria-label={`${row.name} choices`}
                    value={row.choices}
                    onChange={(e) => edit(i, { choices: e.target.value })}
                    disabled={live}
                  />
                ) : (
                  <input
                    className="fs-input fs-input-small"
                    aria-label={`${row.name} value`}
                    value={row.value}
                    onChange={(e) => edit(i, { value: e.target.value })}
                    disabled={live}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="fs-form-actions">
        <label>
          Budget{' '}
          <input
            className="fs-input fs-input-small"
            aria-label="Search budget"
            value={budget}
            onChange={(e) => setBudget(e.target.value)}
            disabled={live}
          />
        </label>
        <select
          className="fs-select"
          aria-label="Budget unit"
          value={budgetKind}
          onChange={(e) => setBudgetKind(e.target.value as 'trials' | 'minutes')}
          disabled={live}
        >
          <option value="trials">trials</option>
          <option value="minutes">minutes</option>
        </select>
        <label>
          Objective{' '}
          <select
            className="fs-select"
            aria-label="Objective"
            value={objective}
            onChange={(e) => setObjective(e.target.value)}
            disabled={live}
          >
            {OBJECTIVES.map((name) => (
              <option key={name} value={name}>
                validation {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sampler{' '}
          <select
            className="fs-select"
            value={sampler}
            onChange={(e) => setSampler(e.target.value as 'tpe' | 'random')}
            disabled={live}
          >
            <option value="tpe">TPE</option>
            <option value="random">random</option>
          </select>
        </label>
        {live ? (
          <>
            <button
              type="button"
              className="fs-button"
              onClick={() => controlSearch(search.status === 'paused' ? 'resume' : 'pause')}
            >
              {search.status === 'paused' ? 'Resume search' : 'Pause search'}
            </button>
            <button type="button" className="fs-button" onClick={() => controlSearch('stop')}>
              Stop search
            </button>
          </>
        ) : (
          <button type="button" className="fs-button fs-button-primary" onClick={start}>
            Start search
          </button>
        )}
      </div>
      {problem ? <Notice tone="error" message={problem} /> : null}
      {search?.status === 'error' ? (
        <Notice tone="error" message={search.error ?? 'The search failed.'} />
      ) : null}
      {live && search.progress ? (
        <ProgressBar
          label={`Trial ${search.progress.trial}`}
          value={search.progress.totalSteps ? search.progress.step / search.progress.totalSteps : null}
          detail={running ? `step ${search.progress.step} of ${search.progress.totalSteps}` : undefined}
        />
      ) : null}
      {search && search.trials.length > 0 ? (
        <>
          <p aria-label="Search summary">
            {search.trials.filter((t) => t.state !== 'running').length} trials ended
            {search.status === 'done'
              ? search.best === null
                ? '; none completed'
                : `; best trial ${search.best} (${search.metric} ${search.trials[search.best]?.value?.toFixed(4) ?? '—'})${search.bestRunId ? ', kept as a run' : ''}`
              : search.status === 'paused'
                ? ' (paused)'
                : ''}
          </p>
          <div className="fs-columns">
            <SearchChart search={search} />
            <SearchScatter search={search} params={params} />
          </div>
          <TrialsTable
            trials={search.trials}
            params={params}
            best={search.best}
            canPromote={!live}
            onPromote={(trial) => void promoteTrial(trial).catch((e: unknown) => setProblem(String(e)))}
          />
        </>
      ) : null}
    </section>
  );
}
