import { describe, expect, it } from 'vitest';
import type { LabelIssuesOutcome } from '../../workers/protocol.ts';
import { searchAfter, searchProgress, startedSearch } from './search.ts';

const outcome: LabelIssuesOutcome = {
  labels: ['neg', 'pos'],
  multiLabel: false,
  score: 'self-confidence',
  folds: 4,
  rows: 40,
  issues: [{ row: 7, given: [0], suggested: [1], quality: 0.1, flagged: [0], probabilities: [0.1, 0.9] }],
  seconds: 2,
};

describe('label-issue search', () => {
  it('follows its own request from fold progress to the flagged rows', () => {
    let search = startedSearch('run-1', 'issues-1', 4, 2);
    expect(searchProgress(search)).toBe(0);
    search = searchAfter(search, {
      type: 'labelIssuesProgress',
      requestId: 'issues-1',
      fold: 2,
      folds: 4,
      step: 5,
      totalSteps: 10,
    });
    expect(searchProgress(search)).toBe(0.625);
    // Another request's events change nothing.
    const other = searchAfter(search, { type: 'labelIssues', requestId: 'issues-0', outcome });
    expect(other).toBe(search);
    search = searchAfter(search, { type: 'labelIssues', requestId: 'issues-1', outcome });
    expect(search).toMatchObject({ status: 'done', outcome, dataVersion: 2 });
    expect(searchProgress(search)).toBe(1);
    // A finished search ignores late events.
    expect(searchAfter(search, { type: 'error', requestId: 'issues-1', message: 'late' })).toBe(search);
  });

  it('keeps the worker error with its hint', () => {
    const search = searchAfter(startedSearch('r', 'q', 5, 0), {
      type: 'error',
      requestId: 'q',
      message: 'The label-issue search failed: out of memory.',
      hint: 'Try head-only.',
    });
    expect(search).toMatchObject({
      status: 'error',
      error: 'The label-issue search failed: out of memory. Try head-only.',
    });
  });
});
