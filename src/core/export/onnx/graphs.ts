// The ONNX writer of each family, keyed by the registry's ModelType (core/model/architectures.ts),
// so a family cannot be registered without one; the export and the inference engines write every
// graph through `buildOnnx`.
import type { ModelType } from '../../model/index.ts';
import type { NamedTensor } from '../types.ts';
import { buildBertLikeOnnx } from './bert-onnx.ts';
import { buildDebertaOnnx } from './deberta-onnx.ts';
import { buildModernBertOnnx } from './modernbert-onnx.ts';
import { buildDistilBertOnnx } from './distilbert-onnx.ts';
import { EncoderGraph, type OnnxOptions } from './encoder-graph.ts';

/** A family's graph over the shared pieces: embeddings, blocks and head, then `graph.finish`. */
type OnnxWriter = (graph: EncoderGraph) => Uint8Array;

const ONNX_WRITERS: Readonly<Record<ModelType, OnnxWriter>> = {
  distilbert: buildDistilBertOnnx,
  bert: buildBertLikeOnnx,
  roberta: buildBertLikeOnnx,
  'xlm-roberta': buildBertLikeOnnx,
  modernbert: buildModernBertOnnx,
  'deberta-v2': buildDebertaOnnx,
};

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
  const graph = new EncoderGraph(config, weights, labels, options);
  return ONNX_WRITERS[graph.config.modelType](graph);
}
