import { describe, expect, it } from 'vitest';
import type { LabelIssuesOutcome } from '../../workers/protocol.ts';
import { restoredSearches, savedSearches, searchAfter, searchProgress, startedSearch } from './search.ts';

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

describe('saved label-issue searches', () => {
  it('keep the finished searches of existing runs and come back as the studio showed them', () => {
    const done = {
      ...searchAfter(startedSearch('run-1', 'issues-1', 4, 2), {
        type: 'labelIssues',
        requestId: 'issues-1',
        outcome,
      }),
      texts: ['free entry now'],
    };
    const running = startedSearch('run-2', 'issues-2', 5, 2);
    const ofDeletedRun = { ...done, runId: 'run-gone' };
    const saved = savedSearches({ 'run-1': done, 'run-2': running, 'run-gone': ofDeletedRun }, [
      'run-1',
      'run-2',
    ]);
    expect(Object.keys(saved)).toEqual(['run-1']);
    // Through storage as the browser keeps it: structured data, no functions or identities.
    const restored = restoredSearches(structuredClone(saved), ['run-1', 'run-2']);
    expect(restored['run-1']).toEqual({ ...done, requestId: '' });
    expect(searchProgress(restored['run-1']!)).toBe(1);
    // A restored search ignores any worker event: none belongs to it.
    const event = { type: 'error', requestId: '', message: 'late' } as const;
    expect(searchAfter(restored['run-1']!, event)).toBe(restored['run-1']);
  });

  it('drop saved searches whose run was not restored, and malformed ones', () => {
    const saved = savedSearches(
      {
        'run-1': {
          ...startedSearch('run-1', 'q', 4, 0),
          status: 'done',
          outcome,
        },
      },
      ['run-1'],
    );
    expect(restoredSearches(saved, [])).toEqual({});
    expect(restoredSearches(undefined, ['run-1'])).toEqual({});
    const broken = { 'run-1': { ...saved['run-1']!, outcome: { ...outcome, issues: 'x' } } };
    expect(restoredSearches(broken as unknown as typeof saved, ['run-1'])).toEqual({});
  });
});
