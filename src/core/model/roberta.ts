// RoBERTa and XLM-RoBERTa for sequence classification in tfjs ops.
//
// Mirrors Hugging Face transformers, src/transformers/models/roberta/modeling_roberta.py
// (XLM-RoBERTa's modeling_xlm_roberta.py is the same model under other names): RobertaEmbeddings
// (BERT's, with positions counted past the padding index: create_position_ids_from_input_ids),
// the BertLayer blocks (./bert.ts), no pooler, and RobertaClassificationHead (dropout, dense,
// tanh, dropout, out_proj) on the first (<s>) token; configuration_roberta.py for the config.
//
// Shapes: B batch, T sequence length, D = config.dim, N = B * T.
import * as tf from '@tensorflow/tfjs-core';
import type { Architecture, ParameterDims } from './architectures.ts';
import {
  bertLikeCanonicalName,
  bertLikeConfigFields,
  bertLikeEmbed,
  bertLikeEncoderShapes,
  bertLikeLayer,
  parseBertLikeConfig,
} from './bert.ts';
import type { ModelConfig, ModelType } from './config.ts';
import { checkArchitectures } from './config-fields.ts';
import { int32Ids, type ClassificationHead } from './layers.ts';

const HEAD: ClassificationHead = {
  dense: 'classifier.dense',
  activation: 'tanh',
  out: 'classifier.out_proj',
  dropoutBeforeDense: true,
};
const HEAD_NAMES = [
  'classifier.dense.weight',
  'classifier.dense.bias',
  'classifier.out_proj.weight',
  'classifier.out_proj.bias',
];
const LABEL_HEAD = ['classifier.out_proj.weight', 'classifier.out_proj.bias'];

/**
 * create_position_ids_from_input_ids: padding tokens get padding_idx, the others padding_idx + 1,
 * + 2, … in order of the non-padding tokens. [B, T] -> [B, T] int32.
 */
export function robertaPositionIds(inputIds: tf.Tensor2D, padTokenId: number): tf.Tensor2D {
  return tf.tidy(() => {
    const notPadding = tf.cast(tf.notEqual(int32Ids(inputIds), padTokenId), 'int32'); // [B, T]
    const counted = tf.mul(tf.cast(tf.cumsum(notPadding, 1), 'int32'), notPadding); // [B, T]
    return tf.add(counted, tf.scalar(padTokenId, 'int32')) as tf.Tensor2D;
  });
}

function robertaFamily(modelType: ModelType, displayName: string, classPrefix: string): Architecture {
  // XLMRobertaForSequenceClassification names its encoder `roberta` too.
  const prefix = 'roberta.';
  const classes = new Set(
    [
      'Model',
      'ForSequenceClassification',
      'ForMaskedLM',
      'ForCausalLM',
      'ForTokenClassification',
      'ForQuestionAnswering',
      'ForMultipleChoice',
    ].map((suffix) => classPrefix + suffix),
  );
  const parameterShapes = (config: ParameterDims): Map<string, number[]> => {
    const shapes = bertLikeEncoderShapes(prefix, config);
    shapes.set('classifier.dense.weight', [config.dim, config.dim]);
    shapes.set('classifier.dense.bias', [config.dim]);
    shapes.set('classifier.out_proj.weight', [config.numLabels, config.dim]);
    shapes.set('classifier.out_proj.bias', [config.numLabels]);
    return shapes;
  };
  const parseConfig = (json: Record<string, unknown>): ModelConfig => {
    checkArchitectures(json, classes, `${classPrefix}*`);
    const config = parseBertLikeConfig(json, modelType, {
      maxPositionEmbeddings: 514,
      typeVocabSize: 1,
      vocabSize: modelType === 'xlm-roberta' ? 250002 : 50265,
      layerNormEps: 1e-5,
      padTokenId: 1,
    });
    if (config.maxPositionEmbeddings <= config.padTokenId + 1) {
      throw new Error(
        `config.json: max_position_embeddings ${config.maxPositionEmbeddings} leaves no position past pad_token_id ${config.padTokenId}`,
      );
    }
    return config;
  };
  return {
    modelType,
    displayName,
    classifierClass: `${classPrefix}ForSequenceClassification`,
    parseConfig,
    configFields: bertLikeConfigFields,
    parameterShapes,
    layerPrefix: (layer) => `${prefix}encoder.layer.${layer}.`,
    head: HEAD,
    headNames: HEAD_NAMES,
    labelHeadNames: LABEL_HEAD,
    canonicalName: (key, known) => bertLikeCanonicalName(prefix, 'classifier.', key, known),
    embed: (params, config, inputIds, opts) => {
      const [, seqLength] = inputIds.shape;
      // Positions start past the padding index, so the table holds padTokenId + 1 fewer tokens.
      const longest = config.maxPositionEmbeddings - config.padTokenId - 1;
      if (seqLength > longest) {
        throw new Error(`sequence length ${seqLength} exceeds the model's ${longest} positions`);
      }
      return tf.tidy(() =>
        bertLikeEmbed(
          prefix,
          params,
          config,
          inputIds,
          opts,
          robertaPositionIds(inputIds, config.padTokenId),
        ),
      );
    },
    block: (params, config, layer, hidden, attentionMask, opts) =>
      bertLikeLayer(prefix, params, config, layer, hidden, attentionMask, opts),
  };
}

export const roberta = robertaFamily('roberta', 'RoBERTa', 'Roberta');
export const xlmRoberta = robertaFamily('xlm-roberta', 'XLM-RoBERTa', 'XLMRoberta');
