import { describe, expect, it } from 'vitest';
import type { MapOutcome } from '../../workers/protocol.ts';
import {
  confidence,
  givenLabels,
  isCorrect,
  mapAfter,
  mapProgress,
  pointColors,
  pointsInBox,
  predictedLabel,
  startedMap,
  type DataMap,
} from './map.ts';
import type { LabelIssueSearch } from './search.ts';

/** Four points: two in train, one in validation, one in test; three labels. */
function outcome(probabilities: number[]): MapOutcome {
  return {
    rows: Int32Array.from([2, 3, 5, 9]),
    split: Uint8Array.from([0, 0, 1, 2]),
    indexInSplit: Int32Array.from([0, 1, 0, 0]),
    positions: Float32Array.from([0, 0, 1, 1, 2, 2, 10, 10]),
    probabilities: Float32Array.from(probabilities),
    numLabels: 3,
    seed: 42,
    pcaComponents: 3,
    neighbours: 3,
    seconds: 1,
  };
}

const split = (labels: number[]) => ({
  rows: new Int32Array(),
  ids: new Int32Array(),
  offsets: new Int32Array(),
  labels: Int32Array.from(labels),
});

function doneMap(multiLabel: boolean, probabilities: number[], given: number[][]): DataMap {
  const map = startedMap('run-1', 'map-1', 42, 0, ['a', 'b', 'c'], multiLabel);
  const result = outcome(probabilities);
  const flat = new Uint8Array(4 * 3);
  given.forEach((labels, p) => labels.forEach((j) => (flat[p * 3 + j] = 1)));
  return { ...mapAfter(map, { type: 'map', requestId: 'map-1', outcome: result }), given: flat };
}

describe('the data map state', () => {
  it('reads each point’s given labels from its split, single- and multi-label', () => {
    const single = givenLabels(
      {
        labels: ['a', 'b', 'c'],
        multiLabel: false,
        train: split([2, 0]) as never,
        validation: split([1]) as never,
        test: split([2]) as never,
      },
      outcome([]),
    );
    expect(Array.from(single)).toEqual([0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const multi = givenLabels(
      {
        labels: ['a', 'b', 'c'],
        multiLabel: true,
        train: split([1, 0, 1, 0, 0, 0]) as never,
        validation: split([0, 1, 1]) as never,
        test: split([1, 1, 1]) as never,
      },
      outcome([]),
    );
    expect(Array.from(multi)).toEqual([1, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  });

  it('follows its own request’s events only, and weights the stages into one progress', () => {
    const map = startedMap('run-1', 'map-1', 7, 3, ['a', 'b'], false);
    expect(mapAfter(map, { type: 'mapProgress', requestId: 'other', stage: 'layout', fraction: 0.5 })).toBe(
      map,
    );
    const halfway = mapAfter(map, {
      type: 'mapProgress',
      requestId: 'map-1',
      stage: 'layout',
      fraction: 0.5,
    });
    expect(halfway).toMatchObject({ stage: 'layout', fraction: 0.5, status: 'running' });
    // features 0.4 + pca 0.05 + neighbours 0.15 done, half of layout's 0.3.
    expect(mapProgress(halfway)).toBeCloseTo(0.75, 10);
    const failed = mapAfter(halfway, {
      type: 'error',
      requestId: 'map-1',
      message: 'The data map was stopped.',
    });
    expect(failed).toMatchObject({ status: 'error', error: 'The data map was stopped.' });
    expect(mapProgress({ ...halfway, status: 'done' })).toBe(1);
  });

  it('computes predictions, correctness and confidence as hand-worked', () => {
    const probabilities = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.2, 0.5, 0.3, 0.34, 0.33, 0.33];
    const map = doneMap(false, probabilities, [[0], [1], [1], [2]]);
    const result = map.outcome!;
    expect([0, 1, 2, 3].map((p) => predictedLabel(result.probabilities, 3, p, false))).toEqual([0, 2, 1, 0]);
    expect([0, 1, 2, 3].map((p) => isCorrect(map, result, p))).toEqual([true, false, true, false]);
    expect([0, 1, 2, 3].map((p) => confidence(result, p, false))).toEqual(
      [0.7, 0.6, 0.5, 0.34].map((v) => Math.fround(v)),
    );

    // Multi-label: every label's yes/no at 0.5; confidence is the least sure label's.
    const multi = doneMap(
      true,
      [0.9, 0.6, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1],
      [[0, 1], [2], [0, 1, 2], []],
    );
    expect([0, 1, 2, 3].map((p) => isCorrect(multi, multi.outcome!, p))).toEqual([true, false, true, true]);
    expect([0, 1, 2, 3].map((p) => predictedLabel(multi.outcome!.probabilities, 3, p, true))).toEqual([
      0, -1, 0, -1,
    ]);
    expect(confidence(multi.outcome!, 0, true)).toBeCloseTo(0.6, 6);
  });

  it('colours by label, split, prediction, correctness, confidence and label-issue score, with a legend', () => {
    const probabilities = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.2, 0.5, 0.3, 0.34, 0.33, 0.33];
    const map = doneMap(false, probabilities, [[0], [1], [1], [2]]);
    const label = pointColors(map, 'label', undefined);
    expect(Array.from(label.index)).toEqual([0, 1, 1, 2]);
    expect(label.legend.map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(label.palette.length).toBe(3 * 4); // three labels and the grey of none
    expect(Array.from(pointColors(map, 'predicted', undefined).index)).toEqual([0, 2, 1, 0]);
    const bySplit = pointColors(map, 'split', undefined);
    expect(Array.from(bySplit.index)).toEqual([0, 0, 1, 2]);
    expect(bySplit.legend.map((e) => e.name)).toEqual(['train', 'validation', 'test']);
    expect(Array.from(pointColors(map, 'correct', undefined).index)).toEqual([0, 1, 0, 1]);
    // 16 steps over [0, 1]: 0.7 → 11, 0.6 → 9, 0.5 → 8, 0.34 → 5.
    expect(Array.from(pointColors(map, 'confidence', undefined).index)).toEqual([11, 9, 8, 5]);
    const issues = {
      status: 'done',
      outcome: {
        issues: [
          { row: 3, quality: 0.1 },
          { row: 9, quality: 0.95 },
        ],
      },
    } as unknown as LabelIssueSearch;
    // Flagged rows by suspicion (1 − quality), the others grey (index 16).
    expect(Array.from(pointColors(map, 'issue', issues).index)).toEqual([16, 14, 16, 0]);
  });

  it('selects the points inside a box given by any two corners', () => {
    const positions = outcome([]).positions;
    expect(pointsInBox(positions, [-0.5, -0.5], [1.5, 1.5])).toEqual([0, 1]);
    expect(pointsInBox(positions, [2.5, 11], [0.5, 0.5])).toEqual([1, 2]);
    expect(pointsInBox(positions, [3, 3], [4, 4])).toEqual([]);
  });
});
