// Which unlabelled rows to label next: uncertainty sampling (Settles, "Active Learning Literature
// Survey", 2009, §3.1) over a run's predicted probabilities, with a diversity rule so that one batch
// does not spend the analyst's time on near-duplicates.
//
//   entropy   H(p) = −Σ_k p_k ln p_k                     (nats; 0 when certain, ln K when uniform)
//   margin    1 − (p_(1) − p_(2))                        (the two largest probabilities; 1 at a tie)
//
// Multi-label: each label is its own yes/no problem with probabilities [1 − p, p]; a row's entropy is
// the mean of its labels' binary entropies, and its margin score is 1 − min_j |2 p_j − 1| (the label
// closest to its threshold decides). Both scores rank the most uncertain row first.
//
// A batch is chosen greedily by score (ties by row index): a row joins unless its features lie
// closer than `radius` (Euclidean) to a row already in the batch.

export const UNCERTAINTY_STRATEGIES = ['entropy', 'margin'] as const;
export type UncertaintyStrategy = (typeof UNCERTAINTY_STRATEGIES)[number];

const plogp = (p: number): number => (p > 0 ? p * Math.log(p) : 0);

/** Uncertainty of each row of `probabilities` (row-major [rows × classes]); higher is more uncertain. */
export function uncertaintyScores(
  probabilities: ArrayLike<number>,
  classes: number,
  strategy: UncertaintyStrategy,
  multiLabel = false,
): Float64Array {
  if (!Number.isInteger(classes) || classes < (multiLabel ? 1 : 2)) {
    throw new Error(
      `uncertainty needs ${multiLabel ? 'at least 1 label' : 'at least 2 classes'} (got ${classes})`,
    );
  }
  if (probabilities.length % classes !== 0) {
    throw new Error(`${probabilities.length} probabilities do not split into rows of ${classes}`);
  }
  if (!(UNCERTAINTY_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new Error(
      `the uncertainty strategy must be ${UNCERTAINTY_STRATEGIES.join(' or ')}, got "${strategy}"`,
    );
  }
  const rows = probabilities.length / classes;
  const scores = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    if (multiLabel) {
      let entropy = 0;
      let closest = Infinity;
      for (let j = 0; j < classes; j++) {
        const p = probabilities[base + j]!;
        entropy -= plogp(p) + plogp(1 - p);
        closest = Math.min(closest, Math.abs(2 * p - 1));
      }
      scores[r] = strategy === 'entropy' ? entropy / classes : 1 - closest;
      continue;
    }
    if (strategy === 'entropy') {
      let entropy = 0;
      for (let j = 0; j < classes; j++) entropy -= plogp(probabilities[base + j]!);
      scores[r] = entropy;
    } else {
      let first = -Infinity;
      let second = -Infinity;
      for (let j = 0; j < classes; j++) {
        const p = probabilities[base + j]!;
        if (p > first) [first, second] = [p, first];
        else if (p > second) second = p;
      }
      scores[r] = 1 - (first - second);
    }
  }
  return scores;
}

/**
 * Up to `count` row indices, most uncertain first, no two of whose features (row-major
 * [rows × dim]) are closer than `radius`. Radius 0 keeps the plain ranking.
 */
export function diverseBatch(
  scores: ArrayLike<number>,
  features: ArrayLike<number>,
  dim: number,
  count: number,
  radius: number,
): number[] {
  const rows = scores.length;
  if (features.length !== rows * dim) {
    throw new Error(`the batch's features hold ${features.length} values, expected ${rows} × ${dim}`);
  }
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`the batch size must be a whole number ≥ 0 (got ${count})`);
  if (!(radius >= 0)) throw new Error(`the diversity radius must be ≥ 0 (got ${radius})`);
  const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const chosen: number[] = [];
  for (const candidate of order) {
    if (chosen.length >= count) break;
    const tooClose = chosen.some((other) => {
      let squared = 0;
      for (let j = 0; j < dim; j++) {
        const diff = features[candidate * dim + j]! - features[other * dim + j]!;
        squared += diff * diff;
      }
      // The root, not radius², which underflows for a tiny radius.
      return Math.sqrt(squared) < radius;
    });
    if (!tooClose) chosen.push(candidate);
  }
  return chosen;
}
