// The architecture registry: every family the studio trains, keyed by config.json's
// `model_type`. The loader, the training loop, the inference path and the export reach a
// family's names, shapes, config fields and forward pass only through here (the ONNX writers
// are keyed by the same ModelType in export/onnx/graphs.ts).
import type * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, ModelType } from './config.ts';
import { bert } from './bert.ts';
import { debertaV2 } from './deberta.ts';
import { distilBert } from './distilbert.ts';
import { modernBert } from './modernbert.ts';
import { roberta, xlmRoberta } from './roberta.ts';
import type { ClassificationHead, EncodeOptions, ForwardOptions, Params } from './layers.ts';

/** What the parameter shapes depend on. */
export type ParameterDims = Pick<
  ModelConfig,
  | 'modelType'
  | 'dim'
  | 'nLayers'
  | 'hiddenDim'
  | 'vocabSize'
  | 'maxPositionEmbeddings'
  | 'typeVocabSize'
  | 'numLabels'
  | 'raw'
>;

export interface Architecture {
  modelType: ModelType;
  /** The family's name for people ("BERT"). */
  displayName: string;
  /** transformers' class of the fine-tuned model, written into config.json's `architectures`. */
  classifierClass: string;
  /** Reads the family's config.json fields (model_type already checked). */
  parseConfig(json: Record<string, unknown>): ModelConfig;
  /** The config.json fields the parsed config stands for, under the family's own keys. */
  configFields(config: ModelConfig): Record<string, unknown>;
  /** Every parameter under its Hugging Face state_dict name, with its shape, in state_dict order. */
  parameterShapes(config: ParameterDims): Map<string, number[]>;
  /** Prefix of block `layer`'s parameter names. */
  layerPrefix(layer: number): string;
  /**
   * A norm over the encoder's output that the last block applies and owns (ModernBERT's
   * final_norm; the name without `.weight` / `.bias`), so that block's output is the encoder's.
   */
  finalNorm?: string;
  /**
   * Parameters outside any block that every block reads (DeBERTa's relative embeddings and their
   * LayerNorm): a checkpointed block recomputes with them, so their gradients come through it.
   */
  sharedByBlocks?(config: ModelConfig): string[];
  /** The classification head on the first token: what head-only training trains. */
  head: ClassificationHead;
  /**
   * Parameters a checkpoint may lack (created as transformers does): the head. Those in
   * `labelHeadNames` depend on the labels and are replaced when the labels change.
   */
  headNames: readonly string[];
  labelHeadNames: readonly string[];
  /**
   * The canonical name for a checkpoint key (other prefixes, older spellings), or null when the
   * model has no such parameter.
   */
  canonicalName(key: string, known: ReadonlySet<string>): string | null;
  /** Embeddings: [B, T] ids -> [B, T, D]. */
  embed(params: Params, config: ModelConfig, inputIds: tf.Tensor2D, opts: EncodeOptions): tf.Tensor3D;
  /** Transformer block `layer`: [B, T, D] -> [B, T, D]. */
  block(
    params: Params,
    config: ModelConfig,
    layer: number,
    hidden: tf.Tensor3D,
    attentionMask: tf.Tensor2D,
    opts: ForwardOptions,
  ): tf.Tensor3D;
  /**
   * The state the head reads: [B, T, D], mask [B, T] -> [B, D]; the first token's state when
   * absent.
   */
  pool?(config: ModelConfig, hidden: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D;
}

const ARCHITECTURES: Readonly<Record<ModelType, Architecture>> = {
  distilbert: distilBert,
  bert,
  roberta,
  'xlm-roberta': xlmRoberta,
  modernbert: modernBert,
  'deberta-v2': debertaV2,
};

export const SUPPORTED_MODEL_TYPES = Object.keys(ARCHITECTURES) as ModelType[];

export function isSupportedModelType(modelType: unknown): modelType is ModelType {
  return typeof modelType === 'string' && Object.hasOwn(ARCHITECTURES, modelType);
}

/** The family of a config.json's `model_type`; a one-line message naming the supported ones otherwise. */
export function architectureFor(modelType: unknown): Architecture {
  if (isSupportedModelType(modelType)) return ARCHITECTURES[modelType];
  const supported = SUPPORTED_MODEL_TYPES.join(', ');
  throw new Error(
    modelType === undefined
      ? `config.json has no model_type; the studio trains ${supported}`
      : `model_type "${String(modelType)}" is not supported; the studio trains ${supported}`,
  );
}

export function architectureOf(config: Pick<ModelConfig, 'modelType'>): Architecture {
  return architectureFor(config.modelType);
}
