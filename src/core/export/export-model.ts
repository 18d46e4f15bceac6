// One export = one folder that Hugging Face transformers, transformers.js and ONNX Runtime load
// unchanged, plus the recipe to retrain and serve it; zipped deterministically.
import { writeSafetensors } from '../model/index.ts';
import { buildModelConfig, checkLabels, configJsonText } from './hf-config.ts';
import { stableJson, utf8 } from './json.ts';
import { buildModelCard } from './model-card.ts';
import { buildOnnx } from './onnx/graphs.ts';
import { buildOnnxQuantized } from './onnx/quantize.ts';
import { quantizationNote } from './quantization.ts';
import { k8sFiles } from './templates/k8s.ts';
import { DOCKERFILE, SERVE_PY } from './templates/serve-py.ts';
import { TRAIN_PY } from './templates/train-py.ts';
import { buildTokenizerFiles } from './tokenizer-files.ts';
import { buildTrainingArgs } from './training-args.ts';
import type { ExportFile, ExportInput } from './types.ts';
import { canonicalizeWeights } from './weights.ts';
import { zipChunks, zipFiles } from './zip.ts';

export interface ExportResult {
  files: ExportFile[];
  /** Things the user should know: settings left out because they named local paths, and so on. */
  notes: string[];
}

function checkInput(input: ExportInput): void {
  checkLabels(input.labels);
  if (
    input.problemType !== 'single_label_classification' &&
    input.problemType !== 'multi_label_classification'
  ) {
    throw new Error(`export: unknown problem type "${String(input.problemType)}"`);
  }
  if (input.thresholds !== undefined) {
    if (input.thresholds.length !== input.labels.length) {
      throw new Error(`export: ${input.thresholds.length} thresholds for ${input.labels.length} labels`);
    }
    if (input.thresholds.some((t) => !(t >= 0 && t <= 1)))
      throw new Error('export: thresholds must lie in [0, 1]');
  }
}

/** Builds every file of the export, in path order. */
export function buildExportFiles(input: ExportInput): ExportResult {
  checkInput(input);
  const notes: string[] = [];
  const multi = input.problemType === 'multi_label_classification';
  const config = buildModelConfig(input.config, input.labels, input.problemType);
  const { weights, dropped } = canonicalizeWeights(input.weights, config);
  if (dropped.length) notes.push(`Left out weights the classifier does not use: ${dropped.join(', ')}.`);
  const tokenizer = buildTokenizerFiles(input.tokenizer, input.maxLength, input.config.model_type);
  const trainingArgs = buildTrainingArgs(input);
  if (trainingArgs.dropped.length) {
    notes.push(
      `Left out of training_args.json because they name local paths: ${trainingArgs.dropped.join(', ')}.`,
    );
  }
  const files: ExportFile[] = [
    { path: 'config.json', bytes: utf8(configJsonText(config)) },
    { path: 'model.safetensors', bytes: writeSafetensors(weights) },
    { path: 'tokenizer.json', bytes: utf8(tokenizer.tokenizerJson) },
    { path: 'tokenizer_config.json', bytes: utf8(stableJson(tokenizer.tokenizerConfig)) },
    { path: 'special_tokens_map.json', bytes: utf8(stableJson(tokenizer.specialTokensMap)) },
    ...(tokenizer.vocabTxt === null ? [] : [{ path: 'vocab.txt', bytes: utf8(tokenizer.vocabTxt) }]),
    { path: 'training_args.json', bytes: utf8(stableJson(trainingArgs.json)) },
    { path: 'train.py', bytes: utf8(TRAIN_PY) },
    // One line: a row list one number per line would make split.json needlessly long.
    ...(input.splitFile ? [{ path: 'split.json', bytes: utf8(JSON.stringify(input.splitFile) + '\n') }] : []),
    { path: 'serve.py', bytes: utf8(SERVE_PY) },
    { path: 'Dockerfile', bytes: utf8(DOCKERFILE) },
    ...k8sFiles(),
  ];
  files.push({
    path: 'onnx/model.onnx',
    bytes: input.onnxModel ?? buildOnnx(config, weights, input.labels),
  });
  if (input.quantization?.accepted) {
    files.push({
      path: 'onnx/model_quantized.onnx',
      bytes: buildOnnxQuantized(config, weights, input.labels),
    });
  } else {
    notes.push(
      input.quantization
        ? 'Left out onnx/model_quantized.onnx: the int8 model did not decide like the float model closely enough on the validation split (figures in README.md).'
        : 'Left out onnx/model_quantized.onnx: this run records no check of the int8 model on its validation split.',
    );
  }
  if (multi) {
    const thresholds = Object.fromEntries(
      input.labels.map((label, i) => [label, input.thresholds?.[i] ?? 0.5]),
    );
    files.push({ path: 'thresholds.json', bytes: utf8(stableJson({ thresholds })) });
  }
  const paths = [...files.map((f) => f.path), 'README.md'].sort();
  files.push({
    path: 'README.md',
    bytes: utf8(
      buildModelCard(input, {
        files: paths,
        trainingArgs: trainingArgs.json,
        quantizedNote: quantizationNote(input.quantization),
      }),
    ),
  });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, notes };
}

/** The export as one zip (what the studio downloads and the CLI writes). */
export function buildExportZip(input: ExportInput): { zip: Uint8Array; notes: string[] } {
  const { files, notes } = buildExportFiles(input);
  return { zip: zipFiles(files), notes };
}

/** The export as zip chunks, for `new Blob(chunks)` without one more full copy in memory. */
export function buildExportZipChunks(input: ExportInput): { chunks: Uint8Array[]; notes: string[] } {
  const { files, notes } = buildExportFiles(input);
  return { chunks: zipChunks(files), notes };
}
