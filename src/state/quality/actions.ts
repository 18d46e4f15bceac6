// A finished run's data-quality work, driven from the page: its label issues (K fold models trained
// in the train worker on the run's settings over the current data, the flagged rows' texts read
// back from the data worker), the data map under it, and the unlabelled rows it ranks for
// labelling next. Components call these; quality/ talks to the workers about them.
import type { LabelQualityScore } from '../../core/quality/index.ts';
import type { UncertaintyStrategy } from '../../core/active/index.ts';
import { encodeUnlabelledRows, prepareTrainingData } from '../data.ts';
import { editRows } from '../edits.ts';
import { describeError, ensureWorkerHoldsRun, startBlocker, startRun } from '../runs/actions.ts';
import { textsOfRows } from '../runs/listener.ts';
import { encodeRunData, runTokenizer } from '../runs/own-model.ts';
import { currentSettings } from '../runs/record.ts';
import { studio } from '../store.ts';
import { newRequestId } from '../workerClient.ts';
import { trainWorker } from '../workers.ts';
import { givenLabels, mapAfter, startedMap, type DataMap } from './map.ts';
import { searchAfter, startedSearch, type LabelIssueSearch } from './search.ts';
import { startedSuggestions, suggestionsAfter, type RowSuggestions } from './suggest.ts';

/** core/quality's default K, written here: importing it would bring tfjs into the page. */
const DEFAULT_FOLDS = 5;

export async function findLabelIssues(
  runId: string,
  folds: number = DEFAULT_FOLDS,
  score: LabelQualityScore = 'self-confidence',
): Promise<void> {
  const run = studio().runs[runId];
  if (!run) return;
  const requestId = newRequestId('issues');
  let search: LabelIssueSearch = startedSearch(
    runId,
    requestId,
    folds,
    studio().data.analysis?.dataVersion ?? 0,
  );
  const put = (next: LabelIssueSearch) => {
    search = next;
    studio().putLabelIssues(next);
  };
  const blocker = startBlocker();
  if (blocker) {
    put({ ...search, status: 'error', error: blocker });
    return;
  }
  put(search);
  try {
    const data = await prepareTrainingData();
    const config = { ...currentSettings(run), maxLength: data.maxLength };
    const done = await trainWorker().request(
      { type: 'labelIssues', requestId, config, data, folds, score },
      ['labelIssues'],
      (event) => put(searchAfter(search, event)),
    );
    put(searchAfter(search, done));
    const rows = Int32Array.from(done.outcome.issues, (issue) => issue.row);
    put({ ...search, texts: await textsOfRows(rows).catch(() => []) });
  } catch (error) {
    put({ ...search, status: 'error', error: describeError(error) });
  }
}

export function stopLabelIssues(runId: string): void {
  const search = studio().labelIssues[runId];
  if (search?.status === 'running') {
    trainWorker().post({ type: 'cancelLabelIssues', requestId: search.requestId });
  }
}

/** Draws the data map under a finished run: the current data's layout, coloured by the run's predictions. */
export async function drawDataMap(runId: string, seed: number): Promise<void> {
  const run = studio().runs[runId];
  if (!run) return;
  const requestId = newRequestId('map');
  let map = startedMap(
    runId,
    requestId,
    seed,
    studio().data.analysis?.dataVersion ?? 0,
    run.labels,
    run.multiLabel,
  );
  const put = (next: DataMap) => {
    map = next;
    studio().putDataMap(next);
  };
  const blocker = startBlocker();
  if (blocker) {
    put({ ...map, status: 'error', error: blocker });
    return;
  }
  put(map);
  try {
    const data = await prepareTrainingData();
    // The request transfers the encoded data to the worker: keep the labels to colour the points.
    const labelled = {
      labels: [...data.labels],
      multiLabel: data.multiLabel,
      train: { labels: data.train.labels.slice() },
      validation: { labels: data.validation.labels.slice() },
      test: { labels: data.test.labels.slice() },
    };
    const own = await runTokenizer(run);
    const runData = own === undefined ? undefined : { data: (await encodeRunData(run)).data, tokenizer: own };
    const done = await trainWorker().request(
      { type: 'map', requestId, runId, data, seed, ...(runData ? { runData } : {}) },
      ['map'],
      (event) => put(mapAfter(map, event)),
    );
    put({
      ...mapAfter(map, done),
      labels: labelled.labels,
      multiLabel: labelled.multiLabel,
      given: givenLabels(labelled, done.outcome),
    });
  } catch (error) {
    put({ ...map, status: 'error', error: describeError(error) });
  }
}

export function stopDataMap(runId: string): void {
  const map = studio().dataMaps[runId];
  if (map?.status === 'running') trainWorker().post({ type: 'cancelMap', requestId: map.requestId });
}

/**
 * Ranks the data's unlabelled rows under a finished run: the run's uncertainty about each, the
 * `count` most uncertain kept apart in feature space, with their texts for the labelling batch.
 */
export async function suggestRowsToLabel(
  runId: string,
  choice: { strategy: UncertaintyStrategy; count: number },
): Promise<void> {
  const run = studio().runs[runId];
  if (!run) return;
  const requestId = newRequestId('suggest');
  let suggestions = startedSuggestions(
    runId,
    requestId,
    choice,
    studio().data.analysis?.dataVersion ?? 0,
    run.labels,
    run.multiLabel,
  );
  const put = (next: RowSuggestions) => {
    suggestions = next;
    studio().putRowSuggestions(next);
  };
  const blocker = startBlocker();
  if (blocker) {
    put({ ...suggestions, status: 'error', error: blocker });
    return;
  }
  put(suggestions);
  try {
    // A run with its own model reads its own tokenization, at the length it trained at.
    const tokenizer = await runTokenizer(run);
    const maxLength =
      tokenizer === undefined ? (studio().data.maxLength ?? run.settings.maxLength) : run.settings.maxLength;
    const unlabelled = await encodeUnlabelledRows(maxLength, tokenizer);
    if (unlabelled.rows.length === 0) {
      throw new Error(
        'The data has no unlabelled rows: leave a row’s label cell empty to have it ranked here.',
      );
    }
    // The request transfers the token ids; the rows and texts stay here to name the suggestions.
    const candidates = { rows: unlabelled.rows, texts: unlabelled.texts };
    await ensureWorkerHoldsRun(runId);
    const done = await trainWorker().request(
      {
        type: 'suggest',
        requestId,
        runId,
        ids: unlabelled.ids,
        offsets: unlabelled.offsets,
        ...(tokenizer !== undefined ? { tokenizer } : {}),
        maxLength,
        count: choice.count,
        strategy: choice.strategy,
      },
      ['suggestions'],
      (event) => put(suggestionsAfter(suggestions, event, candidates)),
    );
    put(suggestionsAfter(suggestions, done, candidates));
  } catch (error) {
    put({ ...suggestions, status: 'error', error: describeError(error) });
  }
}

export function stopSuggestions(runId: string): void {
  const suggestions = studio().rowSuggestions[runId];
  if (suggestions?.status === 'running') {
    trainWorker().post({ type: 'cancelSuggest', requestId: suggestions.requestId });
  }
}

/** Gives a suggested row its labels (label ids of the run), through the edit list. */
export function labelSuggestedRow(runId: string, row: number, labelIds: readonly number[]): Promise<void> {
  const suggestions = studio().rowSuggestions[runId];
  const suggested = suggestions?.rows.find((r) => r.row === row);
  if (!suggestions || !suggested || labelIds.length === 0) return Promise.resolve();
  const runName = studio().runs[runId]?.name ?? 'a run';
  return editRows(
    [{ row, text: suggested.text, labels: [], relabelTo: labelIds }],
    'relabel',
    suggestions.labels,
    `labelled from ${runName}'s suggestions`,
  );
}

/** A new run with the ranking run's settings on the current data (with the rows just labelled). */
export function trainOnGrownData(runId: string): Promise<string> {
  const run = studio().runs[runId];
  if (!run) return Promise.reject(new Error('The run no longer exists.'));
  return startRun(currentSettings(run));
}
