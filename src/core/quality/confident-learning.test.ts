import { describe, expect, it } from 'vitest';
import { requirePython, runPython } from '../../node/python.ts';
import { createRng } from '../util/random.ts';
import {
  confidentJoint,
  confidentThresholds,
  findLabelIssues,
  findMultiLabelIssues,
  labelQuality,
  type LabelQualityScore,
} from './confident-learning.ts';

// Probabilities are multiples of 1/8 so that means and comparisons are exact in binary.
const M1 = {
  labels: [0, 0, 0, 1, 1, 2, 2],
  probabilities: [
    [0.75, 0.125, 0.125], // 0: confidently 0
    [0.625, 0.25, 0.125], // 1: confidently 0
    [0.125, 0.75, 0.125], // 2: labelled 0, confidently 1
    [0.25, 0.625, 0.125], // 3: confidently 1
    [0.375, 0.5, 0.125], // 4: below every threshold
    [0.5, 0.25, 0.25], // 5: labelled 2, exactly at class 0's threshold 0.5
    [0.25, 0.25, 0.5], // 6: confidently 2
  ].flat(),
};

describe('confident learning on hand-made probabilities', () => {
  it('thresholds are the mean self-confidence per class', () => {
    // t0 = (0.75 + 0.625 + 0.125) / 3, t1 = (0.625 + 0.5) / 2, t2 = (0.25 + 0.5) / 2
    expect([...confidentThresholds(M1.labels, M1.probabilities, 3)]).toEqual([0.5, 0.5625, 0.375]);
  });

  it('counts the confident joint and flags the rows off its diagonal, a row at a threshold included', () => {
    const result = findLabelIssues({ ...M1, numClasses: 3 });
    // Row 4 reaches no threshold (0.375 < 0.5, 0.5 < 0.5625, 0.125 < 0.375) and is not counted.
    expect([...result.confidentJoint]).toEqual([2, 1, 0, 0, 1, 0, 1, 0, 1]);
    expect(result.issues).toEqual([
      { index: 2, given: [0], suggested: [1], quality: 0.125, flagged: [0] },
      { index: 5, given: [2], suggested: [0], quality: 0.25, flagged: [2] },
    ]);
  });

  it('ranks by the normalized margin when asked', () => {
    const result = findLabelIssues({ ...M1, numClasses: 3, score: 'normalized-margin' });
    // row 2: (0.125 − 0.75 + 1) / 2; row 5: (0.25 − 0.5 + 1) / 2
    expect(result.issues.map((i) => [i.index, i.quality])).toEqual([
      [2, 0.1875],
      [5, 0.375],
    ]);
    expect(result.quality[0]).toBe((0.75 - 0.125 + 1) / 2);
  });

  it('a class no row is labelled with is never confident, whatever its probability', () => {
    const labels = [0, 0, 1, 1];
    const probabilities = [
      [0.5, 0, 0.5],
      [0.75, 0.25, 0],
      [0, 0, 1], // everything on class 2, which has no rows: t2 = 2
      [0.25, 0.75, 0],
    ].flat();
    const result = findLabelIssues({ labels, probabilities, numClasses: 3 });
    expect(result.thresholds[2]).toBe(2);
    // t0 = 0.625, t1 = 0.375: row 2 reaches none of them; row 0 reaches no threshold either.
    expect([...confidentJoint(labels, probabilities, 3, result.thresholds).guesses]).toEqual([-1, 0, -1, 1]);
    expect(result.issues).toEqual([]);
  });

  it('several confident classes: the overall argmax guesses, the first of a tie', () => {
    const thresholds = [0.25, 0.25, 0.125];
    const labels = [2, 2];
    const probabilities = [
      [0.25, 0.5, 0.25], // all three confident: 1, the largest
      [0.4375, 0.4375, 0.125], // all three confident, 0 and 1 tie: 0
    ].flat();
    expect([...confidentJoint(labels, probabilities, 3, thresholds).guesses]).toEqual([1, 0]);
  });

  it('a probability within 1e-6 below a threshold reaches it; one 1e-5 below does not', () => {
    const thresholds = [0.5, 0.5];
    const { guesses } = confidentJoint([1, 1], [0.5 - 1e-7, 0.3, 0.5 - 1e-5, 0.3], 2, thresholds);
    expect([...guesses]).toEqual([0, -1]);
  });

  it('a row whose given label ties the top probability is not flagged, though off the diagonal', () => {
    const labels = [0, 0, 1, 1];
    const probabilities = [
      [0.75, 0.25],
      [0.25, 0.75], // labelled 0, confidently 1
      [0.5, 0.5], // labelled 1, confidently 0 only (t0 = 0.5, t1 = 0.75), but 1 ties the top
      [0, 1],
    ].flat();
    const result = findLabelIssues({ labels, probabilities, numClasses: 2 });
    expect([...result.thresholds]).toEqual([0.5, 0.75]);
    expect([...result.confidentJoint]).toEqual([1, 1, 1, 1]);
    expect(result.issues.map((i) => i.index)).toEqual([1]);
  });

  it('ties in quality are ranked by row', () => {
    const labels = [0, 0, 0, 1, 1, 1];
    const probabilities = [
      [1, 0],
      [0.25, 0.75], // labelled 0, confidently 1 (t0 = 0.5, t1 = 0.75), quality 0.25
      [0.25, 0.75], // the same
      [0.5, 0.5],
      [0.25, 0.75],
      [0, 1],
    ].flat();
    const result = findLabelIssues({ labels, probabilities, numClasses: 2 });
    expect(result.issues.map((i) => [i.index, i.quality])).toEqual([
      [1, 0.25],
      [2, 0.25],
    ]);
  });

  it('multi-label: issues per label, the suggested set flips the flagged labels', () => {
    const labels = [
      [1, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ].flat();
    const probabilities = [
      [0.875, 0.125],
      [0.75, 0.25],
      [0.875, 0.75], // label 0 given no, confidently yes
      [0.25, 0.875], // label 0 given yes, confidently no
    ].flat();
    const result = findMultiLabelIssues({ labels, probabilities, numLabels: 2 });
    // label 0: t_no = 1 − 0.875, t_yes = (0.875 + 0.75 + 0.25) / 3; label 1: t_no = t_yes = 0.8125
    expect([...result.thresholds]).toEqual([0.125, 0.625, 0.8125, 0.8125]);
    // label 0: rows 0, 1 yes→yes, row 2 no→yes, row 3 yes→no; label 1: row 0 no→no, row 3 yes→yes
    expect([...result.confidentJoint]).toEqual([0, 1, 1, 2, 1, 0, 0, 1]);
    expect(result.issues).toEqual([
      { index: 2, given: [1], suggested: [0, 1], quality: 0.125, flagged: [0] },
      { index: 3, given: [0, 1], suggested: [1], quality: 0.25, flagged: [0] },
    ]);
  });

  it('rejects probabilities of the wrong shape and labels out of range', () => {
    expect(() => findLabelIssues({ labels: [0, 1], probabilities: [1, 0, 0], numClasses: 2 })).toThrow(
      /expected 2 rows × 2 classes/,
    );
    expect(() => findLabelIssues({ labels: [0, 2], probabilities: [1, 0, 0, 1], numClasses: 2 })).toThrow(
      /outside 0..1/,
    );
    expect(() => findMultiLabelIssues({ labels: [0, 2], probabilities: [1, 0], numLabels: 2 })).toThrow(
      /expected 0 or 1/,
    );
  });
});

// The reference, written from cleanlab's documented algorithm (count.get_confident_thresholds,
// count.compute_confident_joint, filter.find_label_issues(filter_by="confident_learning"),
// rank.get_self_confidence_for_each_label / get_normalized_margin_for_each_label), in NumPy.
const NUMPY_REFERENCE = String.raw`
import json, sys
import numpy as np

def single(labels, P, score):
    N, K = P.shape
    t = np.array([P[labels == k, k].mean() if np.any(labels == k) else 2.0 for k in range(K)])
    t = np.clip(t, 2e-6, None)
    confident = P >= t - 1e-6
    count = confident.sum(axis=1)
    guess = np.where(count > 1, P.argmax(axis=1), confident.argmax(axis=1))
    has = count > 0
    joint = np.zeros((K, K), dtype=int)
    np.add.at(joint, (labels[has], guess[has]), 1)
    off = has & (guess != labels)
    bumped = P.copy()
    bumped[np.arange(N), labels] += 1e-6
    off &= bumped.argmax(axis=1) != labels
    sc = P[np.arange(N), labels]
    if score == "self-confidence":
        q = sc
    else:
        others = P.copy()
        others[np.arange(N), labels] = -np.inf
        q = (sc - others.max(axis=1) + 1) / 2
    idx = np.flatnonzero(off)
    order = idx[np.argsort(q[idx], kind="stable")]
    return t, joint, q, order, guess

def multi(Y, P):
    N, K = P.shape
    ts, joints, flagged = [], [], [[] for _ in range(N)]
    q = np.ones(N)
    for k in range(K):
        t, joint, qk, order, _ = single(Y[:, k], np.stack([1 - P[:, k], P[:, k]], axis=1), "self-confidence")
        ts += t.tolist()
        joints += joint.ravel().tolist()
        q = np.minimum(q, qk)
        for i in order:
            flagged[i].append(k)
    rows = np.array([i for i in range(N) if flagged[i]], dtype=int)
    order = rows[np.argsort(q[rows], kind="stable")] if len(rows) else rows
    issues = []
    for i in order:
        given = [k for k in range(K) if Y[i, k] == 1]
        suggested = [k for k in range(K) if (Y[i, k] == 1) != (k in flagged[i])]
        issues.append({"index": int(i), "given": given, "suggested": suggested, "flagged": flagged[i]})
    return {"thresholds": ts, "joint": joints, "quality": q.tolist(), "issues": issues}

out = []
for case in json.load(sys.stdin):
    P = np.array(case["probabilities"], dtype=np.float64)
    if case["multi"]:
        out.append(multi(np.array(case["labels"], dtype=int), P))
        continue
    labels = np.array(case["labels"], dtype=int)
    t, joint, q, order, guess = single(labels, P, case["score"])
    out.append({
        "thresholds": t.tolist(),
        "joint": joint.ravel().tolist(),
        "quality": q.tolist(),
        "issues": [{"index": int(i), "given": [int(labels[i])], "suggested": [int(guess[i])]} for i in order],
    })
json.dump(out, sys.stdout)
`;

interface RandomCase {
  multi: boolean;
  score: LabelQualityScore;
  numClasses: number;
  labels: number[];
  probabilities: number[];
}

/**
 * A model-like matrix: each row's true class is likely, some given labels are wrong. A weak signal
 * gives low thresholds, so rows with several confident classes occur.
 */
function randomCase(
  seed: number,
  n: number,
  numClasses: number,
  score: LabelQualityScore,
  signal = 2.5,
): RandomCase {
  const rng = createRng(seed);
  const labels: number[] = [];
  const probabilities: number[] = [];
  for (let i = 0; i < n; i++) {
    const truth = rng.int(numClasses);
    // A second likely class for some rows, so that rows with several confident classes occur.
    const rival = rng.next() < 0.4 ? rng.int(numClasses) : -1;
    const logits = Array.from(
      { length: numClasses },
      (_, j) => rng.normal() + (j === truth ? signal : 0) + (j === rival ? 0.8 * signal : 0),
    );
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    probabilities.push(...exps.map((e) => e / sum));
    labels.push(rng.next() < 0.15 ? rng.int(numClasses) : truth);
  }
  return { multi: false, score, numClasses, labels, probabilities };
}

function randomMultiCase(seed: number, n: number, numLabels: number): RandomCase {
  const rng = createRng(seed);
  const labels: number[] = [];
  const probabilities: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < numLabels; k++) {
      const truth = rng.next() < 0.3 ? 1 : 0;
      const logit = rng.normal() * 1.5 + (truth ? 2 : -2);
      probabilities.push(1 / (1 + Math.exp(-logit)));
      labels.push(rng.next() < 0.08 ? 1 - truth : truth);
    }
  }
  return { multi: true, score: 'self-confidence', numClasses: numLabels, labels, probabilities };
}

requirePython();

describe('confident learning against a NumPy reference', () => {
  it('agrees on random single- and multi-label matrices', async () => {
    const cases = [
      randomCase(1, 400, 4, 'self-confidence'),
      randomCase(2, 400, 4, 'normalized-margin'),
      randomCase(3, 250, 2, 'self-confidence'),
      randomCase(4, 600, 7, 'normalized-margin'),
      randomCase(6, 500, 4, 'self-confidence', 1),
      randomCase(7, 500, 3, 'normalized-margin', 0.8),
      randomMultiCase(5, 300, 5),
    ];
    const input = cases.map((c) => ({
      multi: c.multi,
      score: c.score,
      labels: c.multi ? chunk(c.labels, c.numClasses) : c.labels,
      probabilities: chunk(c.probabilities, c.numClasses),
    }));
    const run = await runPython(['-c', NUMPY_REFERENCE], { timeoutMs: 60_000, input: JSON.stringify(input) });
    expect(run.code, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout) as {
      thresholds: number[];
      joint: number[];
      quality: number[];
      issues: { index: number; given: number[]; suggested: number[]; flagged?: number[] }[];
    }[];
    cases.forEach((c, n) => {
      const reference = expected[n]!;
      const ours = c.multi
        ? findMultiLabelIssues({ labels: c.labels, probabilities: c.probabilities, numLabels: c.numClasses })
        : findLabelIssues({
            labels: c.labels,
            probabilities: c.probabilities,
            numClasses: c.numClasses,
            score: c.score,
          });
      expect(ours.issues.length, `case ${n}`).toBeGreaterThan(5);
      [...ours.thresholds].forEach((t, j) => expect(t).toBeCloseTo(reference.thresholds[j]!, 12));
      expect([...ours.confidentJoint]).toEqual(reference.joint);
      [...ours.quality].forEach((q, i) => expect(q).toBeCloseTo(reference.quality[i]!, 12));
      expect(
        ours.issues.map(({ index, given, suggested, flagged }) =>
          c.multi ? { index, given, suggested, flagged } : { index, given, suggested },
        ),
      ).toEqual(reference.issues);
    });
    // The quality score does not change which rows are flagged, only their order.
    const single = randomCase(2, 400, 4, 'self-confidence');
    const margin = findLabelIssues({ ...single, score: 'normalized-margin' });
    const self = findLabelIssues(single);
    expect(margin.issues.map((i) => i.index).sort()).toEqual(self.issues.map((i) => i.index).sort());
    expect([...labelQuality(single.labels, single.probabilities, 4, 'self-confidence')]).toEqual([
      ...self.quality,
    ]);
  });
});

function chunk(values: number[], width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, i) => values.slice(i * width, (i + 1) * width));
}
