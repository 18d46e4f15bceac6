// The Data step's model of a labelled file: which columns mean what, which rows are kept, what
// the checks found, and how rows are split. Plain data (strings, numbers, typed arrays) so that it
// crosses a worker boundary by structured clone or transfer.

/** 0 = train, 1 = validation, 2 = test. */
export type SplitIndex = 0 | 1 | 2;
export const SPLIT_NAMES = ['train', 'validation', 'test'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

/** What the user chose (or accepted from the guesses). Columns by index into the header. */
export interface ColumnMapping {
  /** One or more text columns; several are joined with `textJoiner` (title + body). */
  textColumns: number[];
  labelColumn: number;
  /** Optional column with train/validation/test values, honoured instead of a random split. */
  splitColumn?: number | null;
  /** Optional id column: ignored for training, named in reports. */
  idColumn?: number | null;
  multiLabel: boolean;
  /** Separator inside a multi-label cell: `|`, `;` or `,`. */
  labelSeparator?: string | null;
  /** Lower-case labels so `Positive` and `positive` are one class. */
  caseFold?: boolean;
  /** Class order from a label file; labels not in it are appended in sorted order. */
  labelOrder?: string[] | null;
  /** Drop exact duplicate rows (same text and labels), keeping the first. Off by default. */
  dropDuplicates?: boolean;
  /** Between joined text columns; a newline keeps the parts apart in exports. */
  textJoiner?: string;
}

export type DropReason = 'malformed' | 'empty-text' | 'duplicate';

export interface DroppedRow {
  /** 1-based data row number in the file. */
  row: number;
  reason: DropReason;
  detail: string;
  /** The row's raw fields as read from the file. */
  fields: string[];
}

export type CheckId =
  | 'malformed-row'
  | 'empty-text'
  | 'missing-label'
  | 'no-labels'
  | 'exact-duplicate'
  | 'conflicting-duplicate'
  | 'rare-class'
  | 'id-like-labels'
  | 'single-class'
  | 'case-variant-labels'
  | 'unlisted-labels'
  | 'unused-labels'
  | 'stray-quote'
  | 'split-values'
  | 'too-long'
  | 'no-rows';

/**
 * fatal: the file cannot be used as it is (one class, id-like labels, no usable rows).
 * dropped: the rows named are left out of training. warning / info: reported only.
 */
export type CheckSeverity = 'fatal' | 'dropped' | 'warning' | 'info';

export interface DatasetCheck {
  id: CheckId;
  severity: CheckSeverity;
  title: string;
  message: string;
  /** How many rows (or, for class checks, classes) are affected. */
  count: number;
  /** Affected 1-based data row numbers, in file order. */
  rows: number[];
  /** Per-row explanation, parallel to `rows` (e.g. "same text as row 12"). */
  details?: string[];
}

export interface LabelCount {
  label: string;
  count: number;
}

export interface Dataset {
  columns: string[];
  mapping: Required<Omit<ColumnMapping, 'labelOrder'>> & { labelOrder: string[] | null };
  multiLabel: boolean;
  /** Class names in their stable order; index = class id everywhere downstream. */
  labels: string[];
  /** Kept rows, in file order: the text exactly as decoded (joined when several columns). */
  texts: string[];
  /** 1-based data row number of each kept row. */
  rows: Int32Array;
  /** Single-label: class id per kept row. Empty for multi-label. */
  labelIndex: Int32Array;
  /** Multi-label: label ids of kept row i are labelIds[labelOffsets[i] .. labelOffsets[i+1]). */
  labelOffsets: Int32Array;
  labelIds: Int32Array;
  /** Split named by the split column per kept row (0/1/2), −1 where empty or unknown; null without one. */
  givenSplit: Int8Array | null;
  /** Set by `withTestFile`: 0 = row of the main file, 1 = row of the separate test file. */
  rowSource?: Uint8Array | null;
  /** Examples per class (rows; multi-label rows count once for each of their labels). */
  labelCounts: LabelCount[];
  /** Multi-label rows whose label cell is empty: valid "none of the labels" examples. */
  noLabelRows: number;
  /**
   * Single-label rows with a text and an empty label cell, in file order: not trained on (they are
   * not among `texts`), not dropped either; the rows a run can rank for labelling next. Texts are
   * joined as the kept texts are. Always empty for multi-label, where an empty cell is an answer.
   */
  unlabelled: { rows: Int32Array; texts: string[] };
  dropped: DroppedRow[];
  checks: DatasetCheck[];
  /** Data rows in the file, malformed ones included. */
  totalRows: number;
  notices: string[];
}
