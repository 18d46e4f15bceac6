// Label issues of a data set from its out-of-fold probabilities: confident learning's flagged
// rows, named by file row and label names, with the probabilities the model gave.
import {
  findLabelIssues,
  findMultiLabelIssues,
  type ConfidentLearningResult,
  type LabelQualityScore,
} from './confident-learning.ts';
import type { OutOfFoldResult } from './out-of-fold.ts';

export interface RowLabelIssue {
  /** 1-based data row of the file, as the Data step numbers rows. */
  row: number;
  /** Given class ids (single-label: one). */
  given: number[];
  /** Suggested class ids. */
  suggested: number[];
  /** Label quality in [0, 1]; lower is more suspect. */
  quality: number;
  /** Multi-label: the labels whose yes/no is flagged; single-label: the given class. */
  flagged: number[];
  /** The held-out model's probabilities for the row, one per class or label. */
  probabilities: number[];
}

export interface LabelIssueReport {
  labels: string[];
  multiLabel: boolean;
  score: LabelQualityScore;
  /** Rows examined. */
  rows: number;
  /** Flagged rows, most suspect first (ties by row). */
  issues: RowLabelIssue[];
  confidentLearning: ConfidentLearningResult;
}

export function labelIssues(
  oof: Pick<OutOfFoldResult, 'labels' | 'multiLabel' | 'rows' | 'given' | 'probabilities'>,
  score: LabelQualityScore = 'self-confidence',
): LabelIssueReport {
  const numLabels = oof.labels.length;
  const confidentLearning = oof.multiLabel
    ? findMultiLabelIssues({ labels: oof.given, probabilities: oof.probabilities, numLabels, score })
    : findLabelIssues({ labels: oof.given, probabilities: oof.probabilities, numClasses: numLabels, score });
  const issues = confidentLearning.issues.map((issue) => ({
    row: oof.rows[issue.index] as number,
    given: issue.given,
    suggested: issue.suggested,
    quality: issue.quality,
    flagged: issue.flagged,
    probabilities: Array.from(
      oof.probabilities.subarray(issue.index * numLabels, (issue.index + 1) * numLabels),
    ),
  }));
  return {
    labels: [...oof.labels],
    multiLabel: oof.multiLabel,
    score,
    rows: oof.rows.length,
    issues,
    confidentLearning,
  };
}
