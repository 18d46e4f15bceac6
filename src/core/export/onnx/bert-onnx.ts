// BertForSequenceClassification, RobertaForSequenceClassification and
// XLMRobertaForSequenceClassification as ONNX graphs, built from the trained weights; also their
// frozen parts (first-token features, hidden states after the bottom blocks), as distilbert-onnx.ts
// writes DistilBERT's, with its conventions: opset 17, LayerNormalization, exact erf GELU (or its
// tanh form for "gelu_new"), int64 `input_ids` and `attention_mask` [batch_size, sequence_length],
// Linear weights stored transposed. Token type ids are transformers' default (zeros): the graph
// adds the type table's first row, so transformers.js and ONNX Runtime feed the same two inputs
// to every family.
import { bertLikeBlock, type EncoderGraph } from './encoder-graph.ts';
import { DataType } from './onnx-proto.ts';

/** Builds the inference graph of a BERT-like model (config.json's model_type bert, roberta or xlm-roberta). */
export function buildBertLikeOnnx(graph: EncoderGraph): Uint8Array {
  const { g, headDim, config, architecture } = graph;
  const isRoberta = config.modelType !== 'bert';
  const dim = config.dim;

  // Embeddings: word + position + token type (row 0), then LayerNorm.
  const words = graph.gather(
    graph.tableInitializer('embeddings.word_embeddings.weight', config.vocabSize),
    'input_ids',
    'embeddings/word_embeddings',
  );
  let positionIds: string;
  if (isRoberta) {
    // create_position_ids_from_input_ids: cumsum of non-padding tokens, past the padding index.
    const one = g.int64Constant('const_one', [1], true);
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
    positionIds = graph.positions();
  }
  const positions = graph.gather(
    graph.tableInitializer('embeddings.position_embeddings.weight', config.maxPositionEmbeddings),
    positionIds,
    'embeddings/position_embeddings',
  );
  let summed = g.op('Add', [words, positions], 'embeddings/Add');
  if (config.typeVocabSize > 0) {
    const types = graph.table.get('embeddings.token_type_embeddings.weight', [config.typeVocabSize, dim]);
    const typeRow = g.floatInitializer('embeddings.token_type_embeddings.row0', [dim], types.slice(0, dim));
    summed = g.op('Add', [summed, typeRow], 'embeddings/token_type');
  }
  let hidden = graph.layerNorm(summed, 'embeddings.LayerNorm');

  const realKeys = graph.blocks > 0 ? graph.realKeys() : '';
  const selfAttention = (x: string, at: string): string => {
    const self = `${at}.attention.self`;
    const q = graph.splitHeads(graph.linear(x, `${self}.query`, dim, dim), `${at}.attention.q`);
    const kT = graph.splitHeads(graph.linear(x, `${self}.key`, dim, dim), `${at}.attention.k`, true);
    const v = graph.splitHeads(graph.linear(x, `${self}.value`, dim, dim), `${at}.attention.v`);
    const scores = g.op('MatMul', [q, kT], `${at}.attention/scores`); // [B, H, T, T]
    const context = graph.attend(scores, realKeys, v, 1 / Math.sqrt(headDim), `${at}.attention`);
    return graph.linear(context, `${at}.attention.output.dense`, dim, dim);
  };
  for (let i = 0; i < graph.blocks; i++)
    hidden = bertLikeBlock(graph, `encoder.layer.${i}`, hidden, selfAttention);

  return graph.finish({
    hidden,
    head: (first) => {
      const dense = architecture.head.dense.replace(isRoberta ? /^roberta\./ : /^bert\./, '');
      const pooled = g.op('Tanh', [graph.linear(first, dense, dim, dim)], `${dense}/Tanh`);
      return graph.linear(pooled, architecture.head.out, dim, graph.labels.length);
    },
  });
}
