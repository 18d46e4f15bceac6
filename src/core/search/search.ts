// A study as Optuna's ask/tell interface runs one: `ask` samples a trial's parameters in the
// space's order (fixed and single-valued ones are set, not sampled), `report` records a value at an
// evaluation step, `shouldPrune` asks the median rule, `tell` finishes the trial. `optimize` runs
// trials one after another within a budget of trials and/or time.
import { MEDIAN_PRUNER_DEFAULTS, shouldPrune, type MedianPrunerOptions } from './pruner.ts';
import { createSampler, type Sampler, type SamplerName } from './sampler.ts';
import { singleValue, spaceProblems, type ParamValue, type SearchSpace } from './space.ts';
import { bestTrial, lastReported, type Direction, type Trial, type TrialState } from './study.ts';

export interface StudySettings {
  space: SearchSpace;
  sampler: SamplerName;
  /** Seeds the sampler (not the training runs: the training seed is a searched parameter). */
  seed: number;
  direction: Direction;
  /** Median pruning at evaluation points; off runs every trial to its end. */
  pruning: boolean;
}

/** Thrown by an objective to end its trial as pruned. */
export class TrialPruned extends Error {
  constructor(readonly step: number) {
    super(`pruned at step ${step}`);
  }
}

export class Study {
  readonly trials: Trial[] = [];
  private readonly sampler: Sampler;

  constructor(
    readonly settings: StudySettings,
    private readonly prunerOptions: MedianPrunerOptions = MEDIAN_PRUNER_DEFAULTS,
    history: readonly Trial[] = [],
  ) {
    const problems = spaceProblems(settings.space);
    if (problems.length > 0) throw new Error(`search space: ${problems.join('; ')}`);
    this.sampler = createSampler(settings.sampler, settings.seed);
    for (const trial of history) this.trials.push(structuredClone(trial));
  }

  get direction(): Direction {
    return this.settings.direction;
  }

  ask(): Trial {
    const trial: Trial = {
      number: this.trials.length,
      state: 'running',
      params: {},
      value: null,
      intermediate: [],
    };
    this.trials.push(trial);
    for (const [name, distribution] of Object.entries(this.settings.space)) {
      const single = singleValue(distribution);
      trial.params[name] =
        single !== undefined || distribution.kind === 'fixed'
          ? (single as ParamValue)
          : this.sampler.sample(this.trials, this.direction, name, distribution);
    }
    return trial;
  }

  /** Records a value at a step; a second report at the same step is ignored, as in Optuna. */
  report(trial: Trial, step: number, value: number): void {
    if (trial.state !== 'running') throw new Error(`trial ${trial.number} is already ${trial.state}`);
    if (trial.intermediate.some(([s]) => s === step)) return;
    trial.intermediate.push([step, value]);
  }

  shouldPrune(trial: Trial): boolean {
    return this.settings.pruning && shouldPrune(trial, this.trials, this.direction, this.prunerOptions);
  }

  tell(trial: Trial, state: Exclude<TrialState, 'running'>, value?: number): void {
    if (trial.state !== 'running') throw new Error(`trial ${trial.number} is already ${trial.state}`);
    if (state === 'complete') {
      if (value === undefined || Number.isNaN(value)) {
        trial.state = 'failed';
        trial.value = null;
        return;
      }
      trial.value = value;
    } else if (state === 'pruned') {
      trial.value = lastReported(trial)?.[1] ?? null;
    } else {
      trial.value = null;
    }
    trial.state = state;
  }

  best(): Trial | undefined {
    return bestTrial(this.trials, this.direction);
  }
}

export interface TrialReporter {
  /** Records the objective at an evaluation step; true when the trial should stop as pruned. */
  report(step: number, value: number): boolean;
}

export type Objective = (
  params: Readonly<Record<string, ParamValue>>,
  reporter: TrialReporter,
  trial: Trial,
) => Promise<number>;

export interface OptimizeOptions {
  /** Stop after this many trials (counting the study's earlier ones). */
  trials?: number;
  /** Start no new trial after this many milliseconds. */
  timeBudgetMs?: number;
  /** Checked before each trial; false stops the search. */
  shouldContinue?: () => boolean | Promise<boolean>;
  onTrialStart?: (trial: Trial) => void;
  onTrialEnd?: (trial: Trial, error?: unknown) => void;
  now?: () => number;
}

/**
 * Runs trials one after another. An objective that throws `TrialPruned` ends its trial as pruned;
 * any other error marks it failed and the search goes on.
 */
export async function optimize(study: Study, objective: Objective, options: OptimizeOptions): Promise<void> {
  if (options.trials === undefined && options.timeBudgetMs === undefined) {
    throw new Error('a search needs a budget: a number of trials or minutes');
  }
  const now = options.now ?? (() => Date.now());
  const started = now();
  for (;;) {
    if (options.trials !== undefined && study.trials.length >= options.trials) return;
    if (options.timeBudgetMs !== undefined && now() - started >= options.timeBudgetMs) return;
    if (options.shouldContinue && !(await options.shouldContinue())) return;
    const trial = study.ask();
    options.onTrialStart?.(trial);
    const reporter: TrialReporter = {
      report: (step, value) => {
        study.report(trial, step, value);
        return study.shouldPrune(trial);
      },
    };
    try {
      const value = await objective(trial.params, reporter, trial);
      study.tell(trial, 'complete', value);
      options.onTrialEnd?.(trial);
    } catch (error) {
      if (error instanceof TrialPruned) {
        study.tell(trial, 'pruned');
        options.onTrialEnd?.(trial);
      } else {
        study.tell(trial, 'failed');
        options.onTrialEnd?.(trial, error);
      }
    }
  }
}
