// BertForSequenceClassification, RobertaForSequenceClassification and
// XLMRobertaForSequenceClassification as ONNX graphs, built from the trained weights; also their
// frozen parts (first-token features, hidden states after the bottom blocks), as distilbert-onnx.ts
// writes DistilBERT's, with its conventions: opset 17, LayerNormalization, exact erf GELU (or its
// tanh form for "gelu_new"), int64 `input_ids` and `attention_mask` [batch_size, sequence_length],
// Linear weights stored transposed. Token type ids are transformers' default (zeros): the graph
// adds the type table's first row, so transformers.js and ONNX Runtime feed the same two inputs
// to every family.
import { architectureFor, parseConfig } from '../../model/index.ts';
import type { NamedTensor } from '../types.ts';
import {
  GraphBuilder,
  encodeEncoderGraph,
  WeightTable,
  floatLinear,
  gelu,
  transpose2d,
  type DistilBertOnnxOptions,
} from './distilbert-onnx.ts';
import { DataType } from './onnx-proto.ts';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Builds the inference graph of a BERT-like model (config.json's model_type bert, roberta or xlm-roberta). */
export function buildBertLikeOnnx(
  configJson: Record<string, unknown>,
  weights: readonly NamedTensor[],
  labels: readonly string[],
  options: DistilBertOnnxOptions = {},
): Uint8Array {
  const output = options.output ?? { kind: 'logits' };
  const config = parseConfig({
    ...configJson,
    id2label: undefined,
    label2id: undefined,
    num_labels: undefined,
  });
  const architecture = architectureFor(config.modelType);
  const isRoberta = config.modelType !== 'bert';
  const numLabels = labels.length;
  const dim = config.dim;
  const blocks = output.kind === 'hidden' ? output.layers : config.nLayers;
  if (!Number.isInteger(blocks) || blocks < 0 || blocks > config.nLayers) {
    throw new Error(`an encoder graph of ${blocks} blocks does not fit a ${config.nLayers}-layer model`);
  }
  if (output.kind === 'logits' && numLabels === 0)
    throw new Error('a classifier graph needs at least one label');
  const table = new WeightTable(weights, isRoberta ? 'roberta.' : 'bert.');
  const g = new GraphBuilder();
  const linearEmitter = options.linear ?? floatLinear;
  const headDim = dim / config.nHeads;

  const linear = (input: string, name: string, inFeatures: number, outFeatures: number): string => {
    const weight = table.get(`${name}.weight`, [outFeatures, inFeatures]);
    const bias = table.get(`${name}.bias`, [outFeatures]);
    return linearEmitter(
      g,
      input,
      name,
      transpose2d(weight, outFeatures, inFeatures),
      inFeatures,
      outFeatures,
      bias,
    );
  };
  const layerNorm = (input: string, name: string): string => {
    const gamma = g.floatInitializer(`${name}.weight`, [dim], table.get(`${name}.weight`, [dim]));
    const beta = g.floatInitializer(`${name}.bias`, [dim], table.get(`${name}.bias`, [dim]));
    return g.op('LayerNormalization', [input, gamma, beta], `${name}/LayerNormalization`, {
      axis: { kind: 'int', value: -1 },
      epsilon: { kind: 'float', value: config.layerNormEps },
    });
  };
  const activation = (x: string, prefix: string): string => {
    if (config.activation === 'gelu') return gelu(g, x, prefix);
    if (config.activation === 'relu') return g.op('Relu', [x], `${prefix}/Relu`);
    // 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))
    const cube = g.op(
      'Mul',
      [g.op('Mul', [x, x], `${prefix}/gelu_new/square`), x],
      `${prefix}/gelu_new/cube`,
    );
    const inner = g.op(
      'Add',
      [x, g.op('Mul', [cube, 'const_gelu_cubic'], `${prefix}/gelu_new/cubic`)],
      `${prefix}/gelu_new/Add`,
    );
    const t = g.op(
      'Tanh',
      [g.op('Mul', [inner, 'const_gelu_scale'], `${prefix}/gelu_new/scale`)],
      `${prefix}/gelu_new/Tanh`,
    );
    const shifted = g.op('Add', [t, 'const_one_float'], `${prefix}/gelu_new/shift`);
    return g.op(
      'Mul',
      [g.op('Mul', [x, 'const_half'], `${prefix}/gelu_new/half`), shifted],
      `${prefix}/gelu_new/Mul`,
    );
  };

  const zero = g.int64Constant('const_zero', [0], true);
  const one = g.int64Constant('const_one', [1], true);
  const withBlocks = blocks > 0;
  const headsShape = withBlocks ? g.int64Constant('const_heads_shape', [0, 0, config.nHeads, headDim]) : '';
  const mergedShape = withBlocks ? g.int64Constant('const_merged_shape', [0, 0, dim]) : '';
  const maskAxes = withBlocks ? g.int64Constant('const_mask_axes', [1, 2]) : '';
  const scale = withBlocks
    ? g.floatInitializer('const_attention_scale', [], new Float32Array([1 / Math.sqrt(headDim)]))
    : '';
  const maskedScore = withBlocks
    ? g.floatInitializer('const_masked_score', [], new Float32Array([-3.4028234663852886e38]))
    : '';
  if (withBlocks && config.activation !== 'relu') {
    g.floatInitializer('const_half', [], new Float32Array([0.5]));
    g.floatInitializer('const_one_float', [], new Float32Array([1]));
    if (config.activation === 'gelu')
      g.floatInitializer('const_inv_sqrt2', [], new Float32Array([Math.SQRT1_2]));
    else {
      g.floatInitializer('const_gelu_cubic', [], new Float32Array([0.044715]));
      g.floatInitializer('const_gelu_scale', [], new Float32Array([SQRT_2_OVER_PI]));
    }
  }

  // Embeddings: word + position + token type (row 0), then LayerNorm.
  const wordTable = g.floatInitializer(
    'embeddings.word_embeddings.weight',
    [config.vocabSize, dim],
    table.get('embeddings.word_embeddings.weight', [config.vocabSize, dim]),
  );
  const positionTable = g.floatInitializer(
    'embeddings.position_embeddings.weight',
    [config.maxPositionEmbeddings, dim],
    table.get('embeddings.position_embeddings.weight', [config.maxPositionEmbeddings, dim]),
  );
  const words = g.op('Gather', [wordTable, 'input_ids'], 'embeddings/word_embeddings', {
    axis: { kind: 'int', value: 0 },
  });
  let positionIds: string;
  if (isRoberta) {
    // create_position_ids_from_input_ids: cumsum of non-padding tokens, past the padding index.
    const pad = g.int64Constant('const_pad_token_id', [config.padTokenId], true);
    const notPadding = g.op(
      'Cast',
      [g.op('Not', [g.op('Equal', ['input_ids', pad], 'embeddings/is_padding')], 'embeddings/Not')],
      'embeddings/not_padding',
      { to: { kind: 'int', value: DataType.INT64 } },
    );
    const counted = g.op(
      'Mul',
      [g.op('CumSum', [notPadding, one], 'embeddings/CumSum'), notPadding],
      'embeddings/counted',
    );
    positionIds = g.op('Add', [counted, pad], 'embeddings/position_ids');
  } else {
    const idsShape = g.op('Shape', ['input_ids'], 'embeddings/Shape');
    const seqLength = g.op('Gather', [idsShape, one], 'embeddings/sequence_length', {
      axis: { kind: 'int', value: 0 },
    });
    positionIds = g.op('Range', [zero, seqLength, one], 'embeddings/position_ids');
  }
  const positions = g.op('Gather', [positionTable, positionIds], 'embeddings/position_embeddings', {
    axis: { kind: 'int', value: 0 },
  });
  let summed = g.op('Add', [words, positions], 'embeddings/Add');
  if (config.typeVocabSize > 0) {
    const types = table.get('embeddings.token_type_embeddings.weight', [config.typeVocabSize, dim]);
    const typeRow = g.floatInitializer('embeddings.token_type_embeddings.row0', [dim], types.slice(0, dim));
    summed = g.op('Add', [summed, typeRow], 'embeddings/token_type');
  }
  let hidden = layerNorm(summed, 'embeddings.LayerNorm');

  const keyMask = withBlocks
    ? g.op(
        'Unsqueeze',
        [g.op('Equal', ['attention_mask', zero], 'attention_mask/Equal'), maskAxes],
        'attention_mask/Unsqueeze',
      )
    : '';

  for (let i = 0; i < blocks; i++) {
    const p = `encoder.layer.${i}`;
    const heads = (x: string, name: string): string => {
      const reshaped = g.op('Reshape', [x, headsShape], `${name}/Reshape`);
      return g.op('Transpose', [reshaped], `${name}/Transpose`, {
        perm: { kind: 'ints', value: [0, 2, 1, 3] },
      });
    };
    const q = heads(linear(hidden, `${p}.attention.self.query`, dim, dim), `${p}.attention.q`);
    const kReshaped = g.op(
      'Reshape',
      [linear(hidden, `${p}.attention.self.key`, dim, dim), headsShape],
      `${p}.attention.k/Reshape`,
    );
    const kT = g.op('Transpose', [kReshaped], `${p}.attention.k/Transpose`, {
      perm: { kind: 'ints', value: [0, 2, 3, 1] },
    });
    const v = heads(linear(hidden, `${p}.attention.self.value`, dim, dim), `${p}.attention.v`);
    const scaled = g.op(
      'Mul',
      [g.op('MatMul', [q, kT], `${p}.attention/scores`), scale],
      `${p}.attention/scale`,
    );
    const masked = g.op('Where', [keyMask, maskedScore, scaled], `${p}.attention/mask`);
    const probabilities = g.op('Softmax', [masked], `${p}.attention/Softmax`, {
      axis: { kind: 'int', value: -1 },
    });
    const context = g.op('MatMul', [probabilities, v], `${p}.attention/context`);
    const contextT = g.op('Transpose', [context], `${p}.attention/context/Transpose`, {
      perm: { kind: 'ints', value: [0, 2, 1, 3] },
    });
    const merged = g.op('Reshape', [contextT, mergedShape], `${p}.attention/context/Reshape`);
    const attentionOut = linear(merged, `${p}.attention.output.dense`, dim, dim);
    const attended = layerNorm(
      g.op('Add', [attentionOut, hidden], `${p}.attention/residual`),
      `${p}.attention.output.LayerNorm`,
    );
    const expanded = linear(attended, `${p}.intermediate.dense`, dim, config.hiddenDim);
    const ffnOut = linear(
      activation(expanded, `${p}.intermediate`),
      `${p}.output.dense`,
      config.hiddenDim,
      dim,
    );
    hidden = layerNorm(g.op('Add', [ffnOut, attended], `${p}.output/residual`), `${p}.output.LayerNorm`);
  }

  return encodeEncoderGraph(g, {
    hidden,
    zero,
    output,
    graphPrefix: config.modelType.replace('-', '_'),
    encoderName: architecture.displayName,
    classifierClass: architecture.classifierClass,
    nLayers: config.nLayers,
    blocks,
    dim,
    labels,
    head: (first) => {
      const head = architecture.head;
      const dense = head.dense.replace(isRoberta ? /^roberta\./ : /^bert\./, '');
      const pooled = g.op('Tanh', [linear(first, dense, dim, dim)], `${dense}/Tanh`);
      return linear(pooled, head.out, dim, numLabels);
    },
  });
}
