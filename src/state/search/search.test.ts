import { describe, expect, it } from 'vitest';
import type { Trial } from '../../core/search/study.ts';
import { defaultTrainConfig } from '../../core/train/config.ts';
import { objectiveSeries, searchAfter, startedSearch } from './search.ts';

const trial = (number: number, state: Trial['state'], value: number | null): Trial => ({
  number,
  state,
  params: { learning_rate: 1e-3 * (number + 1) },
  value,
  intermediate: value === null ? [] : [[10, value]],
});

describe('search state', () => {
  it('records trials as they start and end, and the best so far for the chart', () => {
    let search = startedSearch('s1', defaultTrainConfig('head'), 'minimize');
    search = searchAfter(search, { type: 'searchTrial', requestId: 's1', trial: trial(0, 'running', null) });
    search = searchAfter(search, {
      type: 'searchProgress',
      requestId: 's1',
      trial: 0,
      step: 3,
      totalSteps: 9,
    });
    expect(search.progress).toEqual({ trial: 0, step: 3, totalSteps: 9 });
    search = searchAfter(search, { type: 'searchTrial', requestId: 's1', trial: trial(0, 'complete', 0.6) });
    search = searchAfter(search, { type: 'searchTrial', requestId: 's1', trial: trial(1, 'pruned', 0.7) });
    search = searchAfter(search, { type: 'searchTrial', requestId: 's1', trial: trial(2, 'complete', 0.4) });
    expect(search.trials.map((t) => t.state)).toEqual(['complete', 'pruned', 'complete']);
    // A pruned trial's last value is drawn but never counts as the best.
    expect(objectiveSeries(search)).toEqual([
      { value: 0.6, best: 0.6 },
      { value: 0.7, best: 0.6 },
      { value: 0.4, best: 0.4 },
    ]);
    expect(
      searchAfter(search, { type: 'searchTrial', requestId: 's0', trial: trial(3, 'failed', null) }),
    ).toBe(search);
    const done = searchAfter(search, {
      type: 'searchDone',
      requestId: 's1',
      direction: 'minimize',
      trials: search.trials,
      best: 2,
      bestConfig: search.baseConfig,
    });
    expect(done).toMatchObject({ status: 'done', best: 2, progress: null });
    expect(searchAfter(search, { type: 'error', requestId: 's1', message: 'boom' })).toMatchObject({
      status: 'error',
      error: 'boom',
    });
  });
});
