// DebertaV2ForSequenceClassification as an ONNX graph, and its frozen parts, with the conventions
// of bert-onnx.ts; mirrors core/model/deberta.ts (modeling_deberta_v2.py).
//
// The relative positions are looked up, not computed: the row of the relative embeddings that
// query i reads for key j depends on i − j only, so two int64 tables over every distance the
// position limit allows (c2p's and p2c's rows, log-bucketed in float32 as torch buckets them)
// give the [T, T] index of any length by one Gather, and torch.gather becomes GatherElements.
import { debertaSettings, relativeRowsByDistance } from '../../model/index.ts';
import { bertLikeBlock, type EncoderGraph } from './encoder-graph.ts';
import { DataType } from './onnx-proto.ts';

/** Builds the inference graph of a DeBERTa-v2 / v3 model (config.json's model_type deberta-v2). */
export function buildDebertaOnnx(graph: EncoderGraph): Uint8Array {
  const { g, headDim, config } = graph;
  const settings = debertaSettings(config);
  const dim = config.dim;

  // DebertaV2Embeddings: words (+ positions, + type row 0), LayerNorm, padded tokens zeroed.
  let summed = graph.gather(
    graph.tableInitializer('embeddings.word_embeddings.weight', config.vocabSize),
    'input_ids',
    'embeddings/word_embeddings',
  );
  if (settings.positionBiasedInput) {
    const positions = graph.gather(
      graph.tableInitializer('embeddings.position_embeddings.weight', config.maxPositionEmbeddings),
      graph.positions(),
      'embeddings/position_embeddings',
    );
    summed = g.op('Add', [summed, positions], 'embeddings/Add');
  }
  if (config.typeVocabSize > 0) {
    const types = graph.table.get('embeddings.token_type_embeddings.weight', [config.typeVocabSize, dim]);
    const typeRow = g.floatInitializer('embeddings.token_type_embeddings.row0', [dim], types.slice(0, dim));
    summed = g.op('Add', [summed, typeRow], 'embeddings/token_type');
  }
  const realTokens = g.op(
    'Unsqueeze',
    [
      g.op('Cast', ['attention_mask'], 'embeddings/mask/Cast', {
        to: { kind: 'int', value: DataType.FLOAT },
      }),
      g.int64Constant('const_last_axis', [-1]),
    ],
    'embeddings/mask/Unsqueeze',
  ); // [B, T] -> [B, T, 1]
  let hidden = g.op('Mul', [graph.layerNorm(summed, 'embeddings.LayerNorm'), realTokens], 'embeddings/mask');

  const blocksRun = graph.blocks > 0;
  const relativeTerms = settings.contentToPosition || settings.positionToContent;
  // get_attention_mask's pairwise mask: query i and key j both real. [B, 1, T, T]
  let pairs = '';
  if (blocksRun) {
    const keys = graph.realKeys(); // [B, 1, 1, T]
    const queries = g.op('Transpose', [keys], 'attention_mask/queries', {
      perm: { kind: 'ints', value: [0, 1, 3, 2] },
    }); // [B, 1, T, 1]
    pairs = g.op('And', [queries, keys], 'attention_mask/pairs');
  }

  // The relative embeddings every block reads ([2S, D], normalised when configured) and the [T, T]
  // row index of each position term.
  let relative = '';
  const rowIndex: { c2p?: string; p2c?: string } = {};
  if (blocksRun && relativeTerms) {
    const span2 = 2 * settings.span;
    relative = graph.tableInitializer('encoder.rel_embeddings.weight', span2);
    if (settings.normRelativeEmbeddings) relative = graph.layerNorm(relative, 'encoder.LayerNorm');
    const limit = config.maxPositionEmbeddings;
    const positions = graph.positions();
    const distance = g.op(
      'Sub',
      [
        g.op('Unsqueeze', [positions, g.int64Constant('const_row_axis', [1])], 'relative/queries'),
        g.op('Unsqueeze', [positions, g.int64Constant('const_column_axis', [0])], 'relative/keys'),
      ],
      'relative/distance',
    ); // [T, T]: i − j
    const offset = g.op(
      'Add',
      [distance, g.int64Constant('const_distance_offset', [limit - 1], true)],
      'relative/offset',
    );
    for (const [term, sign] of [
      ['c2p', 1],
      ['p2c', -1],
    ] as const) {
      if (term === 'c2p' ? !settings.contentToPosition : !settings.positionToContent) continue;
      const rows = relativeRowsByDistance(limit, settings, sign);
      const table = g.initializer(
        `relative/${term}_rows`,
        DataType.INT64,
        [rows.length],
        new Uint8Array(BigInt64Array.from(rows, (r) => BigInt(r)).buffer),
      );
      rowIndex[term] = graph.gather(table, offset, `relative/${term}_index`); // [T, T]
    }
  }
  const scaleFactor = 1 + (settings.contentToPosition ? 1 : 0) + (settings.positionToContent ? 1 : 0);
  const relativeHeads = (projection: string, at: string, name: string): string => {
    const shape = g.int64Constant('const_relative_heads_shape', [1, -1, config.nHeads, headDim]);
    const projected = graph.linear(relative, projection, dim, dim); // [2S, D]
    return g.op(
      'Transpose',
      [g.op('Reshape', [projected, shape], `${at}.${name}/Reshape`)],
      `${at}.${name}/Transpose`,
      {
        perm: { kind: 'ints', value: [0, 2, 3, 1] },
      },
    ); // [2S, D] -> [1, 2S, H, Dh] -> [1, H, Dh, 2S]
  };
  /** torch.gather(scores [B, H, T, 2S], -1, index [T, T] expanded) -> [B, H, T, T]. */
  const gatherByDistance = (scores: string, index: string, like: string, name: string): string => {
    const expanded = g.op('Expand', [index, g.op('Shape', [like], `${name}/Shape`)], `${name}/Expand`);
    return g.op('GatherElements', [scores, expanded], `${name}/GatherElements`, {
      axis: { kind: 'int', value: -1 },
    });
  };

  const disentangledAttention = (x: string, at: string): string => {
    const self = `${at}.attention.self`;
    const q = graph.splitHeads(graph.linear(x, `${self}.query_proj`, dim, dim), `${at}.attention.q`);
    const kLinear = graph.linear(x, `${self}.key_proj`, dim, dim);
    const kT = graph.splitHeads(kLinear, `${at}.attention.k`, true); // [B, H, Dh, T]
    const v = graph.splitHeads(graph.linear(x, `${self}.value_proj`, dim, dim), `${at}.attention.v`);
    let scores = g.op('MatMul', [q, kT], `${at}.attention/scores`); // [B, H, T, T]
    const contentScores = scores;
    if (rowIndex.c2p) {
      const projection = settings.shareAttentionKey ? `${self}.key_proj` : `${self}.pos_key_proj`;
      const raw = g.op(
        'MatMul',
        [q, relativeHeads(projection, at, 'attention.pos_key')],
        `${at}.attention/c2p`,
      ); // [B, H, T, 2S]
      const c2p = gatherByDistance(raw, rowIndex.c2p, contentScores, `${at}.attention/c2p`);
      scores = g.op('Add', [scores, c2p], `${at}.attention/add_c2p`);
    }
    if (rowIndex.p2c) {
      const projection = settings.shareAttentionKey ? `${self}.query_proj` : `${self}.pos_query_proj`;
      const k = graph.splitHeads(kLinear, `${at}.attention.k_rows`); // [B, H, T, Dh]
      const raw = g.op(
        'MatMul',
        [k, relativeHeads(projection, at, 'attention.pos_query')],
        `${at}.attention/p2c`,
      ); // [B, H, T(keys), 2S]
      const byKey = gatherByDistance(raw, rowIndex.p2c, contentScores, `${at}.attention/p2c`); // [B, H, T(keys), T(queries)]
      const p2c = g.op('Transpose', [byKey], `${at}.attention/p2c/Transpose`, {
        perm: { kind: 'ints', value: [0, 1, 3, 2] },
      });
      scores = g.op('Add', [scores, p2c], `${at}.attention/add_p2c`);
    }
    const context = graph.attend(scores, pairs, v, 1 / Math.sqrt(headDim * scaleFactor), `${at}.attention`);
    return graph.linear(context, `${at}.attention.output.dense`, dim, dim);
  };
  for (let i = 0; i < graph.blocks; i++) {
    hidden = bertLikeBlock(graph, `encoder.layer.${i}`, hidden, disentangledAttention);
  }

  return graph.finish({
    hidden,
    // ContextPooler (dense, gelu on the first token), then the classifier.
    head: (first) => {
      const pooled = graph.activation(graph.linear(first, 'pooler.dense', dim, dim), 'pooler', 'gelu');
      return graph.linear(pooled, 'classifier', dim, graph.labels.length);
    },
  });
}
