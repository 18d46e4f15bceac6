// Finding a finished run's label issues: the current data (with the analyst's edits) encoded, K
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
