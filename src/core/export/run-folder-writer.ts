// What a finished run writes: a Hugging Face model folder (config.json with the labels,
// model.safetensors, tokenizer files with model_max_length = the run's max length,
// special_tokens_map.json) plus metrics.json, training_args.json, data_summary.json and
// test_predictions.jsonl. Returned as a list of files so the CLI writes them to disk and the
// studio can zip them or store them in OPFS.
import { dataReadingJson, type DataReading, type SplitFile } from '../dataset/index.ts';
import { buildModelConfig } from './hf-config.ts';
import { buildTokenizerFiles } from './tokenizer-files.ts';
import { hubModelId, mappedColumnsJson, originToJson, type MappedColumns } from './training-args.ts';
import type { BaseModelOrigin } from './types.ts';
import { configToJson, type ModelConfig, type Params, paramsToSafetensors } from '../model/index.ts';
import { greaterIsBetter } from '../metrics/index.ts';
import { bertTokenizerJsonFromVocab } from '../tokenize/index.ts';
import {
  metricKey,
  toTrainingArguments,
  type TrainConfig,
  type EvalReport,
  type TrainResult,
} from '../train/index.ts';

export interface RunFile {
  path: string;
  bytes: Uint8Array;
}

export interface RunFolderInput {
  config: ModelConfig;
  /** The trained model's variables (already holding the kept checkpoint). */
  params: Params;
  /** The base model's tokenizer files by name (tokenizer.json, tokenizer_config.json, vocab.txt, …). */
  tokenizerFiles: Record<string, string>;
  labels: readonly string[];
  multiLabel: boolean;
  /** Token limit the run encoded the data with; becomes tokenizer_config.json's model_max_length. */
  maxLength: number;
  /** Hub id or folder name of the base model. */
  baseModel: string;
  baseModelOrigin?: BaseModelOrigin;
  /** The file's columns the run trained on, as mapped. */
  columns?: MappedColumns;
  /** How the file was read and its rows built, for train.py (training_args.json). */
  dataReading?: DataReading;
  /** The run's split by data row (split.json); absent when the run had a separate test file. */
  splitFile?: SplitFile;
  /** The settings the run started with (the result holds the ones it ended with). */
  trainConfig: TrainConfig;
  result: TrainResult;
  /** Rows, labels, split sizes and checks of the data (counts, no texts). */
  dataSummary: Record<string, unknown>;
  /** Text of each test example, in test-split order, for test_predictions.jsonl. */
  testTexts?: readonly string[];
  /** A distilled run: its teacher and settings, kept as finetune_studio.distillation. */
  distillation?: Record<string, unknown>;
}

const encoder = new TextEncoder();
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value, null, 2) + '\n');

/** The metrics of one evaluation as metrics.json holds them: scalars flat, details beside them. */
export function evalReportJson(report: EvalReport): Record<string, unknown> {
  const details = report.details;
  const out: Record<string, unknown> = {
    ...report.metrics,
    n: details.n,
    step: report.step,
    epoch: report.epoch,
  };
  out.per_class = details.per_class.map(({ label, precision, recall, f1, support }) => ({
    label,
    precision,
    recall,
    f1,
    support,
  }));
  if (details.kind === 'single_label') out.confusion_matrix = details.confusion_matrix;
  else out.thresholds = details.thresholds;
  if (report.tunedThresholds) out.tuned_thresholds = report.tunedThresholds;
  if (report.tunedMetrics) out.tuned = report.tunedMetrics;
  return out;
}

export async function buildRunFolder(input: RunFolderInput): Promise<RunFile[]> {
  const { result, labels } = input;
  const problemType = input.multiLabel ? 'multi_label_classification' : 'single_label_classification';
  const files: RunFile[] = [];

  files.push({
    path: 'config.json',
    bytes: json(buildModelConfig(configToJson(input.config), labels, problemType)),
  });
  files.push({ path: 'model.safetensors', bytes: await paramsToSafetensors(input.params) });

  const tokenizerConfig = parseJsonFile(input.tokenizerFiles, 'tokenizer_config.json');
  let tokenizerJson = input.tokenizerFiles['tokenizer.json'];
  if (tokenizerJson === undefined) {
    const vocab = input.tokenizerFiles['vocab.txt'];
    if (vocab === undefined) throw new Error('the base model has neither tokenizer.json nor vocab.txt');
    tokenizerJson = JSON.stringify(bertTokenizerJsonFromVocab(vocab, tokenizerConfig ?? {}));
  }
  const specialTokensMap = parseJsonFile(input.tokenizerFiles, 'special_tokens_map.json');
  const vocabTxt = input.tokenizerFiles['vocab.txt'];
  const tokenizer = buildTokenizerFiles(
    {
      tokenizerJson,
      ...(vocabTxt !== undefined ? { vocabTxt } : {}),
      ...(tokenizerConfig ? { tokenizerConfig } : {}),
      ...(specialTokensMap ? { specialTokensMap } : {}),
    },
    input.maxLength,
    input.config.modelType,
  );
  files.push({ path: 'tokenizer.json', bytes: encoder.encode(tokenizer.tokenizerJson) });
  files.push({ path: 'tokenizer_config.json', bytes: json(tokenizer.tokenizerConfig) });
  files.push({ path: 'special_tokens_map.json', bytes: json(tokenizer.specialTokensMap) });
  if (tokenizer.vocabTxt !== null)
    files.push({ path: 'vocab.txt', bytes: encoder.encode(tokenizer.vocabTxt) });

  const metric = metricKey(input.trainConfig.metricForBestModel);
  const trainingArgs = toTrainingArguments(input.trainConfig, greaterIsBetter(metric));
  const studio = trainingArgs.finetune_studio as Record<string, unknown>;
  const origin = input.baseModelOrigin;
  const baseModel = origin?.kind === 'folder' ? input.baseModel : hubModelId(input.baseModel, origin);
  if (baseModel !== undefined) studio.base_model = baseModel;
  if (origin) studio.base_model_origin = originToJson(origin);
  if (input.columns) Object.assign(studio, mappedColumnsJson(input.columns));
  if (input.dataReading) Object.assign(studio, dataReadingJson(input.dataReading));
  if (input.splitFile)
    files.push({ path: 'split.json', bytes: encoder.encode(JSON.stringify(input.splitFile) + '\n') });
  if (input.distillation) studio.distillation = input.distillation;
  const ended = result.config;
  if (
    ended.batchSize !== input.trainConfig.batchSize ||
    ended.gradAccumSteps !== input.trainConfig.gradAccumSteps
  ) {
    studio.out_of_memory_adjusted = {
      per_device_train_batch_size: ended.batchSize,
      gradient_accumulation_steps: ended.gradAccumSteps,
    };
  }
  if (ended.learningRate !== input.trainConfig.learningRate) studio.final_learning_rate = ended.learningRate;
  files.push({ path: 'training_args.json', bytes: json({ output_dir: 'outputs', ...trainingArgs }) });

  const metrics: Record<string, unknown> = {
    history: result.history,
    best: result.best,
    finish_reason: result.reason,
    steps: result.steps,
    train_seconds: result.trainSeconds,
    validation: result.validation ? evalReportJson(result.validation) : null,
    test: result.test ? evalReportJson(result.test) : null,
  };
  if (result.thresholds) metrics.thresholds = result.thresholds;
  if (result.notices.length > 0) metrics.notices = result.notices;
  files.push({ path: 'metrics.json', bytes: json(metrics) });
  if (input.multiLabel) {
    const thresholds = Object.fromEntries(labels.map((label, i) => [label, result.thresholds?.[i] ?? 0.5]));
    files.push({ path: 'thresholds.json', bytes: json({ thresholds }) });
  }
  files.push({ path: 'data_summary.json', bytes: json(input.dataSummary) });

  const predictions = result.testPredictions;
  const lines: string[] = [];
  if (predictions) {
    const k = labels.length;
    const n = predictions.rows.length;
    for (let i = 0; i < n; i++) {
      const probabilities: Record<string, number> = {};
      const row = predictions.probabilities.subarray(i * k, (i + 1) * k);
      labels.forEach((label, j) => (probabilities[label] = row[j] as number));
      let label: string | string[];
      let predicted: string | string[];
      if (input.multiLabel) {
        label = labels.filter((_, j) => predictions.labels[i * k + j] === 1);
        predicted = labels.filter((_, j) => (row[j] as number) >= (predictions.thresholds?.[j] ?? 0.5));
      } else {
        label = labels[predictions.labels[i] as number] as string;
        let best = 0;
        for (let j = 1; j < k; j++) if ((row[j] as number) > (row[best] as number)) best = j;
        predicted = labels[best] as string;
      }
      lines.push(
        JSON.stringify({
          row: predictions.rows[i],
          ...(input.testTexts ? { text: input.testTexts[i] } : {}),
          label,
          predicted,
          probabilities,
        }),
      );
    }
  }
  files.push({ path: 'test_predictions.jsonl', bytes: encoder.encode(lines.map((l) => l + '\n').join('')) });
  return files;
}

function parseJsonFile(files: Record<string, string>, name: string): Record<string, unknown> | undefined {
  const text = files[name];
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    throw new Error(`the base model's ${name} is not valid JSON`);
  }
}
