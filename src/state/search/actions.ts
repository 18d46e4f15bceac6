// Hyperparameter search from the Train step: the form's settings as the base, the current data
// encoded once, trials in the train worker; the best trial becomes a run, and any trial can be
// promoted by training it again from its parameters and seed. Components call these.
import { type SamplerName, configForParams, type SearchSpace, type Trial } from '../../core/search/index.ts';
import { greaterIsBetter } from '../../core/metrics/index.ts';
import { metricKey } from '../../core/train/index.ts';
import type { TrainConfig } from '../../workers/protocol.ts';
import { prepareTrainingData } from '../data.ts';
import { addRunRecord, describeError, nextRunName, startBlocker, startRun } from '../runs/actions.ts';
import { listenToRuns } from '../runs/listener.ts';
import { studio } from '../store.ts';
import { newRequestId } from '../workerClient.ts';
import { trainWorker } from '../workers.ts';
import { searchAfter, startedSearch, type SearchState } from './search.ts';

export interface SearchRequest {
  baseConfig: TrainConfig;
  space: SearchSpace;
  budget: { trials?: number; minutes?: number };
  sampler: SamplerName;
  seed: number;
  pruning: boolean;
}

export async function startSearch(request: SearchRequest): Promise<void> {
  const blocker = startBlocker();
  const requestId = newRequestId('search');
  const metric = metricKey(request.baseConfig.metricForBestModel);
  let search: SearchState = startedSearch(
    requestId,
    request.baseConfig,
    greaterIsBetter(metric) ? 'maximize' : 'minimize',
  );
  const put = (next: SearchState) => {
    search = next;
    studio().setSearch(next);
  };
  if (blocker) {
    put({ ...search, status: 'error', error: blocker });
    return;
  }
  put(search);
  try {
    listenToRuns();
    const data = await prepareTrainingData();
    const baseConfig = { ...request.baseConfig, maxLength: data.maxLength };
    put({ ...search, baseConfig });
    const done = await trainWorker().request(
      {
        type: 'search',
        requestId,
        baseConfig,
        data,
        space: request.space,
        sampler: request.sampler,
        seed: request.seed,
        pruning: request.pruning,
        budget: request.budget,
      },
      ['searchDone'],
      (event) => put(searchAfter(search, event)),
    );
    put(searchAfter(search, done));
    if (done.best === null || !done.bestConfig) return;
    // The best trial becomes a run like any other: its curves, evaluation and export.
    const runId = newRequestId('run');
    addRunRecord(runId, done.bestConfig, nextRunName());
    studio().updateRun(runId, {
      notices: [
        `The best trial (${done.best}) of a hyperparameter search over ${done.trials.length} trials.`,
      ],
    });
    await trainWorker().request(
      { type: 'adoptSearchBest', requestId: newRequestId('adopt'), searchId: requestId, runId },
      ['attached'],
    );
    put({ ...search, bestRunId: runId });
  } catch (error) {
    put({ ...search, status: 'error', error: describeError(error) });
  }
}

export function controlSearch(action: 'pause' | 'resume' | 'stop'): void {
  const search = studio().search;
  if (!search || (search.status !== 'running' && search.status !== 'paused')) return;
  trainWorker().post({ type: 'controlSearch', requestId: search.requestId, action });
  if (action !== 'stop') studio().setSearch({ ...search, status: action === 'pause' ? 'paused' : 'running' });
}

/** Trains a trial again, deterministically, from its parameters and seed: a new run. */
export function promoteTrial(trial: Trial): Promise<string> {
  const search = studio().search;
  if (!search) throw new Error('No search to promote a trial from.');
  return startRun(configForParams(search.baseConfig, trial.params));
}
