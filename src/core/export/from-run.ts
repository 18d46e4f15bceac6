// The studio's entry points: a finished run's files (as the training code builds them for a run
// folder) in, the export zip and predictions.csv out. The CLI reads the same files from disk, so
// both produce the same bytes for the same run.
import { buildExportZipChunks } from './export-model.ts';
import { buildPredictionsCsv, predictionRowsFromJsonl } from './predictions-csv.ts';
import { mapFolderReader, readExportInput } from './run-folder.ts';
import type { ExportFile } from './types.ts';

function folder(files: readonly ExportFile[]): Map<string, Uint8Array> {
  return new Map(files.map((f) => [f.path, f.bytes]));
}

/** The export zip as chunks (for `new Blob(chunks, { type: 'application/zip' })`), and notes for the user. */
export async function exportZipFromRunFiles(
  files: readonly ExportFile[],
): Promise<{ chunks: Uint8Array[]; notes: string[] }> {
  return buildExportZipChunks(await readExportInput(mapFolderReader(folder(files))));
}

/** predictions.csv of the run's test split, from its test_predictions.jsonl. */
export async function predictionsCsvFromRunFiles(files: readonly ExportFile[]): Promise<string> {
  const byPath = folder(files);
  const input = await readExportInput(mapFolderReader(byPath));
  const jsonl = byPath.get('test_predictions.jsonl');
  if (!jsonl) throw new Error('this run has no test predictions (test_predictions.jsonl) to write');
  const rows = predictionRowsFromJsonl(new TextDecoder().decode(jsonl), input.labels);
  return buildPredictionsCsv(rows, {
    labels: input.labels,
    multiLabel: input.problemType === 'multi_label_classification',
    ...(input.thresholds ? { thresholds: input.thresholds } : {}),
  });
}
