// A run folder (what training writes: a Hugging Face model folder plus metrics.json and
// training_args.json), or an exported zip opened again, read into the plain ExportInput.
import { SPLIT_FILE_FORMAT, type SplitFile } from '../dataset/index.ts';
import type { ClassificationMetrics } from '../metrics/index.ts';
import { quantizationCheckFrom } from './quantization.ts';
import { originFromJson } from './training-args.ts';
import { decodeSafetensors } from './safetensors.ts';
import type {
  ClassMetrics,
  DataSummary,
  ExportInput,
  ExportMetrics,
  ProblemType,
  SplitMetrics,
} from './types.ts';

/** Returns a file of the folder by relative path, or undefined when the folder has none. */
export type FolderReader = (path: string) => Promise<Uint8Array | undefined>;

export function mapFolderReader(files: ReadonlyMap<string, Uint8Array>): FolderReader {
  return (path) => Promise.resolve(files.get(path));
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function readJson(read: FolderReader, path: string): Promise<Json | undefined> {
  const bytes = await read(path);
  if (!bytes) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text(bytes));
  } catch {
    throw new Error(`${path} is not valid JSON`);
  }
  if (!isRecord(value)) throw new Error(`${path} is not a JSON object`);
  return value;
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function perClassFrom(value: unknown): ClassMetrics[] | undefined {
  const rows = Array.isArray(value)
    ? value
    : isRecord(value)
      ? Object.entries(value).map(([label, v]) => (isRecord(v) ? { label, ...v } : undefined))
      : undefined;
  if (!rows) return undefined;
  const out: ClassMetrics[] = [];
  for (const row of rows) {
    if (!isRecord(row) || typeof row.label !== 'string') continue;
    out.push({
      label: row.label,
      precision: finiteNumber(row.precision) ?? NaN,
      recall: finiteNumber(row.recall) ?? NaN,
      f1: finiteNumber(row.f1) ?? NaN,
      support: finiteNumber(row.support) ?? NaN,
    });
  }
  return out;
}

function matrixFrom(value: unknown): number[][] | undefined {
  if (
    !Array.isArray(value) ||
    !value.every((r) => Array.isArray(r) && r.every((v) => typeof v === 'number'))
  ) {
    return undefined;
  }
  return value as number[][];
}

// Bookkeeping numbers stored beside the metrics of an evaluation.
const NOT_METRICS = new Set(['n', 'step', 'epoch']);

/**
 * One split's metrics from any of the shapes the studio writes: the metrics module's objects
 * (`accuracy`, `per_class`, `confusion_matrix`, ...) or the export's own (`scalars`, `perClass`, ...).
 */
export function splitMetricsFrom(value: unknown): SplitMetrics | undefined {
  if (!isRecord(value)) return undefined;
  const scalars: Record<string, number> = {};
  const source = isRecord(value.scalars) ? value.scalars : value;
  for (const [key, v] of Object.entries(source)) {
    const n = finiteNumber(v);
    if (n !== undefined && !NOT_METRICS.has(key)) scalars[key] = n;
  }
  const out: SplitMetrics = {};
  if (Object.keys(scalars).length) out.scalars = scalars;
  const perClass = perClassFrom(value.perClass ?? value.per_class);
  if (perClass?.length) out.perClass = perClass;
  const matrix = matrixFrom(value.confusionMatrix ?? value.confusion_matrix);
  if (matrix) out.confusionMatrix = matrix;
  return Object.keys(out).length ? out : undefined;
}

/** The metrics module's result for one split, as the export shows it. */
export function fromClassificationMetrics(metrics: ClassificationMetrics, loss?: number): SplitMetrics {
  const split = splitMetricsFrom(metrics) ?? {};
  if (loss !== undefined && Number.isFinite(loss)) split.scalars = { ...split.scalars, loss };
  return split;
}

interface HistoryEntry {
  step?: number;
  epoch?: number;
  eval: Json;
}

/** The evaluation whose weights were kept: the recorded best, else the best by the run's metric, else the last. */
function keptEvaluation(json: Json, trainingArgs: Json): HistoryEntry | undefined {
  const history = Array.isArray(json.history) ? json.history : [];
  const evals: HistoryEntry[] = history
    .filter(isRecord)
    .filter((h) => isRecord(h.eval))
    .map((h) => ({ step: finiteNumber(h.step), epoch: finiteNumber(h.epoch), eval: h.eval as Json }));
  if (evals.length === 0) return undefined;
  const best = isRecord(json.best) ? json.best : undefined;
  const bestStep = finiteNumber(best?.step ?? json.best_step ?? json.bestStep);
  if (bestStep !== undefined) {
    const match = evals.filter((e) => e.step === bestStep).pop();
    if (match) return match;
  }
  const metricName =
    typeof trainingArgs.metric_for_best_model === 'string' ? trainingArgs.metric_for_best_model : undefined;
  if (metricName) {
    const key = metricName.replace(/^eval_/, '');
    const greater =
      typeof trainingArgs.greater_is_better === 'boolean'
        ? trainingArgs.greater_is_better
        : !key.endsWith('loss');
    let chosen: HistoryEntry | undefined;
    for (const e of evals) {
      const v = finiteNumber(e.eval[key]);
      const c = chosen ? finiteNumber(chosen.eval[key]) : undefined;
      if (v !== undefined && (c === undefined || (greater ? v > c : v < c))) chosen = e;
    }
    if (chosen) return chosen;
  }
  return evals[evals.length - 1];
}

export function exportMetricsFrom(
  json: Json | undefined,
  trainingArgs: Json = {},
): ExportMetrics | undefined {
  if (!json) return undefined;
  const pick = (...keys: string[]): unknown => keys.map((k) => json[k]).find((v) => v !== undefined);
  const metrics: ExportMetrics = {};
  const kept = keptEvaluation(json, trainingArgs);
  const validation = splitMetricsFrom(pick('validation', 'val', 'best_validation') ?? kept?.eval);
  const test = splitMetricsFrom(pick('test'));
  if (validation) metrics.validation = validation;
  if (test) metrics.test = test;
  const best = isRecord(json.best) ? json.best : {};
  const bestStep = finiteNumber(pick('bestStep', 'best_step') ?? best.step) ?? kept?.step;
  const bestEpoch = finiteNumber(pick('bestEpoch', 'best_epoch') ?? best.epoch) ?? kept?.epoch;
  if (bestStep !== undefined) metrics.bestStep = bestStep;
  if (bestEpoch !== undefined) metrics.bestEpoch = bestEpoch;
  return Object.keys(metrics).length ? metrics : undefined;
}

/**
 * Aggregates of the data set from the shapes the studio produces (the data worker's analysis or
 * the CLI's data_summary.json). Only counts are kept: check details and row numbers are dropped.
 */
export function dataSummaryFrom(value: unknown): DataSummary | undefined {
  if (!isRecord(value)) return undefined;
  const rows = finiteNumber(value.rows) ?? finiteNumber(value.kept);
  if (rows === undefined) return undefined;
  const summary: DataSummary = { rows };
  const unlabelled =
    finiteNumber(value.unlabelledRows) ??
    finiteNumber(value.unlabelled_rows) ??
    finiteNumber(value.unlabelled);
  if (unlabelled !== undefined) summary.unlabelledRows = unlabelled;
  const counts = value.labelCounts ?? value.label_counts;
  if (Array.isArray(counts)) {
    summary.labelCounts = Object.fromEntries(
      counts
        .filter(isRecord)
        .filter((c) => typeof c.label === 'string' && finiteNumber(c.count) !== undefined)
        .map((c) => [c.label as string, c.count as number]),
    );
  } else if (isRecord(counts)) {
    summary.labelCounts = Object.fromEntries(
      Object.entries(counts).filter((e): e is [string, number] => finiteNumber(e[1]) !== undefined),
    );
  }
  const splitSource = isRecord(value.splits)
    ? isRecord(value.splits.sizes)
      ? value.splits.sizes
      : value.splits
    : undefined;
  if (splitSource) {
    const splits: NonNullable<DataSummary['splits']> = {};
    for (const key of ['train', 'validation', 'test'] as const) {
      const n = finiteNumber(splitSource[key]);
      if (n !== undefined) splits[key] = n;
    }
    summary.splits = splits;
  }
  if (Array.isArray(value.checks)) {
    summary.checks = value.checks
      .filter(isRecord)
      .map((c) => ({ name: typeof c.name === 'string' ? c.name : c.title, count: finiteNumber(c.count) }))
      .filter(
        (c): c is { name: string; count: number } => typeof c.name === 'string' && c.count !== undefined,
      );
  }
  const lengths = value.tokenLengths ?? value.token_lengths;
  if (isRecord(lengths)) {
    summary.tokenLengths = Object.fromEntries(
      Object.entries(lengths).filter((e): e is [string, number] => finiteNumber(e[1]) !== undefined),
    );
  }
  return summary;
}

function labelsFrom(config: Json): string[] {
  const id2label = config.id2label;
  if (!isRecord(id2label) || Object.keys(id2label).length === 0) {
    throw new Error('config.json has no id2label: this folder holds no trained classifier');
  }
  const labels: string[] = [];
  for (let i = 0; i < Object.keys(id2label).length; i++) {
    const label = id2label[String(i)];
    if (typeof label !== 'string') throw new Error(`config.json: id2label has no name for id ${i}`);
    labels.push(label);
  }
  return labels;
}

export interface FolderOverrides {
  baseModel?: string;
}

/** Reads a trained model folder into an ExportInput. */
export async function readExportInput(
  read: FolderReader,
  overrides: FolderOverrides = {},
): Promise<ExportInput> {
  const config = await readJson(read, 'config.json');
  if (!config) throw new Error('no config.json: not a model folder');
  const weightsBytes = await read('model.safetensors');
  if (!weightsBytes) {
    const sharded = await read('model.safetensors.index.json');
    throw new Error(
      sharded
        ? 'sharded checkpoints (model.safetensors.index.json) cannot be exported yet: save the model as one model.safetensors'
        : 'no model.safetensors in the folder',
    );
  }
  const tokenizerJson = await read('tokenizer.json');
  if (!tokenizerJson) throw new Error('no tokenizer.json in the folder');
  const vocab = await read('vocab.txt');
  const tokenizerConfig = await readJson(read, 'tokenizer_config.json');
  const specialTokensMap = await readJson(read, 'special_tokens_map.json');
  const trainingArgs = (await readJson(read, 'training_args.json')) ?? {};
  const metricsJson = await readJson(read, 'metrics.json');
  const thresholdsJson = await readJson(read, 'thresholds.json');
  const dataSummaryJson = await readJson(read, 'data_summary.json');
  const quantizationJson = await readJson(read, 'quantization.json');
  const splitJson = await readJson(read, 'split.json');

  const labels = labelsFrom(config);
  const problemType: ProblemType =
    config.problem_type === 'multi_label_classification'
      ? 'multi_label_classification'
      : 'single_label_classification';
  const studio = isRecord(trainingArgs.finetune_studio) ? trainingArgs.finetune_studio : {};
  const maxLength =
    finiteNumber(studio.max_length) ??
    finiteNumber(tokenizerConfig?.model_max_length) ??
    finiteNumber(config.max_position_embeddings) ??
    512;
  const baseModel =
    overrides.baseModel ??
    (typeof studio.base_model === 'string' ? studio.base_model : undefined) ??
    'a DistilBERT base model (not recorded)';

  const input: ExportInput = {
    config,
    weights: decodeSafetensors(weightsBytes),
    tokenizer: {
      tokenizerJson: text(tokenizerJson),
      ...(vocab ? { vocabTxt: text(vocab) } : {}),
      ...(tokenizerConfig ? { tokenizerConfig } : {}),
      ...(specialTokensMap ? { specialTokensMap } : {}),
    },
    labels,
    problemType,
    maxLength: Math.min(maxLength, finiteNumber(config.max_position_embeddings) ?? maxLength),
    baseModel,
    trainingArgs,
  };
  const origin = originFromJson(studio.base_model_origin);
  if (origin) input.baseModelOrigin = origin;
  const metrics = exportMetricsFrom(metricsJson, trainingArgs);
  if (metrics) input.metrics = metrics;
  const summary = dataSummaryFrom(dataSummaryJson ?? metricsJson?.data_summary);
  if (summary) input.dataSummary = summary;
  if (splitJson) input.splitFile = splitFileFrom(splitJson);
  const quantization = quantizationCheckFrom(quantizationJson);
  if (quantization) input.quantization = quantization;
  const byLabel = isRecord(thresholdsJson?.thresholds) ? thresholdsJson.thresholds : undefined;
  const testMetrics = isRecord(metricsJson?.test) ? metricsJson.test : undefined;
  const thresholdList = [metricsJson?.thresholds, testMetrics?.thresholds].find(Array.isArray) as
    unknown[] | undefined;
  if (problemType === 'multi_label_classification' && (byLabel || thresholdList)) {
    input.thresholds = labels.map(
      (label, i) => finiteNumber(byLabel?.[label]) ?? finiteNumber(thresholdList?.[i]) ?? 0.5,
    );
  }
  return input;
}

/** split.json as a run folder holds it; a file of another format is refused rather than guessed at. */
function splitFileFrom(value: Record<string, unknown>): SplitFile {
  const rowList = (key: string): number[] => {
    const list = value[key];
    if (!Array.isArray(list) || !list.every((row) => Number.isInteger(row) && (row as number) > 0))
      throw new Error(`split.json: "${key}" must list 1-based data rows`);
    return list as number[];
  };
  if (value.format !== SPLIT_FILE_FORMAT)
    throw new Error(`split.json: format ${JSON.stringify(value.format)}, expected ${SPLIT_FILE_FORMAT}`);
  const fileRows = finiteNumber(value.file_rows);
  const keptRows = finiteNumber(value.kept_rows);
  if (fileRows === undefined || keptRows === undefined || typeof value.rows_crc32 !== 'string')
    throw new Error('split.json: file_rows, kept_rows and rows_crc32 are required');
  return {
    format: SPLIT_FILE_FORMAT,
    file_rows: fileRows,
    kept_rows: keptRows,
    rows_crc32: value.rows_crc32,
    train: rowList('train'),
    validation: rowList('validation'),
    test: rowList('test'),
  };
}
