// The ONNX writer of each family, keyed by the registry's ModelType (core/model/architectures.ts),
// so a family cannot be registered without one; the export and the inference engines write every
// graph through `buildOnnx`.
import { architectureFor, type ModelType } from '../../model/index.ts';
import type { NamedTensor } from '../types.ts';
import { buildBertLikeOnnx } from './bert-onnx.ts';
import { buildDistilBertOnnx, type DistilBertOnnxOptions } from './distilbert-onnx.ts';

export type OnnxOptions = DistilBertOnnxOptions;

type OnnxWriter = (
  config: Record<string, unknown>,
  weights: readonly NamedTensor[],
  labels: readonly string[],
  options?: OnnxOptions,
) => Uint8Array;

// null: no ONNX writer for the family yet; the export leaves the ONNX files out and says why.
const ONNX_WRITERS: Readonly<Record<ModelType, OnnxWriter | null>> = {
  distilbert: buildDistilBertOnnx,
  bert: buildBertLikeOnnx,
  roberta: buildBertLikeOnnx,
  'xlm-roberta': buildBertLikeOnnx,
  modernbert: null,
  'deberta-v2': null,
};

/** Whether the family of a config.json's `model_type` (DistilBERT's when absent) has an ONNX writer. */
export function hasOnnxWriter(modelType: unknown): boolean {
  return ONNX_WRITERS[architectureFor(modelType ?? 'distilbert').modelType] !== null;
}

/** What a family without an ONNX writer computes that no writer here expresses yet. */
const MISSING_OPERATORS: Partial<Record<ModelType, string>> = {
  modernbert: 'rotary position embeddings and sliding-window attention have no writer',
  'deberta-v2': 'disentangled attention over relative positions has no writer',
};

/** Why a family has no ONNX graph, in one line. */
export function noOnnxReason(modelType: unknown): string {
  const family = architectureFor(modelType ?? 'distilbert');
  return `ONNX export of ${family.displayName} models is not supported yet (${MISSING_OPERATORS[family.modelType] ?? 'no writer'}); the Hugging Face folder (model.safetensors) loads in transformers and transformers' own ONNX exporters`;
}

/**
 * The inference graph of a model given by its config.json (a config without `model_type` is
 * DistilBERT's) and weights: the classifier's logits, or a frozen part (`options.output`).
 */
export function buildOnnx(
  config: Record<string, unknown>,
  weights: readonly NamedTensor[],
  labels: readonly string[],
  options: OnnxOptions = {},
): Uint8Array {
  const writer = ONNX_WRITERS[architectureFor(config.model_type ?? 'distilbert').modelType];
  if (!writer) throw new Error(noOnnxReason(config.model_type));
  return writer(config, weights, labels, options);
}
