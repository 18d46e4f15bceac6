// Export: one zip that is a Hugging Face model folder, a transformers.js model folder and an ONNX
// model at once, plus predictions.csv, and the guarded way back in.
export type {
  ClassMetrics,
  DataSummary,
  ExportFile,
  ExportInput,
  ExportMetrics,
  NamedTensor,
  ProblemType,
  SplitMetrics,
  TokenizerFiles,
  BaseModelOrigin,
} from './types.ts';
export { buildExportFiles, buildExportZip, buildExportZipChunks, type ExportResult } from './export-model.ts';
export { exportZipFromRunFiles, predictionsCsvFromRunFiles } from './from-run.ts';
export { buildRunFolder, evalReportJson, type RunFile, type RunFolderInput } from './run-folder-writer.ts';
export { buildRunFolderFiles, buildRunFolderZipChunks } from './run-files.ts';
export {
  checkQuantization,
  MAX_METRIC_DROP,
  MIN_AGREEMENT,
  quantizationNote,
  type QuantizationCheck,
} from './quantization.ts';
export { buildOnnxQuantized, dequantizedWeights, isQuantizedWeight } from './onnx/quantize.ts';
export { namedTensorsFromParams, type ReadableParam } from './params.ts';
export {
  readExportInput,
  mapFolderReader,
  fromClassificationMetrics,
  splitMetricsFrom,
  dataSummaryFrom,
  type FolderReader,
} from './run-folder.ts';
export {
  buildPredictionsCsv,
  defuseFormula,
  predictedLabels,
  predictionRowsFromJsonl,
  type PredictionRow,
  type PredictionsOptions,
  csvCell,
} from './predictions-csv.ts';
export { zipDifference } from './zip-compare.ts';
export {
  concatBytes,
  unzipFolder,
  zipChunks,
  zipFiles,
  DEFAULT_UNZIP_LIMITS,
  type UnzipLimits,
} from './zip.ts';
export { ONNX_OPSET, ONNX_IR_VERSION } from './onnx/encoder-graph.ts';
export { buildOnnx } from './onnx/graphs.ts';
export { hubModelId, mappedColumnsJson, originFromJson, type MappedColumns } from './training-args.ts';
