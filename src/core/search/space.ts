// The search space: Optuna's three distributions (float, int, categorical; log scale and step as in
// optuna/distributions.py), fixed values, the Hugging Face Trainer's `hyperparameter_search`
// defaults (transformers/trainer_utils.py `default_hp_space_optuna`) adapted per training mode,
// and the mapping from parameters to a TrainConfig.
import type { TrainConfig, TrainMode } from '../train/index.ts';

export type CategoricalChoice = number | string | boolean;

export type Distribution =
  | { kind: 'float'; low: number; high: number; log: boolean; step?: number }
  | { kind: 'int'; low: number; high: number; log: boolean; step: number }
  | { kind: 'categorical'; choices: readonly CategoricalChoice[] }
  | { kind: 'fixed'; value: CategoricalChoice };

export type ParamValue = CategoricalChoice;

/** Parameters searched for a training run, under training_args.json names. */
export const SEARCHABLE_PARAMS = {
  learning_rate: 'learningRate',
  num_train_epochs: 'epochs',
  per_device_train_batch_size: 'batchSize',
  seed: 'seed',
  weight_decay: 'weightDecay',
  warmup_ratio: 'warmupRatio',
  label_smoothing_factor: 'labelSmoothing',
  gradient_accumulation_steps: 'gradAccumSteps',
} as const satisfies Record<string, keyof TrainConfig>;

export type SearchableParam = keyof typeof SEARCHABLE_PARAMS;
export const SEARCHABLE_PARAM_NAMES = Object.keys(SEARCHABLE_PARAMS) as SearchableParam[];

/** Insertion order is the order parameters are sampled in, as `trial.suggest_*` calls. */
export type SearchSpace = Partial<Record<SearchableParam, Distribution>>;

/** The Trainer's default space; head-only training moves the learning rate to 1e-4 … 1e-2. */
export function defaultSearchSpace(mode: TrainMode): SearchSpace {
  return {
    learning_rate: mode === 'head' ? floatDist(1e-4, 1e-2, true) : floatDist(1e-6, 1e-4, true),
    num_train_epochs: intDist(1, 5),
    seed: intDist(1, 40),
    per_device_train_batch_size: { kind: 'categorical', choices: [4, 8, 16, 32, 64] },
  };
}

export function floatDist(low: number, high: number, log = false, step?: number): Distribution {
  return step === undefined ? { kind: 'float', low, high, log } : { kind: 'float', low, high, log, step };
}

export function intDist(low: number, high: number, log = false, step = 1): Distribution {
  return { kind: 'int', low, high, log, step };
}

/** Optuna's `_is_single`: a distribution with one value is not sampled. */
export function singleValue(distribution: Distribution): ParamValue | undefined {
  switch (distribution.kind) {
    case 'fixed':
      return distribution.value;
    case 'categorical':
      return distribution.choices.length === 1 ? distribution.choices[0] : undefined;
    case 'int':
      return distribution.low === distribution.high ||
        distribution.low + distribution.step > distribution.high
        ? distribution.low
        : undefined;
    case 'float':
      if (distribution.low === distribution.high) return distribution.low;
      if (distribution.step !== undefined && distribution.low + distribution.step > distribution.high) {
        return distribution.low;
      }
      return undefined;
    default: {
      const never: never = distribution;
      return never;
    }
  }
}

/** One line per problem, empty when the distribution is valid (Optuna's own checks). */
export function distributionProblems(name: string, distribution: Distribution): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) problems.push(`${name}: ${message}`);
  };
  switch (distribution.kind) {
    case 'float':
    case 'int': {
      const { low, high, log } = distribution;
      need(
        Number.isFinite(low) && Number.isFinite(high),
        `range must be finite numbers, got ${low} … ${high}`,
      );
      need(low <= high, `low (${low}) must not exceed high (${high})`);
      if (log) need(low > 0, `a log scale needs low > 0, got ${low}`);
      const step = distribution.step;
      if (step !== undefined) {
        need(step > 0, `step must be positive, got ${step}`);
        if (log) need(distribution.kind === 'int' && step === 1, 'a log scale cannot have a step');
      }
      if (distribution.kind === 'int') {
        need(
          Number.isInteger(low) && Number.isInteger(high),
          `an integer range needs whole ends, got ${low} … ${high}`,
        );
        need(Number.isInteger(distribution.step), `an integer step must be whole, got ${distribution.step}`);
      }
      break;
    }
    case 'categorical':
      need(distribution.choices.length > 0, 'needs at least one choice');
      need(new Set(distribution.choices).size === distribution.choices.length, 'choices must differ');
      break;
    case 'fixed':
      break;
    default: {
      const never: never = distribution;
      return never;
    }
  }
  return problems;
}

export function spaceProblems(space: SearchSpace): string[] {
  const problems: string[] = [];
  for (const [name, distribution] of Object.entries(space)) {
    if (!(name in SEARCHABLE_PARAMS)) {
      problems.push(`${name}: not a searchable setting (${SEARCHABLE_PARAM_NAMES.join(', ')})`);
      continue;
    }
    problems.push(...distributionProblems(name, distribution));
  }
  if (Object.keys(space).length === 0) problems.push('the search space is empty');
  return problems;
}

/** Optuna's internal representation: the value itself, or a categorical choice's index. */
export function toInternal(distribution: Distribution, value: ParamValue): number {
  if (distribution.kind === 'categorical') {
    const index = distribution.choices.indexOf(value);
    if (index < 0) throw new Error(`${String(value)} is not one of ${distribution.choices.join(', ')}`);
    return index;
  }
  if (typeof value !== 'number') throw new Error(`expected a number, got ${String(value)}`);
  return value;
}

export function toExternal(distribution: Distribution, internal: number): ParamValue {
  switch (distribution.kind) {
    case 'categorical':
      return distribution.choices[Math.trunc(internal)]!;
    case 'int':
      return Math.trunc(internal);
    case 'float':
      return internal;
    case 'fixed':
      return distribution.value;
    default: {
      const never: never = distribution;
      return never;
    }
  }
}

/** The run settings of a trial: the base settings with the trial's parameters over them. */
export function configForParams(
  base: TrainConfig,
  params: Readonly<Record<string, ParamValue>>,
): TrainConfig {
  const config: TrainConfig = { ...base };
  for (const [name, value] of Object.entries(params)) {
    const key = SEARCHABLE_PARAMS[name as SearchableParam];
    if (key === undefined) throw new Error(`${name} is not a searchable setting`);
    if (typeof value !== 'number') throw new Error(`${name} must be a number, got ${String(value)}`);
    (config as unknown as Record<string, number>)[key] = value;
  }
  return config;
}

/** Parameters whose values are whole numbers (their ranges are integer ranges). */
const INTEGER_PARAMS: ReadonlySet<SearchableParam> = new Set([
  'num_train_epochs',
  'per_device_train_batch_size',
  'seed',
  'gradient_accumulation_steps',
]);

/**
 * A space written as JSON, e.g. `{"learning_rate": {"low": 1e-5, "high": 1e-3, "log": true},
 * "per_device_train_batch_size": {"choices": [8, 16]}, "num_train_epochs": 3}`: a range (with
 * optional `log` and `step`; whole-number settings get integer ranges), a list of `choices`, or a
 * fixed value. Settings left out keep the mode's defaults when `merge` is on.
 */
export function parseSpace(json: unknown, mode: TrainMode, merge = true): SearchSpace {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error('a search space is a JSON object of setting → range, choices or value');
  }
  const space: SearchSpace = merge ? defaultSearchSpace(mode) : {};
  for (const [name, spec] of Object.entries(json as Record<string, unknown>)) {
    if (!(name in SEARCHABLE_PARAMS)) {
      throw new Error(`${name}: not a searchable setting (${SEARCHABLE_PARAM_NAMES.join(', ')})`);
    }
    const param = name as SearchableParam;
    if (typeof spec === 'number') {
      space[param] = { kind: 'fixed', value: spec };
    } else if (spec && typeof spec === 'object' && 'choices' in spec) {
      const choices = (spec as { choices: unknown }).choices;
      if (!Array.isArray(choices) || !choices.every((c) => typeof c === 'number')) {
        throw new Error(`${name}: choices must be a list of numbers`);
      }
      space[param] = { kind: 'categorical', choices: choices as number[] };
    } else if (spec && typeof spec === 'object' && 'low' in spec && 'high' in spec) {
      const { low, high, log, step } = spec as { low: unknown; high: unknown; log?: unknown; step?: unknown };
      if (typeof low !== 'number' || typeof high !== 'number')
        throw new Error(`${name}: low and high must be numbers`);
      if (log !== undefined && typeof log !== 'boolean')
        throw new Error(`${name}: log must be true or false`);
      if (step !== undefined && typeof step !== 'number') throw new Error(`${name}: step must be a number`);
      space[param] = INTEGER_PARAMS.has(param)
        ? intDist(low, high, log ?? false, step ?? 1)
        : floatDist(low, high, log ?? false, step);
    } else {
      throw new Error(`${name}: expected {"low", "high"[, "log", "step"]}, {"choices": [...]} or a number`);
    }
  }
  const problems = spaceProblems(space);
  if (problems.length > 0) throw new Error(problems[0]);
  return space;
}
