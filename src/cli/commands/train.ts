// finetune-studio train: the Train step from the command line. Reads and splits the file as the
// Data step does, fine-tunes the model (head only, top k layers or all of it), and writes a
// Hugging Face model folder with the run's metrics, settings, data summary and test predictions.
import * as tf from '@tensorflow/tfjs-core';
import type { Command } from 'commander';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { evaluateQuantization } from '../../core/infer/index.ts';
import {
  type QuantizationCheck,
  type MappedColumns,
  type BaseModelOrigin,
  buildRunFolder,
  evalReportJson,
} from '../../core/export/index.ts';
import { disposeParams, type LoadedModel, type ModelFileSource } from '../../core/model/index.ts';
import { buildSplitFile, splitIndices, type DataReading } from '../../core/dataset/index.ts';
import { loadTokenizer, type TextTokenizer, type EncodedDataset } from '../../core/tokenize/index.ts';
import {
  defaultTrainConfig,
  TRAIN_MODES,
  checkTrainConfig,
  type ClassWeightSetting,
  type TrainConfig,
  type TrainMode,
  type EvalReport,
  type TrainEvent,
  SCHEDULE_NAMES,
  type ScheduleName,
  TrainController,
  type TrainerCallbacks,
  type TrainModel,
  type TrainingLoss,
  estimateModes,
  fitWarning,
  paddedTokensPerExample,
  splitSize,
} from '../../core/train/index.ts';
import { nodeFeatureCache } from '../../node/feature-cache-file.ts';
import { nodeModelSource } from '../../node/model-source.ts';
import { CliError, emit, globalOptions, progress, type GlobalOptions, setUpRun } from '../context.ts';
import { addDataOptions, type DataFlags, type LoadedData } from './inspect.ts';
import { addEngineOption, type CliInference } from '../inference.ts';

export interface TrainFlags extends DataFlags {
  model: string;
  mode: string;
  out: string;
  force?: boolean;
  layers?: string;
  epochs?: string;
  lr?: string;
  batchSize?: string;
  maxLength: string;
  schedule?: string;
  warmupRatio?: string;
  warmupSteps?: string;
  weightDecay?: string;
  classWeights?: string;
  earlyStoppingPatience?: string;
  minDelta?: string;
  metric?: string;
  gradAccum?: string;
  layerLrDecay?: string;
  freezeEmbeddings?: boolean;
  gradientCheckpointing?: boolean;
  labelSmoothing?: string;
  evalSteps?: string;
  maxGradNorm?: string;
  cacheMemory?: string;
  int8Check?: boolean;
  engine?: string;
}

export function number(
  value: string | undefined,
  flag: string,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) {
    throw new CliError(`${flag} must be ${what}, got "${value}"`, 2);
  }
  return n;
}

const wholeAtLeast = (min: number) => (n: number) => Number.isInteger(n) && n >= min;

function classWeightsFrom(value: string | undefined): ClassWeightSetting {
  if (value === undefined || value === 'none') return 'none';
  if (value === 'balanced') return 'balanced';
  if (!existsSync(value) || !statSync(value).isFile()) {
    throw new CliError(
      `--class-weights must be none, balanced or a JSON file of weights by label; ${value}: no such file`,
      2,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(value, 'utf8'));
  } catch (error) {
    throw new CliError(`${value} is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliError(`${value}: expected an object of label → weight, e.g. {"spam": 4, "ham": 1}`);
  }
  const weights: Record<string, number> = {};
  for (const [label, weight] of Object.entries(parsed)) {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new CliError(`${value}: the weight of "${label}" must be a non-negative number`);
    }
    weights[label] = weight;
  }
  return weights;
}

/** TrainConfig from the mode's defaults and the flags given. */
export function trainConfigFromFlags(flags: TrainFlags, layersFlag = '--layers'): TrainConfig {
  if (!(TRAIN_MODES as readonly string[]).includes(flags.mode)) {
    throw new CliError(`--mode must be head, top-k or full, got "${flags.mode}"`, 2);
  }
  const config = defaultTrainConfig(flags.mode as TrainMode);
  const set = <K extends keyof TrainConfig>(key: K, value: TrainConfig[K] | undefined) => {
    if (value !== undefined) config[key] = value;
  };
  set('layers', number(flags.layers, layersFlag, wholeAtLeast(1), 'a whole number ≥ 1'));
  set('epochs', number(flags.epochs, '--epochs', wholeAtLeast(1), 'a whole number ≥ 1'));
  set(
    'learningRate',
    number(flags.lr, '--lr', (n) => n > 0, 'a positive number'),
  );
  set('batchSize', number(flags.batchSize, '--batch-size', wholeAtLeast(1), 'a whole number ≥ 1'));
  set('maxLength', number(flags.maxLength, '--max-length', wholeAtLeast(3), 'a whole number ≥ 3'));
  const seed = number(flags.seed, '--seed', Number.isInteger, 'a whole number');
  set('seed', seed);
  if (flags.schedule !== undefined) {
    if (!(SCHEDULE_NAMES as readonly string[]).includes(flags.schedule)) {
      throw new CliError(`--schedule must be linear, cosine or constant, got "${flags.schedule}"`, 2);
    }
    config.schedule = flags.schedule as ScheduleName;
  }
  if (flags.warmupRatio !== undefined && flags.warmupSteps !== undefined) {
    throw new CliError('give either --warmup-ratio or --warmup-steps, not both', 2);
  }
  set(
    'warmupRatio',
    number(flags.warmupRatio, '--warmup-ratio', (n) => n >= 0 && n <= 1, 'a number in [0, 1]'),
  );
  const warmupSteps = number(flags.warmupSteps, '--warmup-steps', wholeAtLeast(0), 'a whole number ≥ 0');
  if (warmupSteps !== undefined) {
    config.warmupSteps = warmupSteps;
    config.warmupRatio = 0;
  }
  set(
    'weightDecay',
    number(flags.weightDecay, '--weight-decay', (n) => n >= 0, 'a number ≥ 0'),
  );
  config.classWeights = classWeightsFrom(flags.classWeights);
  set(
    'earlyStoppingPatience',
    number(flags.earlyStoppingPatience, '--early-stopping-patience', wholeAtLeast(0), 'a whole number ≥ 0'),
  );
  set(
    'earlyStoppingMinDelta',
    number(flags.minDelta, '--min-delta', (n) => n >= 0, 'a number ≥ 0'),
  );
  if (flags.metric !== undefined) config.metricForBestModel = flags.metric;
  set('gradAccumSteps', number(flags.gradAccum, '--grad-accum', wholeAtLeast(1), 'a whole number ≥ 1'));
  set(
    'layerLrDecay',
    number(flags.layerLrDecay, '--layer-lr-decay', (n) => n > 0 && n <= 1, 'a number in (0, 1]'),
  );
  if (flags.freezeEmbeddings) config.freezeEmbeddings = true;
  if (flags.gradientCheckpointing === false) config.gradientCheckpointing = false;
  set(
    'labelSmoothing',
    number(flags.labelSmoothing, '--label-smoothing', (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
  );
  set('evalSteps', number(flags.evalSteps, '--eval-steps', wholeAtLeast(0), 'a whole number ≥ 0'));
  set(
    'maxGradNorm',
    number(flags.maxGradNorm, '--max-grad-norm', (n) => n >= 0, 'a number ≥ 0'),
  );
  const problems = checkTrainConfig(config);
  if (problems.length > 0) throw new CliError(problems[0] as string, 2);
  return config;
}

export function modelSource(model: string, hubUrl: string): ModelFileSource {
  try {
    return nodeModelSource(model, hubUrl);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export async function tokenizerOf(source: ModelFileSource): Promise<TextTokenizer> {
  try {
    return await loadTokenizer(source);
  } catch (error) {
    throw new CliError(`cannot load the tokenizer of ${source.describe()}: ${(error as Error).message}`);
  }
}

export function prepareOut(out: string, force: boolean): string {
  const dir = resolve(out);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new CliError(`--out ${out} is a file, not a folder`);
    if (readdirSync(dir).length > 0 && !force) {
      throw new CliError(`--out ${out} is not empty; choose another folder or pass --force to write into it`);
    }
  }
  return dir;
}

const percent = (value: number | undefined): string =>
  value === undefined ? '–' : `${(value * 100).toFixed(1)}%`;

/** Headline metrics of an evaluation in one line. */
export function metricsLine(metrics: Record<string, number>, multiLabel: boolean): string {
  const parts = [`loss ${metrics.loss?.toFixed(4) ?? '–'}`];
  if (multiLabel) {
    parts.push(
      `micro F1 ${percent(metrics.micro_f1)}`,
      `macro F1 ${percent(metrics.macro_f1)}`,
      `subset accuracy ${percent(metrics.subset_accuracy)}`,
      `Hamming loss ${metrics.hamming_loss?.toFixed(4) ?? '–'}`,
    );
  } else {
    parts.push(
      `accuracy ${percent(metrics.accuracy)}`,
      `macro F1 ${percent(metrics.macro_f1)}`,
      `weighted F1 ${percent(metrics.weighted_f1)}`,
    );
  }
  return parts.join(', ');
}

/** Per-class table (and confusion matrix for single-label) as text lines. */
export function reportLines(report: Pick<EvalReport, 'details'>): string[] {
  const details = report.details;
  const width = Math.max(5, ...details.per_class.map((c) => c.label.length));
  const lines = [`  ${'label'.padEnd(width)}  precision  recall     F1  support`];
  for (const c of details.per_class) {
    lines.push(
      `  ${c.label.padEnd(width)}  ${percent(c.precision).padStart(9)}  ${percent(c.recall).padStart(6)}  ${percent(c.f1).padStart(6)}  ${String(c.support).padStart(7)}`,
    );
  }
  if (details.kind === 'single_label') {
    lines.push('', '  confusion matrix (rows: true label, columns: predicted):');
    const cell = Math.max(5, ...details.confusion_matrix.flat().map((v) => String(v).length + 1));
    lines.push(`  ${''.padEnd(width)} ${details.labels.map((_, j) => String(j).padStart(cell)).join('')}`);
    details.confusion_matrix.forEach((row, i) =>
      lines.push(
        `  ${`${i} ${details.labels[i]}`.padEnd(width + 2).slice(0, width + 2)}${row.map((v) => String(v).padStart(cell)).join('')}`,
      ),
    );
  } else {
    lines.push(`  thresholds: ${details.labels.map((l, j) => `${l} ${details.thresholds[j]}`).join(', ')}`);
  }
  return lines;
}

/** Labels at most this many print their per-class table and confusion matrix on the terminal. */
const FULL_REPORT_LABELS = 10;
/** Classes and confusions named in the terminal summary of a larger label set. */
const SUMMARY_ROWS = 5;

/**
 * What the terminal shows of an evaluation: the whole report for a few labels; for more, the
 * weakest classes and the most frequent confusions (the rest is in report.json).
 */
export function summaryLines(report: Pick<EvalReport, 'details'>): string[] {
  const details = report.details;
  if (details.per_class.length <= FULL_REPORT_LABELS) return reportLines(report);
  const weakest = [...details.per_class]
    .filter((c) => c.support > 0)
    .sort((a, b) => a.f1 - b.f1 || b.support - a.support)
    .slice(0, SUMMARY_ROWS);
  const lines = [
    `  weakest ${weakest.length} of ${details.per_class.length} classes by F1:`,
    ...weakest.map(
      (c) =>
        `    ${c.label}: F1 ${percent(c.f1)}, precision ${percent(c.precision)}, recall ${percent(c.recall)}, support ${c.support}`,
    ),
  ];
  if (details.kind === 'single_label') {
    const confusions: { truth: number; predicted: number; count: number }[] = [];
    details.confusion_matrix.forEach((row, truth) =>
      row.forEach((count, predicted) => {
        if (truth !== predicted && count > 0) confusions.push({ truth, predicted, count });
      }),
    );
    confusions.sort((a, b) => b.count - a.count || a.truth - b.truth || a.predicted - b.predicted);
    if (confusions.length > 0) {
      lines.push(
        `  most frequent confusions (true → predicted):`,
        ...confusions
          .slice(0, SUMMARY_ROWS)
          .map((c) => `    ${details.labels[c.truth]} → ${details.labels[c.predicted]}: ${c.count}`),
      );
    }
  }
  return lines;
}

export function dataSummary(
  data: LoadedData,
  encoded: EncodedDataset,
  fullLengths: Int32Array,
  maxLength: number,
) {
  const { dataset, split } = data;
  let truncated = 0;
  for (const length of fullLengths) if (length > maxLength) truncated++;
  const sorted = Int32Array.from(fullLengths).sort();
  const at = (p: number) =>
    sorted.length ? (sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number) : 0;
  return {
    rows: dataset.texts.length,
    file_rows: dataset.totalRows,
    dropped: dataset.dropped.length,
    multi_label: dataset.multiLabel,
    labels: [...encoded.labels],
    label_counts: dataset.labelCounts,
    ...(dataset.multiLabel
      ? { no_label_rows: dataset.noLabelRows }
      : { unlabelled_rows: dataset.unlabelled.rows.length }),
    splits: { train: split.sizes[0], validation: split.sizes[1], test: split.sizes[2] },
    split: { source: split.source, seed: split.seed, fractions: split.fractions, notes: split.messages },
    checks: dataset.checks.map((c) => ({ id: c.id, name: c.title, severity: c.severity, count: c.count })),
    token_lengths: {
      max_length: maxLength,
      p50: at(0.5),
      p95: at(0.95),
      max: sorted.length ? sorted[sorted.length - 1] : 0,
      truncated,
    },
  };
}

/** The base model's name and origin: a folder by its name only, a Hub id with its hub. */
export function baseModelOf(
  model: string,
  hubUrl: string,
): { baseModel: string; baseModelOrigin: BaseModelOrigin } {
  return existsSync(model)
    ? { baseModel: basename(resolve(model)), baseModelOrigin: { kind: 'folder' } }
    : { baseModel: model, baseModelOrigin: { kind: 'hub', url: hubUrl } };
}

/** How the main file was read and its rows built, as train.py reads it again. */
export function dataReading({ main, split }: LoadedData): DataReading {
  const { sniff } = main.table.summary;
  const splitColumn = main.mapping.splitColumn;
  return {
    encoding: main.table.summary.encoding,
    delimiter: sniff.delimiter,
    hasHeader: sniff.hasHeader,
    quoting: sniff.quoting,
    caseFold: main.mapping.caseFold ?? false,
    dropDuplicates: main.mapping.dropDuplicates ?? false,
    splitColumn:
      splitColumn !== null && splitColumn !== undefined ? (main.dataset.columns[splitColumn] ?? null) : null,
    labelOrder: main.mapping.labelOrder ?? null,
    splitSeed: split.seed,
    splitFractions: split.fractions,
  };
}

export function mappedColumns({ main }: LoadedData): MappedColumns {
  const name = (index: number) => main.dataset.columns[index] ?? `column ${index + 1}`;
  return {
    textColumns: main.mapping.textColumns.map(name),
    textJoiner: main.mapping.textJoiner ?? '\n',
    labelColumn: name(main.mapping.labelColumn),
    labelSeparator: main.mapping.multiLabel ? (main.mapping.labelSeparator ?? '|') : null,
  };
}

export function describeEvent(event: TrainEvent, multiLabel: boolean): string | null {
  switch (event.type) {
    case 'progress':
      return event.stage === 'cache'
        ? `caching frozen ${event.split} features: ${event.done}/${event.total}`
        : null;
    case 'start':
      return (
        `training ${event.trainableParameters.toLocaleString('en')} of ${(event.trainableParameters + event.frozenParameters).toLocaleString('en')} parameters: ` +
        `${event.totalSteps} steps (${event.stepsPerEpoch} per epoch, batch ${event.effectiveBatchSize}, warmup ${event.warmupSteps}) ` +
        `on ${event.trainExamples} examples; validation ${event.validationExamples}, test ${event.testExamples}`
      );
    case 'step':
      return (
        `step ${event.step}/${event.totalSteps} epoch ${event.epoch.toFixed(2)} loss ${event.loss.toFixed(4)} ` +
        `lr ${event.lr.toExponential(2)} ${event.examplesPerSec.toFixed(1)} ex/s ${Math.round(event.tokensPerSec)} tok/s ETA ${Math.round(event.etaSec)} s`
      );
    case 'eval':
      return `eval at step ${event.step} (epoch ${event.epoch.toFixed(2)}): ${metricsLine(event.metrics, multiLabel)}${event.isBest ? ' *best*' : ''}`;
    case 'notice':
      return `note: ${event.message}`;
    case 'command':
      return event.applied
        ? `${event.command.type} at step ${event.step}`
        : `${event.command.type} refused: ${event.message ?? ''}`;
    default:
      return null;
  }
}

/** The output, run-folder and training flags `train` and `distill` share (not --model, --mode, --layers). */
export function addTrainingOptions(command: Command): Command {
  return addEngineOption(
    addTrainSettingOptions(
      command
        .requiredOption('--out <dir>', 'folder for the trained model and run files (must be empty)')
        .option('--force', 'write into a non-empty --out folder'),
    ),
  );
}

/** The training settings' flags, also taken by `label-issues` for its fold models. */
export function addTrainSettingOptions(command: Command): Command {
  return command
    .option('--epochs <n>', 'passes over the training split (default 3)')
    .option('--lr <x>', 'peak learning rate (default 5e-5; 1e-3 for head)')
    .option('--batch-size <n>', 'examples per batch (default 16)')
    .option('--max-length <n>', 'truncate texts to this many tokens', '128')
    .option('--schedule <name>', 'linear, cosine or constant (default linear)')
    .option('--warmup-ratio <x>', 'share of the steps spent warming up (default 0.1)')
    .option('--warmup-steps <n>', 'warmup in steps, instead of --warmup-ratio')
    .option('--weight-decay <x>', 'AdamW weight decay (default 0.01)')
    .option('--class-weights <spec>', 'none, balanced, or a JSON file of weights by label (default none)')
    .option('--early-stopping-patience <n>', 'stop after N evaluations without improvement (default 0: off)')
    .option('--min-delta <x>', 'smallest improvement that resets the patience (default 0)')
    .option(
      '--metric <name>',
      'validation metric for the best checkpoint: loss, accuracy, macro_f1, micro_f1, … (default loss)',
    )
    .option('--grad-accum <n>', 'batches per optimizer update (default 1)')
    .option('--layer-lr-decay <x>', 'layer-wise learning-rate decay factor in (0, 1] (default 1: off)')
    .option('--freeze-embeddings', 'full mode: keep the embeddings frozen')
    .option(
      '--no-gradient-checkpointing',
      "full and top-k: keep every block's activations for the backward pass (faster, far more memory)",
    )
    .option('--label-smoothing <x>', 'label smoothing in [0, 1) (default 0)')
    .option('--eval-steps <n>', 'also evaluate every N steps (default 0: each epoch end)')
    .option('--max-grad-norm <x>', 'gradient clipping norm (default 1; 0 turns it off)')
    .option(
      '--cache-memory <MB>',
      "head/top-k: memory for the frozen layers' cached output; a larger cache goes to a temporary file (default: a quarter of RAM)",
    );
}

export interface TrainAndWriteInput {
  options: GlobalOptions;
  /** --out as the user gave it, and resolved. */
  out: string;
  outDir: string;
  cacheMegabytes: number | undefined;
  model: LoadedModel | (TrainModel & { tokenizerFiles: Record<string, string> });
  encoded: EncodedDataset;
  fullLengths: Int32Array;
  config: TrainConfig;
  data: LoadedData;
  /** Hub id or folder of the base model, for training_args.json. */
  baseModel: string;
  /** A loss other than the labels' (distillation). */
  loss?: TrainingLoss;
  /** training_args.json's finetune_studio.distillation. */
  distillation?: Record<string, unknown>;
  /** More lines after the test metrics, and more fields in the --json output. */
  report?: { lines: string[]; json: Record<string, unknown> };
  /** Runs after the folder is written and before the report is printed (it may fill `report`). */
  beforeReport?: () => Promise<void>;
  /** Check the int8 model on the validation split (quantization.json), for export. */
  int8Check?: boolean;
  /** Where the base model came from, when `baseModel` alone cannot tell (a teacher's record). */
  baseModelOrigin?: BaseModelOrigin;
  /** What computes the frozen part's cached output (head and top-k) and the int8 check. */
  inference: CliInference;
}

/**
 * One line when the run's mode needs more memory than the backend can address (WASM's 4 GiB), with
 * the modes that fit, as the studio says it before Start; null when it fits.
 */
export function memoryWarning(
  model: TrainModel,
  encoded: EncodedDataset,
  config: TrainConfig,
  backend: string,
): string | null {
  const { offsets } = encoded.train;
  const lengths = Int32Array.from({ length: offsets.length - 1 }, (_, i) => offsets[i + 1]! - offsets[i]!);
  const estimates = estimateModes({
    layers: model.config.nLayers,
    dim: model.config.dim,
    hiddenDim: model.config.hiddenDim,
    heads: model.config.nHeads,
    numLabels: Math.max(encoded.labels.length, 1),
    parameters: Object.values(model.params).reduce((sum, param) => sum + param.size, 0),
    timing: null,
    trainExamples: splitSize(encoded.train),
    evalExamples: splitSize(encoded.validation),
    tokensPerExample: paddedTokensPerExample(lengths, encoded.maxLength),
    batchSize: config.batchSize,
    topLayers: Math.min(config.layers, model.config.nLayers),
  });
  return fitWarning(estimates, config.mode, backend, {
    mode: (mode) => `--mode ${mode}`,
    gpu: '--backend webgpu',
  });
}

/** Trains with a TrainController, reporting progress, and writes the run folder to `outDir`. */
export async function trainAndWrite(input: TrainAndWriteInput): Promise<void> {
  const { options, model, encoded, config, data, fullLengths, cacheMegabytes, outDir } = input;
  const { dataset, split } = data;
  const tooLarge = memoryWarning(model, encoded, config, tf.getBackend());
  if (tooLarge) progress(`warning: ${tooLarge}`);
  const cacheNotices: string[] = [];
  const cache = nodeFeatureCache({
    ...(cacheMegabytes === undefined ? {} : { memoryBudgetBytes: cacheMegabytes * 1e6 }),
    notify: (message) => {
      cacheNotices.push(message);
      progress(`note: ${message}`);
    },
  });
  try {
    const callbacks: TrainerCallbacks = input.loss ? { loss: input.loss } : {};
    // Head and top-k cache the frozen part's output: ONNX Runtime computes it where it loads.
    if (config.mode !== 'full') callbacks.featureEngine = input.inference.featureEngine;
    const controller = new TrainController({
      model,
      data: encoded,
      config,
      featureCache: cache.factory,
      callbacks,
    });
    controller.on((event) => {
      const line = describeEvent(event, encoded.multiLabel);
      if (line) progress(line);
    });
    // The first Ctrl-C stops training and still writes the best checkpoint; a second one quits.
    let interrupts = 0;
    const onInterrupt = () => {
      interrupts += 1;
      if (interrupts > 1) process.exit(130);
      progress('stopping: the best checkpoint so far will be written (Ctrl-C again to quit)');
      controller.stop();
    };
    process.on('SIGINT', onInterrupt);
    let result;
    try {
      result = await controller.run();
    } finally {
      process.off('SIGINT', onInterrupt);
    }
    if (result.reason === 'device_lost') throw new CliError(result.message);

    let quantization: QuantizationCheck | undefined;
    if (input.int8Check) {
      progress('checking the int8 model on the validation split');
      quantization = await evaluateQuantization(model, encoded.validation, {
        multiLabel: encoded.multiLabel,
        padTokenId: encoded.padTokenId,
        maxLength: config.maxLength,
        ...(result.thresholds ? { thresholds: result.thresholds } : {}),
        runtime: (await input.inference.load()).runtime,
      });
      if (!quantization) progress('note: no validation split, so the int8 model was not checked');
    }

    // encodeDataset lays the test split out in this order.
    const testTexts = Array.from(splitIndices(split.assignment, 2), (i) => dataset.texts[i] ?? '');
    const files = await buildRunFolder({
      config: model.config,
      params: model.params,
      tokenizerFiles: model.tokenizerFiles,
      labels: encoded.labels,
      multiLabel: encoded.multiLabel,
      maxLength: config.maxLength,
      ...(input.baseModelOrigin
        ? { baseModel: input.baseModel, baseModelOrigin: input.baseModelOrigin }
        : baseModelOf(input.baseModel, options.hubUrl)),
      columns: mappedColumns(data),
      dataReading: dataReading(data),
      // split.json names one file's rows: a run with a separate test file has none.
      ...(data.test ? {} : { splitFile: buildSplitFile(data.dataset, split.assignment) }),
      trainConfig: config,
      ...(input.distillation ? { distillation: input.distillation } : {}),
      result,
      dataSummary: dataSummary(data, encoded, fullLengths, config.maxLength),
      testTexts,
    });
    const encoder = new TextEncoder();
    const json = (value: unknown) => encoder.encode(JSON.stringify(value, null, 2) + '\n');
    files.push({
      path: 'report.json',
      bytes: json({
        labels: encoded.labels,
        validation: result.validation ? evalReportJson(result.validation) : null,
        test: result.test ? evalReportJson(result.test) : null,
      }),
    });
    if (quantization) files.push({ path: 'quantization.json', bytes: json(quantization) });
    mkdirSync(outDir, { recursive: true });
    for (const { path, bytes } of files) {
      const target = join(outDir, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, bytes);
    }
    await input.beforeReport?.();
    const lines = [
      `${result.message} Wrote ${files.length} files to ${input.out}.`,
      result.best
        ? `kept the checkpoint of step ${result.best.step} (epoch ${result.best.epoch.toFixed(2)}): validation ${result.best.metric} ${result.best.value.toFixed(4)}`
        : 'kept the final weights (no validation split)',
    ];
    if (result.validation)
      lines.push(`validation: ${metricsLine(result.validation.metrics, encoded.multiLabel)}`);
    if (result.test) {
      lines.push(
        `test: ${metricsLine(result.test.metrics, encoded.multiLabel)}`,
        ...summaryLines(result.test),
      );
    } else {
      lines.push('test: no test split');
    }
    if (quantization) {
      lines.push(
        `int8 check on ${quantization.rows} validation rows: same decision as the float model for ${percent(quantization.agreement)}, ` +
          `${quantization.metric} ${quantization.float.toFixed(4)} (float) and ${quantization.quantized.toFixed(4)} (int8); ` +
          (quantization.accepted
            ? 'export ships onnx/model_quantized.onnx'
            : 'outside the margin, so export leaves onnx/model_quantized.onnx out'),
      );
    }
    lines.push(...(input.report?.lines ?? []));
    lines.push(`per-class figures and confusion matrices: ${join(input.out, 'report.json')}`);
    emit(options, lines, {
      out: input.out,
      files: files.map((f) => f.path),
      reason: result.reason,
      steps: result.steps,
      best: result.best,
      validation: result.validation?.metrics ?? null,
      test: result.test?.metrics ?? null,
      quantization: quantization ?? null,
      notices: [...cacheNotices, ...result.notices],
      ...input.report?.json,
    });
  } finally {
    cache.storage.dispose();
  }
}

export function registerTrain(program: Command): void {
  addTrainingOptions(
    addDataOptions(
      program
        .command('train')
        .description(
          'fine-tune a DistilBERT classifier on a labelled file and write a Hugging Face model folder',
        )
        .argument('<file>', 'CSV, TSV or label<TAB>text file'),
    )
      .requiredOption(
        '--model <dirOrHubId>',
        'base model: a folder or a Hugging Face Hub repo id (owner/name[@revision])',
      )
      .requiredOption('--mode <mode>', 'head (encoder frozen), top-k (top --layers blocks + head) or full')
      .option('--layers <k>', 'top-k mode: transformer blocks that train (default 2)'),
  )
    .option(
      '--int8-check',
      'check the int8 model on the validation split, so that export ships onnx/model_quantized.onnx when it decides like the float model',
    )
    .action(async (file: string, flags: TrainFlags, command: Command) => {
      const options = globalOptions(command);
      const config = trainConfigFromFlags(flags);
      const cacheMegabytes = number(flags.cacheMemory, '--cache-memory', (n) => n >= 0, 'megabytes ≥ 0');
      const outDir = prepareOut(flags.out, Boolean(flags.force));

      const run = await setUpRun(options, {
        model: flags.model,
        file,
        flags,
        maxLength: config.maxLength,
        checkData: ({ split }) => {
          if (split.sizes[0] === 0) throw new CliError(`${file}: the training split is empty`);
        },
        ...(flags.engine !== undefined ? { engine: flags.engine } : {}),
      });
      const { data, encoded, fullLengths } = run;
      const model = await run.loadBase(config.seed);
      progress(model.report.message);
      try {
        await trainAndWrite({
          options,
          out: flags.out,
          outDir,
          cacheMegabytes,
          model,
          encoded,
          fullLengths,
          config,
          data,
          baseModel: flags.model,
          ...(flags.int8Check ? { int8Check: true } : {}),
          inference: run.inference,
        });
      } finally {
        disposeParams(model.params);
      }
    });
}
