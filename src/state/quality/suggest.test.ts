import { describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../workers/protocol.ts';
import {
  labellingKey,
  nextUnlabelled,
  startedSuggestions,
  suggestionProgress,
  suggestionsAfter,
} from './suggest.ts';

const started = startedSuggestions('run', 'req', { strategy: 'margin', count: 2 }, 3, ['neg', 'pos'], false);
const candidates = { rows: Int32Array.from([4, 9, 17]), texts: ['four', 'nine', 'seventeen'] };

describe('suggestions in the studio', () => {
  it('follow their own request: progress, then the rows named by file row and text', () => {
    const other: TrainEvent = { type: 'suggestProgress', requestId: 'other', done: 1, total: 3 };
    expect(suggestionsAfter(started, other, candidates)).toBe(started);
    const half = suggestionsAfter(
      started,
      { type: 'suggestProgress', requestId: 'req', done: 1, total: 3 },
      candidates,
    );
    expect(suggestionProgress(half)).toBeCloseTo(1 / 3, 12);
    const done = suggestionsAfter(
      half,
      {
        type: 'suggestions',
        requestId: 'req',
        candidates: 3,
        seconds: 0.5,
        suggestions: [
          { index: 2, score: 0.9, predicted: [1] },
          { index: 0, score: 0.4, predicted: [0] },
        ],
      },
      candidates,
    );
    expect(done.status).toBe('done');
    expect(suggestionProgress(done)).toBe(1);
    expect(done.rows).toEqual([
      { row: 17, text: 'seventeen', score: 0.9, predicted: [1] },
      { row: 4, text: 'four', score: 0.4, predicted: [0] },
    ]);
    expect(done.dataVersion).toBe(3);
  });

  it('read digits as the label at that place, Enter as the guess, arrows and S as moves', () => {
    expect(labellingKey('1', 2)).toEqual({ kind: 'label', label: 0 });
    expect(labellingKey('2', 2)).toEqual({ kind: 'label', label: 1 });
    expect(labellingKey('3', 2)).toBeNull();
    expect(labellingKey('0', 2)).toBeNull();
    expect(labellingKey('Enter', 2)).toEqual({ kind: 'accept' });
    expect(labellingKey('s', 2)).toEqual({ kind: 'next' });
    expect(labellingKey('ArrowRight', 2)).toEqual({ kind: 'next' });
    expect(labellingKey('ArrowLeft', 2)).toEqual({ kind: 'previous' });
    expect(labellingKey('x', 2)).toBeNull();
  });

  it('move to the next row not yet labelled, wrapping, and say when none is left', () => {
    const rows = [4, 9, 17].map((row) => ({ row, text: '', score: 0, predicted: [0] }));
    expect(nextUnlabelled(rows, new Set([9]), 1)).toBe(2);
    expect(nextUnlabelled(rows, new Set([17]), 2)).toBe(0);
    expect(nextUnlabelled(rows, new Set([4, 9, 17]), 0)).toBe(-1);
  });
});
