// Trials through the real training loop: one after another, each a TrainController run of its own
// fresh model copy (head initialised from the trial's training seed) on the run's split, all
// sharing one frozen-feature cache (head-only and top-k). The objective is the validation metric
// the run keeps its best checkpoint by (`metricForBestModel`; losses minimised, the rest
// maximised); each validation evaluation is reported to the study, and the median rule can stop
// the trial there. Early stopping works inside each trial as in a run. The best trial's model
// (holding its kept checkpoint) and result are kept; the others are freed as soon as they end.
import { greaterIsBetter } from '../metrics/index.ts';
import {
  checkTrainConfig,
  metricKey,
  type TrainConfig,
  type EncodedDataset,
  type SplitName,
  type TrainEvent,
  type TrainResult,
  type FeatureCache,
  type FeatureCacheFactory,
  type FeatureEngineFactory,
  TrainController,
  type TrainModel,
} from '../train/index.ts';
import { isBetter, type Direction, type Trial } from './study.ts';
import { configForParams } from './space.ts';
import { optimize, Study, TrialPruned, type StudySettings } from './search.ts';

export interface TrialRunSettings {
  data: EncodedDataset;
  /** The run's settings; each trial's parameters go over them. */
  baseConfig: TrainConfig;
  /** A fresh trainable copy of the model whose new head is drawn from `seed`. */
  newModel(seed: number): TrainModel | Promise<TrainModel>;
  disposeModel(model: TrainModel): void;
  featureCache?: FeatureCacheFactory;
  /** The frozen part's forward pass when trials cache features (default: tfjs). */
  featureEngine?: FeatureEngineFactory;
  emitIntervalMs?: number;
  now?: () => number;
}

export interface SearchBudget {
  trials?: number;
  /** Start no new trial after this many milliseconds (the running one finishes). */
  timeBudgetMs?: number;
}

export interface SearchHooks {
  onTrialStart?(trial: Trial, config: TrainConfig): void;
  onTrainEvent?(trial: Trial, event: TrainEvent): void;
  /** The trial once the study recorded its end; `result` is null when it failed before training ended. */
  onTrialEnd?(trial: Trial, result: TrainResult | null, error?: string): void;
}

export interface KeptTrial {
  trial: Trial;
  config: TrainConfig;
  model: TrainModel;
  result: TrainResult;
}

/** The study's direction for a run's metric. */
export function directionOf(metric: string): Direction {
  return greaterIsBetter(metricKey(metric)) ? 'maximize' : 'minimize';
}

export class SearchRunner {
  readonly study: Study;
  private controller: TrainController | null = null;
  private paused = false;
  private stopped = false;
  private resumeWaiters: Array<() => void> = [];
  private caches: Partial<Record<SplitName, FeatureCache>> | undefined;
  private kept: KeptTrial | null = null;
  private lastResult: TrainResult | null = null;

  constructor(
    settings: Omit<StudySettings, 'direction'>,
    private readonly run: TrialRunSettings,
    private readonly hooks: SearchHooks = {},
    history: readonly Trial[] = [],
  ) {
    if (run.data.validation.offsets.length <= 1) {
      throw new Error('a search needs a validation split: its metric is the objective');
    }
    const problems = checkTrainConfig(run.baseConfig);
    if (problems.length > 0) throw new Error(problems[0]);
    this.study = new Study(
      { ...settings, direction: directionOf(run.baseConfig.metricForBestModel) },
      undefined,
      history,
    );
  }

  get best(): KeptTrial | null {
    return this.kept;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
    this.controller?.pause();
  }

  resume(): void {
    this.paused = false;
    this.controller?.resume();
    for (const wake of this.resumeWaiters.splice(0)) wake();
  }

  /** Stops the running trial (it counts as failed, as an interrupted Optuna trial) and the search. */
  stop(): void {
    this.stopped = true;
    this.controller?.stop();
    this.resume();
  }

  /** Runs trials until the budget is spent or the search is stopped; frees the shared caches. */
  async runSearch(budget: SearchBudget): Promise<KeptTrial | null> {
    try {
      await optimize(this.study, (params, reporter, trial) => this.runTrial(params, reporter, trial), {
        ...budget,
        ...(this.run.now ? { now: this.run.now } : {}),
        shouldContinue: async () => {
          while (this.paused && !this.stopped)
            await new Promise<void>((wake) => this.resumeWaiters.push(wake));
          return !this.stopped;
        },
        onTrialEnd: (trial, error) => {
          const result = this.lastResult;
          this.lastResult = null;
          this.hooks.onTrialEnd?.(trial, result, error === undefined ? undefined : errorText(error));
        },
      });
    } finally {
      await this.disposeCaches();
    }
    return this.kept;
  }

  private async runTrial(
    params: Parameters<typeof configForParams>[1],
    reporter: { report(step: number, value: number): boolean },
    trial: Trial,
  ): Promise<number> {
    const config = configForParams(this.run.baseConfig, params);
    const problems = checkTrainConfig(config);
    if (problems.length > 0) throw new Error(problems[0]);
    this.hooks.onTrialStart?.(trial, config);
    const metric = metricKey(config.metricForBestModel);
    const model = await this.run.newModel(config.seed);
    let keepModel = false;
    try {
      const controller = new TrainController({
        model,
        data: this.run.data,
        config,
        keepCaches: true,
        ...(this.caches ? { featureCaches: this.caches } : {}),
        ...(this.run.featureCache ? { featureCache: this.run.featureCache } : {}),
        ...(this.run.featureEngine ? { callbacks: { featureEngine: this.run.featureEngine } } : {}),
        ...(this.run.emitIntervalMs !== undefined ? { emitIntervalMs: this.run.emitIntervalMs } : {}),
        ...(this.run.now ? { now: this.run.now } : {}),
      });
      this.controller = controller;
      if (this.paused) controller.pause();
      let prunedAt: number | null = null;
      let metricMissing = false;
      controller.on((event) => {
        this.hooks.onTrainEvent?.(trial, event);
        if (event.type !== 'eval' || event.report.split !== 'validation' || prunedAt !== null) return;
        const value = event.metrics[metric];
        if (value === undefined) {
          metricMissing = true;
          return;
        }
        if (reporter.report(event.step, value)) {
          prunedAt = event.step;
          controller.stop();
        }
      });
      const result = await controller.run();
      this.controller = null;
      this.lastResult = result;
      if (this.caches === undefined && Object.keys(result.caches).length > 0) this.caches = result.caches;
      if (metricMissing) throw new Error(`the validation metrics have no "${metric}"`);
      if (result.reason === 'device_lost') {
        this.stopped = true;
        throw new Error(result.message);
      }
      if (prunedAt !== null) throw new TrialPruned(prunedAt);
      if (result.reason === 'stopped') throw new Error('stopped before it finished');
      if (result.best === null) throw new Error('the trial ended without a validation evaluation');
      const value = result.best.value;
      const incumbent = this.kept?.trial.value;
      if (incumbent === undefined || incumbent === null || isBetter(this.study.direction, value, incumbent)) {
        if (this.kept) this.run.disposeModel(this.kept.model);
        // The study records the value when the objective returns; the kept trial points at it.
        this.kept = { trial, config: result.config, model, result };
        keepModel = true;
      }
      return value;
    } finally {
      this.controller = null;
      if (!keepModel) this.run.disposeModel(model);
    }
  }

  private async disposeCaches(): Promise<void> {
    const caches = this.caches;
    this.caches = undefined;
    if (caches) await Promise.all(Object.values(caches).map((cache) => cache?.dispose()));
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
