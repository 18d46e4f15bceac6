// ModernBertForSequenceClassification as an ONNX graph, and its frozen parts, with the conventions
// of bert-onnx.ts; mirrors core/model/modernbert.ts (modeling_modernbert.py, eager attention).
//
// The rotary tables are stored, cos and sin of each position up to the model's limit for each rope
// base, as the tfjs model computes them (each frequency once: the halves of a head repeat it), and
// the graph gathers the input's positions: computing them in the graph would leave cos and sin of
// angles up to 8,192 radians to the execution provider, and WGSL bounds the error of its cos and
// sin only within [-π, π].
// Sliding-window blocks mask keys further than half the window from the query as well as padding.
// A block's bias-free Linear layers and LayerNorms are written without a bias.
import { modernBertSettings, rotaryTables } from '../../model/index.ts';
import type { EncoderGraph } from './encoder-graph.ts';
import { DataType } from './onnx-proto.ts';

/** Builds the inference graph of a ModernBERT model (config.json's model_type modernbert). */
export function buildModernBertOnnx(graph: EncoderGraph): Uint8Array {
  const { g, headDim, config } = graph;
  const settings = modernBertSettings(config);
  const { dim, hiddenDim, nHeads } = config;
  const half = headDim / 2;

  // ModernBertEmbeddings: token embeddings, LayerNorm.
  let hidden = graph.layerNorm(
    graph.gather(
      graph.tableInitializer('embeddings.tok_embeddings.weight', config.vocabSize),
      'input_ids',
      'embeddings/tok_embeddings',
    ),
    'embeddings.norm',
  );

  const blocksRun = graph.blocks > 0;
  const realKeys = blocksRun ? graph.realKeys() : ''; // [B, 1, 1, T]
  const positions = blocksRun ? graph.positions() : ''; // [T]
  const rotaryByType = new Map<string, { cos: string; sin: string }>();
  /** cos and sin of each position's angles, [T, 1, Dh], for one rope base (built once). */
  const rotary = (theta: number, kind: string) => {
    const built = rotaryByType.get(kind);
    if (built) return built;
    const limit = config.maxPositionEmbeddings;
    const tables = rotaryTables(limit, headDim, theta);
    const middle = g.int64Constant('const_middle_axis', [1]);
    const [cos, sin] = (['cos', 'sin'] as const).map((fn, i) => {
      const halves = new Float32Array(limit * half); // [P, Dh/2]: the first half of each row
      for (let p = 0; p < limit; p++)
        halves.set(tables[i]!.subarray(p * headDim, p * headDim + half), p * half);
      const table = g.floatInitializer(`rotary/${kind}/${fn}_table`, [limit, half], halves);
      const rows = graph.gather(table, positions, `rotary/${kind}/${fn}_rows`); // [T, Dh/2]
      const whole = g.op('Concat', [rows, rows], `rotary/${kind}/${fn}_halves`, {
        axis: { kind: 'int', value: -1 },
      }); // [T, Dh]
      return g.op('Unsqueeze', [whole, middle], `rotary/${kind}/${fn}`); // [T, 1, Dh], broadcast over [B, T, H, Dh]
    }) as [string, string];
    const result = { cos, sin };
    rotaryByType.set(kind, result);
    return result;
  };
  /** apply_rotary_pos_emb: x·cos + rotate_half(x)·sin, x [B, T, D] -> [B, T, H, Dh]. */
  const rotate = (x: string, table: { cos: string; sin: string }, name: string): string => {
    const perHead = g.op(
      'Reshape',
      [x, g.int64Constant('const_rows_heads_shape', [0, 0, nHeads, headDim])],
      `${name}/Reshape`,
    ); // [B, T, D] -> [B, T, H, Dh]
    const [first, second] = g.node(
      'Split',
      [perHead, g.int64Constant('const_halves', [half, half])],
      `${name}/Split`,
      { axis: { kind: 'int', value: -1 } },
      2,
    ) as [string, string]; // 2 × [B, T, H, Dh/2]
    const rotated = g.op('Concat', [g.op('Neg', [second], `${name}/Neg`), first], `${name}/rotate_half`, {
      axis: { kind: 'int', value: -1 },
    });
    return g.op(
      'Add',
      [g.op('Mul', [perHead, table.cos], `${name}/cos`), g.op('Mul', [rotated, table.sin], `${name}/sin`)],
      `${name}/rotated`,
    );
  };
  /** Keys within half the window of each query: bool [T, T]. */
  let window = '';
  if (blocksRun && settings.layerTypes.slice(0, graph.blocks).includes('sliding_attention')) {
    const distance = g.op(
      'Abs',
      [
        g.op(
          'Sub',
          [
            g.op('Unsqueeze', [positions, g.int64Constant('const_row_axis', [1])], 'window/queries'),
            g.op('Unsqueeze', [positions, g.int64Constant('const_column_axis', [0])], 'window/keys'),
          ],
          'window/distance',
        ),
      ],
      'window/Abs',
    );
    const inWindow = g.op(
      'LessOrEqual',
      [distance, g.int64Constant('const_half_window', [settings.halfWindow], true)],
      'window/in_window',
    ); // [T, T]
    window = g.op('And', [realKeys, inWindow], 'window/allowed'); // [B, 1, T, T]
  }

  for (let i = 0; i < graph.blocks; i++) {
    const at = `layers.${i}`;
    const layerType = settings.layerTypes[i]!;
    // Attention; the first block has no attn_norm.
    const attentionInput = i === 0 ? hidden : graph.layerNorm(hidden, `${at}.attn_norm`);
    const [q, k, v] = g.node(
      'Split',
      [
        graph.linear(attentionInput, `${at}.attn.Wqkv`, dim, 3 * dim),
        g.int64Constant('const_qkv', [dim, dim, dim]),
      ],
      `${at}.attn/Split`,
      { axis: { kind: 'int', value: -1 } },
      3,
    ) as [string, string, string]; // 3 × [B, T, D]
    const table = rotary(settings.ropeTheta[layerType], layerType);
    const qHeads = g.op('Transpose', [rotate(q, table, `${at}.attn.q`)], `${at}.attn.q/Transpose`, {
      perm: { kind: 'ints', value: [0, 2, 1, 3] },
    }); // [B, H, T, Dh]
    const kT = g.op('Transpose', [rotate(k, table, `${at}.attn.k`)], `${at}.attn.k/Transpose`, {
      perm: { kind: 'ints', value: [0, 2, 3, 1] },
    }); // [B, H, Dh, T]
    const scores = g.op('MatMul', [qHeads, kT], `${at}.attn/scores`); // [B, H, T, T]
    const allowed = layerType === 'full_attention' ? realKeys : window;
    const context = graph.attend(
      scores,
      allowed,
      graph.splitHeads(v, `${at}.attn.v`),
      1 / Math.sqrt(headDim),
      `${at}.attn`,
    );
    hidden = g.op('Add', [hidden, graph.linear(context, `${at}.attn.Wo`, dim, dim)], `${at}.attn/residual`);

    // GeGLU: Wi's output is the input and the gate side by side.
    const [input, gate] = g.node(
      'Split',
      [
        graph.linear(graph.layerNorm(hidden, `${at}.mlp_norm`), `${at}.mlp.Wi`, dim, 2 * hiddenDim),
        g.int64Constant('const_glu', [hiddenDim, hiddenDim]),
      ],
      `${at}.mlp/Split`,
      { axis: { kind: 'int', value: -1 } },
      2,
    ) as [string, string]; // 2 × [B, T, F]
    const gated = g.op('Mul', [graph.activation(input, `${at}.mlp`), gate], `${at}.mlp/gate`);
    hidden = g.op('Add', [hidden, graph.linear(gated, `${at}.mlp.Wo`, hiddenDim, dim)], `${at}.mlp/residual`);
    if (i === config.nLayers - 1) hidden = graph.layerNorm(hidden, 'final_norm');
  }

  /** classifier_pooling: the first token's state, or the mean over the real tokens. [B, T, D] -> [B, D]. */
  const pool = (last: string): string => {
    if (settings.pooling === 'cls') {
      return g.op('Gather', [last, g.int64Constant('const_zero', [0], true)], 'head/first_token', {
        axis: { kind: 'int', value: 1 },
      });
    }
    const mask = g.op('Cast', ['attention_mask'], 'head/mask', {
      to: { kind: 'int', value: DataType.FLOAT },
    }); // [B, T]
    const axis = g.int64Constant('const_sequence_axis', [1]);
    const summed = g.op(
      'ReduceSum',
      [
        g.op(
          'Mul',
          [last, g.op('Unsqueeze', [mask, g.int64Constant('const_last_axis', [-1])], 'head/mask/Unsqueeze')],
          'head/masked',
        ),
        axis,
      ],
      'head/sum',
      { keepdims: { kind: 'int', value: 0 } },
    ); // [B, D]
    const count = g.op('ReduceSum', [mask, axis], 'head/count', { keepdims: { kind: 'int', value: 1 } }); // [B, 1]
    return g.op('Div', [summed, count], 'head/mean');
  };

  return graph.finish({
    hidden,
    pool,
    // ModernBertPredictionHead (dense, gelu, LayerNorm), then the classifier.
    head: (pooled) => {
      const dense = graph.activation(graph.linear(pooled, 'head.dense', dim, dim), 'head', 'gelu');
      return graph.linear(graph.layerNorm(dense, 'head.norm'), 'classifier', dim, graph.labels.length);
    },
  });
}
