// From a parsed table to a labelled dataset: column mapping, labels, checks, the split, the edit
// list over the original rows, and the files the Data step downloads.
export { buildDataset, fatalReason } from './build.ts';
export { distinctCounts, guessColumns, resolveColumn } from './columns.ts';
export {
  addEdits,
  buildEditedDataset,
  correctedFile,
  dataVersion,
  editCounts,
  editLogCsv,
  effectiveEdits,
  emptyEditList,
  undoLastEdit,
  type EditAction,
  type EditList,
  type KeptTable,
  type RowEdit,
} from './edits.ts';
export { checksToCsv, rowsDownloadCsv, rowsDownloadName } from './export.ts';
export { countLabels, parseLabelFile } from './labels.ts';
export { importDataset, resolveMapping, type ImportResult, type MappingChoices } from './pipeline.ts';
export {
  buildSplitFile,
  dataReadingJson,
  keptRowsCrc32,
  SPLIT_FILE_FORMAT,
  type DataReading,
  type SplitFile,
} from './split-file.ts';
export { splitDataset, splitIndices, withTestFile, type SplitFractions, type SplitResult } from './split.ts';
export {
  SPLIT_NAMES,
  type ColumnMapping,
  type Dataset,
  type DatasetCheck,
  type SplitIndex,
} from './types.ts';
