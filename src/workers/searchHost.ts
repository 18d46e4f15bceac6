// Hyperparameter search in the train worker: core/search's SearchRunner runs the trials one after
// another from the loaded model (a fresh copy per trial, the first trial's feature caches shared),
// streams each trial's start, progress and end, and keeps the best trial's model so that it can
// become a run like any other (`adoptSearchBest`: its training events replayed, then `finished`).
import * as tf from '@tensorflow/tfjs-core';
import { runModelCopy } from '../core/model/index.ts';
import { SearchRunner, type KeptTrial } from '../core/search/index.ts';
import type { TrainEvent as LoopEvent } from '../core/train/index.ts';
import type { EncodedDataset } from '../core/tokenize/index.ts';
import { browserFeatureCache } from './featureCacheSpill.ts';
import { errorMessage, type TrainCommand, type TrainEvent } from './protocol.ts';
import { adoptTrainedModel, baseModel, borrowDevice, ortFeatureEngine } from './runHost.ts';

type Post = (event: TrainEvent) => void;
type SearchRequest = Extract<TrainCommand, { type: 'search' }>;

/** Loop events a run's charts are drawn from. */
const REPLAYED = new Set<LoopEvent['type']>(['start', 'step', 'eval', 'epoch', 'notice']);

const running = new Map<string, SearchRunner>();
/** The last ended search's best trial, until it is adopted or another search starts. */
let ended: { searchId: string; kept: KeptTrial; events: LoopEvent[]; data: EncodedDataset } | null = null;

function freeEnded(): void {
  if (ended) tf.dispose(Object.values(ended.kept.model.params));
  ended = null;
}

export function controlSearch(requestId: string, action: 'pause' | 'resume' | 'stop'): void {
  const runner = running.get(requestId);
  if (!runner) return;
  if (action === 'pause') runner.pause();
  else if (action === 'resume') runner.resume();
  else runner.stop();
}

export async function runSearch(command: SearchRequest, post: Post): Promise<void> {
  const { requestId, data, baseConfig } = command;
  let release: (() => void) | null = null;
  try {
    release = borrowDevice('hyperparameter search');
    freeEnded();
    const base = baseModel();
    const notify = () => undefined;
    const events = new Map<number, LoopEvent[]>();
    let lastPost = 0;
    const runner = new SearchRunner(
      { space: command.space, sampler: command.sampler, seed: command.seed, pruning: command.pruning },
      {
        data,
        baseConfig,
        newModel: (seed) => runModelCopy(base, data.labels, data.multiLabel, seed),
        disposeModel: (model) => tf.dispose(Object.values(model.params)),
        featureCache: browserFeatureCache(requestId, notify),
        featureEngine: ortFeatureEngine(notify),
      },
      {
        onTrialStart: (trial) => {
          events.set(trial.number, []);
          post({ type: 'searchTrial', requestId, trial: structuredClone(trial) });
        },
        onTrainEvent: (trial, event) => {
          if (REPLAYED.has(event.type)) events.get(trial.number)?.push(event);
          const now = performance.now();
          if (event.type !== 'step' || now - lastPost < 200) return;
          lastPost = now;
          post({
            type: 'searchProgress',
            requestId,
            trial: trial.number,
            step: event.step,
            totalSteps: event.totalSteps,
          });
        },
        onTrialEnd: (trial) => {
          post({ type: 'searchTrial', requestId, trial: structuredClone(trial) });
          // Only the best trial's events are replayed later.
          for (const number of events.keys()) {
            if (number !== runner.best?.trial.number) events.delete(number);
          }
        },
      },
    );
    running.set(requestId, runner);
    const kept = await runner.runSearch({
      ...(command.budget.trials !== undefined ? { trials: command.budget.trials } : {}),
      ...(command.budget.minutes !== undefined ? { timeBudgetMs: command.budget.minutes * 60_000 } : {}),
    });
    if (kept) ended = { searchId: requestId, kept, events: events.get(kept.trial.number) ?? [], data };
    post({
      type: 'searchDone',
      requestId,
      direction: runner.study.direction,
      trials: structuredClone(runner.study.trials),
      best: kept?.trial.number ?? null,
      bestConfig: kept?.config ?? null,
    });
  } catch (error) {
    post({ type: 'error', requestId, message: `The search stopped: ${errorMessage(error)}` });
  } finally {
    running.delete(requestId);
    release?.();
  }
}

export function adoptSearchBest(
  command: Extract<TrainCommand, { type: 'adoptSearchBest' }>,
  post: Post,
): void {
  const { requestId, searchId, runId } = command;
  if (!ended || ended.searchId !== searchId) {
    post({ type: 'error', requestId, message: 'The best trial of that search is not kept any more.' });
    return;
  }
  const { kept, events, data } = ended;
  ended = null;
  for (const event of events) post({ type: 'run', runId, event });
  const outcome = adoptTrainedModel(runId, data, kept.result, kept.model);
  post({ type: 'finished', runId, outcome });
  post({ type: 'attached', requestId, runId });
}
