// DistilBertForSequenceClassification as an ONNX graph, built from the trained weights; also its
// frozen parts for inference engines: the whole encoder ending in the first-token features (what
// head-only training caches) and the bottom blocks ending in the hidden states (what top-k caches).
// GELU is the exact erf form (0.5·x·(1 + erf(x/√2))), as transformers' "gelu" activation; the
// conventions every family's graph shares are in encoder-graph.ts.
import type { EncoderGraph } from './encoder-graph.ts';

/** Builds the inference graph and returns the bytes of `model.onnx`. */
export function buildDistilBertOnnx(graph: EncoderGraph): Uint8Array {
  const { g, headDim, config } = graph;
  const dim = config.dim;

  // Embeddings: word + learned (or stored sinusoidal) positions, then LayerNorm.
  const words = graph.gather(
    graph.tableInitializer('embeddings.word_embeddings.weight', config.vocabSize),
    'input_ids',
    'embeddings/word_embeddings',
  );
  const positions = graph.gather(
    graph.tableInitializer('embeddings.position_embeddings.weight', config.maxPositionEmbeddings),
    graph.positions(),
    'embeddings/position_embeddings',
  );
  let hidden = graph.layerNorm(g.op('Add', [words, positions], 'embeddings/Add'), 'embeddings.LayerNorm');

  const realKeys = graph.blocks > 0 ? graph.realKeys() : '';
  for (let i = 0; i < graph.blocks; i++) {
    const p = `transformer.layer.${i}`;
    const q = graph.splitHeads(graph.linear(hidden, `${p}.attention.q_lin`, dim, dim), `${p}.attention.q`);
    const kT = graph.splitHeads(
      graph.linear(hidden, `${p}.attention.k_lin`, dim, dim),
      `${p}.attention.k`,
      true,
    );
    const v = graph.splitHeads(graph.linear(hidden, `${p}.attention.v_lin`, dim, dim), `${p}.attention.v`);
    const scores = g.op('MatMul', [q, kT], `${p}.attention/scores`); // [B, H, T, T]
    const context = graph.attend(scores, realKeys, v, 1 / Math.sqrt(headDim), `${p}.attention`);
    const attentionOut = graph.linear(context, `${p}.attention.out_lin`, dim, dim);
    const attended = graph.layerNorm(
      g.op('Add', [attentionOut, hidden], `${p}.attention/residual`),
      `${p}.sa_layer_norm`,
    );
    const expanded = graph.linear(attended, `${p}.ffn.lin1`, dim, config.hiddenDim);
    const ffnOut = graph.linear(
      graph.activation(expanded, `${p}.ffn`),
      `${p}.ffn.lin2`,
      config.hiddenDim,
      dim,
    );
    hidden = graph.layerNorm(g.op('Add', [ffnOut, attended], `${p}.ffn/residual`), `${p}.output_layer_norm`);
  }

  return graph.finish({
    hidden,
    // Classification head on the first ([CLS]) token.
    head: (first) => {
      const pooled = g.op('Relu', [graph.linear(first, 'pre_classifier', dim, dim)], 'pre_classifier/Relu');
      return graph.linear(pooled, 'classifier', dim, graph.labels.length);
    },
  });
}
