// The studio's run as a run folder (the layout "finetune-studio train --out" writes and
// readExportInput reads): a Hugging Face model folder plus training_args.json, metrics.json,
// data_summary.json, thresholds.json, quantization.json (the int8 model's check) and split.json. It lets a
// run trained in the browser continue in the CLI (export, evaluate, predict, train further), and
// is how the CLI's export of a studio run is checked against the studio's own export byte for byte.
import { writeSafetensors } from '../model/index.ts';
import { buildModelConfig, configJsonText } from './hf-config.ts';
import { stableJson, utf8 } from './json.ts';
import { buildTokenizerFiles } from './tokenizer-files.ts';
import { originToJson } from './training-args.ts';
import type { ExportFile, ExportInput } from './types.ts';
import { canonicalizeWeights } from './weights.ts';
import { zipChunks } from './zip.ts';

/** The run folder's files, in path order. Unlike the export, it may name the base model by any name. */
export function buildRunFolderFiles(input: ExportInput): ExportFile[] {
  const config = buildModelConfig(input.config, input.labels, input.problemType);
  const { weights } = canonicalizeWeights(input.weights, config);
  const tokenizer = buildTokenizerFiles(input.tokenizer, input.maxLength, input.config.model_type);
  const nested = input.trainingArgs.finetune_studio;
  const trainingArgs = {
    ...input.trainingArgs,
    finetune_studio: {
      ...(nested && typeof nested === 'object' ? (nested as Record<string, unknown>) : {}),
      ...(input.studioSettings ?? {}),
      // readExportInput takes the model card's base model and the max length from here; the
      // export itself keeps base_model only when it is a Hub id.
      base_model: input.baseModel,
      ...(input.baseModelOrigin ? { base_model_origin: originToJson(input.baseModelOrigin) } : {}),
      max_length: input.maxLength,
    },
  };
  const files: ExportFile[] = [
    { path: 'config.json', bytes: utf8(configJsonText(config)) },
    { path: 'model.safetensors', bytes: writeSafetensors(weights) },
    { path: 'tokenizer.json', bytes: utf8(tokenizer.tokenizerJson) },
    { path: 'tokenizer_config.json', bytes: utf8(stableJson(tokenizer.tokenizerConfig)) },
    { path: 'special_tokens_map.json', bytes: utf8(stableJson(tokenizer.specialTokensMap)) },
    ...(tokenizer.vocabTxt === null ? [] : [{ path: 'vocab.txt', bytes: utf8(tokenizer.vocabTxt) }]),
    { path: 'training_args.json', bytes: utf8(stableJson(trainingArgs)) },
  ];
  if (input.metrics) files.push({ path: 'metrics.json', bytes: utf8(stableJson(input.metrics)) });
  if (input.dataSummary) {
    files.push({ path: 'data_summary.json', bytes: utf8(stableJson(input.dataSummary)) });
  }
  if (input.quantization) {
    files.push({ path: 'quantization.json', bytes: utf8(stableJson(input.quantization)) });
  }
  // Written as the export writes it, so that the CLI's export of this folder is the same bytes.
  if (input.splitFile)
    files.push({ path: 'split.json', bytes: utf8(JSON.stringify(input.splitFile) + '\n') });
  if (input.problemType === 'multi_label_classification' && input.thresholds) {
    const thresholds = Object.fromEntries(input.labels.map((label, i) => [label, input.thresholds?.[i]]));
    files.push({ path: 'thresholds.json', bytes: utf8(stableJson({ thresholds })) });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The run folder as zip chunks, for `new Blob(chunks)`. */
export function buildRunFolderZipChunks(input: ExportInput): Uint8Array[] {
  return zipChunks(buildRunFolderFiles(input));
}
