// What leaves the studio from a finished run: its model or run-folder zip (built in the train
// worker) and its test predictions as a CSV.
import {
  fromClassificationMetrics,
  buildPredictionsCsv as predictionsCsvText,
  type ExportMetrics,
} from '../../core/export/index.ts';
import { multiLabelMetrics, singleLabelMetrics } from '../../core/metrics/index.ts';
import type { DataRecipe, EncodedDataset, RunExportRequest } from '../../workers/protocol.ts';
import { studio } from '../store.ts';
import { newRequestId } from '../workerClient.ts';
import { dataWorker, trainWorker } from '../workers.ts';
import { describeError, ensureWorkerHoldsRun } from './actions.ts';
import { distillationArgs } from './distill.ts';
import { encodeRunData } from './own-model.ts';
import type { RunRecord } from './record.ts';

function splitMetrics(run: RunRecord): ExportMetrics {
  const metrics: ExportMetrics = {};
  if (run.bestDetails) {
    metrics.validation = fromClassificationMetrics(run.bestDetails, run.validation?.['loss']);
    if (run.validation) metrics.validation.scalars = { ...run.validation };
  } else if (run.validation) {
    metrics.validation = { scalars: { ...run.validation } };
  }
  const result = run.testResult;
  if (result) {
    const details = run.multiLabel
      ? multiLabelMetrics(result.truth, result.probabilities, run.labels, result.thresholds ?? 0.5)
      : singleLabelMetrics(result.truth, argmax(result.probabilities, run.labels.length), run.labels);
    metrics.test = fromClassificationMetrics(details, result.metrics['loss']);
    metrics.test.scalars = { ...result.metrics };
  } else if (run.test) {
    metrics.test = { scalars: { ...run.test } };
  }
  if (run.best) {
    metrics.bestStep = run.best.step;
    metrics.bestEpoch = run.best.epoch;
  }
  return metrics;
}

function argmax(probabilities: Float32Array, k: number): Int32Array {
  const n = probabilities.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probabilities[i * k + j]! > probabilities[i * k + best]!) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * The run as a model zip (Hugging Face + transformers.js + ONNX folder), built in the worker; with
 * `layout: 'run'`, its run folder zip instead (to continue in the CLI).
 */
export async function exportRunZip(id: string, layout: 'model' | 'run' = 'model'): Promise<Blob> {
  const run = studio().runs[id];
  if (!run) throw new Error('This run no longer exists.');
  await ensureWorkerHoldsRun(id);
  const validation = await validationSplitOf(run);
  const dataRecipe = await dataRecipeOf(run);
  try {
    const { zip } = await trainWorker().request(
      {
        type: 'exportRun',
        requestId: newRequestId('export'),
        runId: id,
        request: {
          baseModel: run.modelId,
          ...(run.modelOrigin ? { baseModelOrigin: run.modelOrigin } : {}),
          ...(run.columns ? { columns: run.columns } : {}),
          ...(dataRecipe ? { dataRecipe } : {}),
          ...(run.distillation ? { distillation: distillationArgs(run.distillation, teacherTest(run)) } : {}),
          ...(run.evaluatedOnly ? { evaluatedOnly: true } : {}),
          maxLength: run.settings.maxLength,
          metrics: splitMetrics(run),
          dataSummary: run.dataSummary ?? { rows: 0 },
          ...(run.testResult?.thresholds ? { thresholds: run.testResult.thresholds } : {}),
          layout,
          ...(validation ? { validation } : {}),
        },
      },
      ['exported'],
    );
    return zip;
  } catch (error) {
    throw new Error(describeError(error), { cause: error });
  }
}

/** The teacher's test metrics, while its record is kept. */
function teacherTest(run: RunRecord): Record<string, number> | undefined {
  const teacher = run.distillation ? studio().runs[run.distillation.teacherRunId] : undefined;
  return teacher?.test;
}

/**
 * How the open file was read and split, when the data is still what the run trained on (same data
 * version, labels, kept rows and split sizes); else undefined and the export has no split.json.
 */
async function dataRecipeOf(run: RunRecord): Promise<DataRecipe | undefined> {
  const analysis = studio().data.analysis;
  const sizes = analysis?.splits?.sizes;
  const recorded = run.dataSummary?.splits;
  const same =
    analysis &&
    sizes &&
    recorded &&
    analysis.dataVersion === run.dataVersion &&
    analysis.mapping.multiLabel === run.multiLabel &&
    analysis.labels.length === run.labels.length &&
    analysis.labels.every((label, i) => label === run.labels[i]) &&
    analysis.kept === run.dataSummary?.rows &&
    sizes.train === recorded.train &&
    sizes.validation === recorded.validation &&
    sizes.test === recorded.test;
  if (!same) return undefined;
  try {
    const { reading, splitFile, note } = await dataWorker().request(
      { type: 'dataRecipe', requestId: newRequestId('recipe') },
      ['dataRecipe'],
    );
    return { reading, splitFile, note };
  } catch {
    return undefined;
  }
}

/**
 * The run's validation split, encoded again by the data worker with the run's tokenizer, when the data set is still the
 * one the run trained on (same labels, max length, split sizes and test rows); else undefined.
 */
async function validationSplitOf(run: RunRecord): Promise<RunExportRequest['validation']> {
  let encoded: EncodedDataset;
  try {
    ({ data: encoded } = await encodeRunData(run));
  } catch {
    return undefined;
  }
  const split = encoded.validation;
  const testRows = run.testResult?.rows;
  const same =
    encoded.multiLabel === run.multiLabel &&
    encoded.labels.length === run.labels.length &&
    encoded.labels.every((label, i) => label === run.labels[i]) &&
    encoded.maxLength === run.settings.maxLength &&
    split.rows.length > 0 &&
    split.rows.length === run.dataSummary?.splits?.validation &&
    (!testRows ||
      (testRows.length === encoded.test.rows.length &&
        testRows.every((row, i) => row === encoded.test.rows[i])));
  return same ? { split, padTokenId: encoded.padTokenId, maxLength: encoded.maxLength } : undefined;
}

/** predictions.csv of the run's test split: text, true and predicted labels, one probability per label. */
export async function buildPredictionsCsv(id: string): Promise<Blob> {
  const run = studio().runs[id];
  const result = run?.testResult;
  if (!run || !result) throw new Error('This run has no test predictions yet.');
  const k = run.labels.length;
  const rows = Array.from({ length: result.rows.length }, (_, i) => ({
    text: result.texts[i] ?? '',
    trueLabels: run.multiLabel
      ? run.labels.filter((_, j) => result.truth[i * k + j] === 1)
      : [run.labels[result.truth[i]!] ?? ''],
    probabilities: result.probabilities.subarray(i * k, (i + 1) * k),
  }));
  const csv = predictionsCsvText(rows, {
    labels: run.labels,
    multiLabel: run.multiLabel,
    ...(result.thresholds ? { thresholds: result.thresholds } : {}),
  });
  return new Blob([csv], { type: 'text/csv;charset=utf-8' });
}
