// Confident learning (Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in
// Dataset Labels", JAIR 2021): which rows' given labels the model confidently contradicts. Mirrors
// cleanlab's `filter.find_label_issues(filter_by="confident_learning")` with
// `count.compute_confident_joint` and `rank.get_label_quality_scores`:
//
//   t_j   = mean of p(j | x) over the rows labelled j            (2 for a class with no rows: never reached)
//   x is confidently j   ⇔ p(j | x) ≥ t_j − 1e-6
//   true-label guess     = the one confident class; with several, the argmax of all probabilities
//   C[given][guess] += 1 over the rows with at least one confident class (the confident joint)
//   issues = rows off C's diagonal, less those whose given label the model predicts anyway
//            (argmax with p(given) raised by 1e-6)
//   ranked by label quality, lowest first (ties by row): self-confidence p(given | x), or the
//   normalized margin (p(given | x) − max_{j≠given} p(j | x) + 1) / 2.
//
// Multi-label: each label is its own yes/no problem (probabilities [1 − p, p]); a row is an issue
// when any of its labels is, its suggested set flips the flagged labels, and its quality is its
// lowest per-label self-confidence (the worst label decides how suspect the row is).
//
// Pure arithmetic over typed arrays in float64; probabilities are row-major [N × K].

export const LABEL_QUALITY_SCORES = ['self-confidence', 'normalized-margin'] as const;
export type LabelQualityScore = (typeof LABEL_QUALITY_SCORES)[number];

/** A class no row is labelled with gets this threshold, above any probability (cleanlab's BIG_VALUE). */
export const UNREACHABLE_THRESHOLD = 2;
/** Probabilities within this of a threshold count as reaching it (cleanlab's FLOATING_POINT_COMPARISON). */
export const THRESHOLD_TOLERANCE = 1e-6;
/** Thresholds are clipped from below to this (cleanlab's CONFIDENT_THRESHOLDS_LOWER_BOUND). */
export const THRESHOLD_LOWER_BOUND = 2 * THRESHOLD_TOLERANCE;

/** One suspect row: indices into the arrays given, class ids as label sets (one id for single-label). */
export interface LabelIssue {
  /** Row index in the probabilities given. */
  index: number;
  /** Given class ids (single-label: exactly one). */
  given: number[];
  /** Suggested class ids: the confident joint's true-label guess (multi-label: flagged labels flipped). */
  suggested: number[];
  /** Label quality in [0, 1]; lower is more suspect. */
  quality: number;
  /** Multi-label: the class ids whose yes/no label is flagged. Single-label: the given class. */
  flagged: number[];
}

export interface ConfidentLearningResult {
  /** Per-class thresholds t_j (single-label), or per label [t_no, t_yes] flattened (multi-label: [K × 2]). */
  thresholds: Float64Array;
  /**
   * Counts C[given][guess] of the rows with a confident class: [K × K] row-major (single-label), or
   * one yes/no joint per label, [K × 2 × 2] (multi-label).
   */
  confidentJoint: Int32Array;
  /** Label quality of every row, flagged or not. */
  quality: Float64Array;
  /** The flagged rows, most suspect first. */
  issues: LabelIssue[];
}

function checkShape(probabilities: ArrayLike<number>, rows: number, classes: number): void {
  if (!Number.isInteger(classes) || classes < 2) {
    throw new Error(`confident learning needs at least 2 classes, got ${classes}`);
  }
  if (probabilities.length !== rows * classes) {
    throw new Error(
      `probabilities hold ${probabilities.length} values, expected ${rows} rows × ${classes} classes`,
    );
  }
}

/** t_j: the mean predicted probability of class j over the rows labelled j. */
export function confidentThresholds(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  numClasses: number,
): Float64Array {
  const n = labels.length;
  checkShape(probabilities, n, numClasses);
  const sums = new Float64Array(numClasses);
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const label = labels[i] as number;
    sums[label] = (sums[label] as number) + (probabilities[i * numClasses + label] as number);
    counts[label] = (counts[label] as number) + 1;
  }
  return sums.map((sum, j) =>
    counts[j] === 0 ? UNREACHABLE_THRESHOLD : Math.max(THRESHOLD_LOWER_BOUND, sum / (counts[j] as number)),
  );
}

/**
 * The class each row confidently belongs to (-1: none reaches its threshold), and the confident
 * joint C[given][guess] over the rows that have one.
 */
export function confidentJoint(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  numClasses: number,
  thresholds: ArrayLike<number>,
): { guesses: Int32Array; joint: Int32Array } {
  const n = labels.length;
  checkShape(probabilities, n, numClasses);
  const guesses = new Int32Array(n).fill(-1);
  const joint = new Int32Array(numClasses * numClasses);
  for (let i = 0; i < n; i++) {
    const base = i * numClasses;
    let confident = 0;
    let firstConfident = -1;
    let argmax = 0;
    for (let j = 0; j < numClasses; j++) {
      const p = probabilities[base + j] as number;
      if (p > (probabilities[base + argmax] as number)) argmax = j;
      if (p >= (thresholds[j] as number) - THRESHOLD_TOLERANCE) {
        confident += 1;
        if (firstConfident < 0) firstConfident = j;
      }
    }
    if (confident === 0) continue;
    const guess = confident > 1 ? argmax : firstConfident;
    guesses[i] = guess;
    const index = (labels[i] as number) * numClasses + guess;
    joint[index] = (joint[index] as number) + 1;
  }
  return { guesses, joint };
}

/** Label quality of each row under the given score, in [0, 1]. */
export function labelQuality(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  numClasses: number,
  score: LabelQualityScore,
): Float64Array {
  const n = labels.length;
  checkShape(probabilities, n, numClasses);
  const quality = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * numClasses;
    const label = labels[i] as number;
    const self = probabilities[base + label] as number;
    if (score === 'self-confidence') {
      quality[i] = self;
      continue;
    }
    let other = -Infinity;
    for (let j = 0; j < numClasses; j++) {
      if (j !== label) other = Math.max(other, probabilities[base + j] as number);
    }
    quality[i] = (self - other + 1) / 2;
  }
  return quality;
}

/** Whether the model's top class is the given one, with the given class's probability raised by 1e-6. */
function predictsGiven(probabilities: ArrayLike<number>, base: number, numClasses: number, label: number) {
  const given = (probabilities[base + label] as number) + THRESHOLD_TOLERANCE;
  for (let j = 0; j < numClasses; j++) {
    if (j !== label && (probabilities[base + j] as number) > given) return false;
  }
  return true;
}

/** Row indices sorted by quality, lowest first, ties by row. */
function rankByQuality(indices: number[], quality: ArrayLike<number>): number[] {
  return indices.sort((a, b) => (quality[a] as number) - (quality[b] as number) || a - b);
}

function checkLabels(labels: ArrayLike<number>, numClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new Error(`row ${i} has class ${label}, outside 0..${numClasses - 1}`);
    }
  }
}

/** Single-label confident learning: the rows off the confident joint's diagonal, ranked. */
export function findLabelIssues(options: {
  labels: ArrayLike<number>;
  probabilities: ArrayLike<number>;
  numClasses: number;
  score?: LabelQualityScore;
}): ConfidentLearningResult {
  const { labels, probabilities, numClasses } = options;
  checkShape(probabilities, labels.length, numClasses);
  checkLabels(labels, numClasses);
  const thresholds = confidentThresholds(labels, probabilities, numClasses);
  const { guesses, joint } = confidentJoint(labels, probabilities, numClasses, thresholds);
  const quality = labelQuality(labels, probabilities, numClasses, options.score ?? 'self-confidence');
  const flagged: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const guess = guesses[i] as number;
    const label = labels[i] as number;
    if (guess < 0 || guess === label) continue;
    if (predictsGiven(probabilities, i * numClasses, numClasses, label)) continue;
    flagged.push(i);
  }
  const issues = rankByQuality(flagged, quality).map((index) => ({
    index,
    given: [labels[index] as number],
    suggested: [guesses[index] as number],
    quality: quality[index] as number,
    flagged: [labels[index] as number],
  }));
  return { thresholds, confidentJoint: joint, quality, issues };
}

/**
 * Multi-label confident learning, one yes/no problem per label. `labels` and `probabilities` are
 * row-major [N × K]: 0/1 per label, and each label's own sigmoid probability.
 */
export function findMultiLabelIssues(options: {
  labels: ArrayLike<number>;
  probabilities: ArrayLike<number>;
  numLabels: number;
  score?: LabelQualityScore;
}): ConfidentLearningResult {
  const { labels, probabilities, numLabels } = options;
  if (!Number.isInteger(numLabels) || numLabels < 1) {
    throw new Error(`multi-label confident learning needs at least 1 label, got ${numLabels}`);
  }
  if (labels.length % numLabels !== 0 || probabilities.length !== labels.length) {
    throw new Error(
      `labels (${labels.length} values) and probabilities (${probabilities.length}) must both be rows × ${numLabels} labels`,
    );
  }
  const n = labels.length / numLabels;
  const thresholds = new Float64Array(numLabels * 2);
  const joints = new Int32Array(numLabels * 4);
  // With two classes the normalized margin (2p − 1 + 1) / 2 equals the self-confidence p, so both
  // scores rank a label's rows alike.
  const quality = new Float64Array(n).fill(1);
  const flaggedLabels: number[][] = Array.from({ length: n }, () => []);
  const binaryLabels = new Int32Array(n);
  const binaryProbabilities = new Float64Array(n * 2);
  for (let k = 0; k < numLabels; k++) {
    for (let i = 0; i < n; i++) {
      const given = labels[i * numLabels + k] as number;
      if (given !== 0 && given !== 1) throw new Error(`row ${i} label ${k} is ${given}, expected 0 or 1`);
      const p = probabilities[i * numLabels + k] as number;
      binaryLabels[i] = given;
      binaryProbabilities[i * 2] = 1 - p;
      binaryProbabilities[i * 2 + 1] = p;
    }
    const result = findLabelIssues({
      labels: binaryLabels,
      probabilities: binaryProbabilities,
      numClasses: 2,
    });
    thresholds.set(result.thresholds, k * 2);
    joints.set(result.confidentJoint, k * 4);
    for (let i = 0; i < n; i++) quality[i] = Math.min(quality[i] as number, result.quality[i] as number);
    for (const issue of result.issues) flaggedLabels[issue.index]!.push(k);
  }
  const flaggedRows: number[] = [];
  for (let i = 0; i < n; i++) if (flaggedLabels[i]!.length > 0) flaggedRows.push(i);
  const issues = rankByQuality(flaggedRows, quality).map((index) => {
    const given: number[] = [];
    const suggested: number[] = [];
    const flagged = flaggedLabels[index]!;
    for (let k = 0; k < numLabels; k++) {
      const yes = labels[index * numLabels + k] === 1;
      if (yes) given.push(k);
      if (yes !== flagged.includes(k)) suggested.push(k);
    }
    return { index, given, suggested, quality: quality[index] as number, flagged };
  });
  return { thresholds, confidentJoint: joints, quality, issues };
}
