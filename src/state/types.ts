// Types the components need from the worker protocol; src/ui reaches workers only through here.
export type {
  BackendName,
  BackendReport,
  CheckResult,
  ColumnMapping,
  DatasetAnalysis,
  EncodedDataset,
  FileProgress,
  LabelCount,
  ModelSummary,
  OpenedDataset,
  SplitSettings,
  SplitSummary,
  TokenStats,
} from '../workers/protocol.ts';
