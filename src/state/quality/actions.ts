// Finding a finished run's label issues, and drawing the data map under it: the current data (with the analyst's edits) encoded, K
// fold models trained in the train worker on the run's settings, the flagged rows' texts read
// back from the data worker. Components call these; quality/ talks to the train worker about it.
import type { LabelQualityScore } from '../../core/quality/index.ts';
import { prepareTrainingData } from '../data.ts';
import { describeError, startBlocker } from '../runs/actions.ts';
import { textsOfRows } from '../runs/listener.ts';
import { currentSettings } from '../runs/record.ts';
import { studio } from '../store.ts';
import { newRequestId } from '../workerClient.ts';
import { trainWorker } from '../workers.ts';
import { givenLabels, mapAfter, startedMap, type DataMap } from './map.ts';
import { searchAfter, startedSearch, type LabelIssueSearch } from './search.ts';

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
    const done = await trainWorker().request(
      { type: 'map', requestId, runId, data, seed },
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
