// DistilBertForSequenceClassification as an ONNX graph, built from the trained weights; also its
// frozen parts for inference engines: the whole encoder ending in the first-token features (what
// head-only training caches) and the bottom blocks ending in the hidden states (what top-k caches).
//
// Opset 17 (ONNX 1.12, IR version 8): the first opset with LayerNormalization, which keeps the
// graph small and its numerics equal to PyTorch's layer norm. GELU is the exact erf form
// (0.5·x·(1 + erf(x/√2))), as transformers' "gelu" activation. Inputs `input_ids` and
// `attention_mask` are int64 [batch_size, sequence_length]; the output `logits` is float32
// [batch_size, num_labels]. Linear weights are stored transposed ([in, out]) so MatMul needs no
// runtime Transpose.
import type { ModelConfig } from '../../model/index.ts';
import type { NamedTensor } from '../types.ts';
import {
  DataType,
  encodeModel,
  type AttributeValue,
  type DataTypeId,
  type NodeProto,
  type TensorProto,
} from './onnx-proto.ts';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** Bumped when the graph layout changes; the ONNX producer_version, so every writer of one format agrees. */
export const EXPORT_FORMAT_VERSION = 1;

/** The dimensions the graph is built from, under the model layer's names. */
export type DistilBertShape = Pick<
  ModelConfig,
  | 'dim'
  | 'nLayers'
  | 'nHeads'
  | 'hiddenDim'
  | 'vocabSize'
  | 'maxPositionEmbeddings'
  | 'activation'
  | 'numLabels'
>;

function positiveInt(config: Record<string, unknown>, key: string): number {
  const value = config[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new Error(`config.json: "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function distilBertShape(config: Record<string, unknown>, numLabels: number): DistilBertShape {
  if (config.model_type !== undefined && config.model_type !== 'distilbert') {
    throw new Error(
      `only DistilBERT models can be exported to ONNX, this one is "${String(config.model_type)}"`,
    );
  }
  const activation = config.activation ?? 'gelu';
  if (activation !== 'gelu' && activation !== 'relu') {
    throw new Error(`config.json: activation "${String(activation)}" is not supported (gelu or relu)`);
  }
  const shape: DistilBertShape = {
    dim: positiveInt(config, 'dim'),
    nLayers: positiveInt(config, 'n_layers'),
    nHeads: positiveInt(config, 'n_heads'),
    hiddenDim: positiveInt(config, 'hidden_dim'),
    vocabSize: positiveInt(config, 'vocab_size'),
    maxPositionEmbeddings: positiveInt(config, 'max_position_embeddings'),
    activation,
    numLabels,
  };
  if (shape.dim % shape.nHeads !== 0) {
    throw new Error(`config.json: dim ${shape.dim} is not divisible by n_heads ${shape.nHeads}`);
  }
  return shape;
}

function int64Bytes(values: readonly number[]): Uint8Array {
  const array = new BigInt64Array(values.map((v) => BigInt(v)));
  return new Uint8Array(array.buffer);
}

function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** [rows, cols] row-major → [cols, rows]. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const rowOffset = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[rowOffset + c] as number;
  }
  return out;
}

/** Collects nodes and initializers under deterministic names. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly counters = new Map<string, number>();

  initializer(name: string, dataType: DataTypeId, dims: readonly number[], raw: Uint8Array): string {
    this.initializers.push({ name, dataType, dims, raw });
    return name;
  }

  floatInitializer(name: string, dims: readonly number[], data: Float32Array): string {
    return this.initializer(name, DataType.FLOAT, dims, floatBytes(data));
  }

  int64Constant(name: string, values: readonly number[], scalar = false): string {
    return this.initializer(name, DataType.INT64, scalar ? [] : [values.length], int64Bytes(values));
  }

  node(
    opType: string,
    inputs: readonly string[],
    prefix: string,
    attributes?: Record<string, AttributeValue>,
    outputCount = 1,
  ): string[] {
    const index = this.counters.get(prefix) ?? 0;
    this.counters.set(prefix, index + 1);
    const name = index === 0 ? prefix : `${prefix}_${index}`;
    const outputs = Array.from({ length: outputCount }, (_, i) =>
      outputCount === 1 ? name : `${name}:${i}`,
    );
    this.nodes.push({ opType, name, inputs, outputs, ...(attributes ? { attributes } : {}) });
    return outputs;
  }

  /** A single-output node; returns the output name. */
  op(
    opType: string,
    inputs: readonly string[],
    prefix: string,
    attributes?: Record<string, AttributeValue>,
  ): string {
    return this.node(opType, inputs, prefix, attributes)[0] as string;
  }
}

/** Looks weights up by Hugging Face name, with or without the encoder's prefix (`distilbert.`), checking shapes. */
export class WeightTable {
  private readonly byName = new Map<string, NamedTensor>();
  readonly used = new Set<string>();

  constructor(weights: readonly NamedTensor[], prefix = 'distilbert.') {
    for (const weight of weights) {
      const name = weight.name.startsWith(prefix) ? weight.name.slice(prefix.length) : weight.name;
      this.byName.set(name, weight);
    }
  }

  get(name: string, shape: readonly number[]): Float32Array {
    const weight = this.byName.get(name);
    if (!weight) throw new Error(`weights: "${name}" is missing`);
    if (weight.shape.length !== shape.length || weight.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `weights: "${name}" has shape [${weight.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (weight.data.length !== size) {
      throw new Error(`weights: "${name}" holds ${weight.data.length} values, shape says ${size}`);
    }
    this.used.add(name);
    return weight.data;
  }
}

/**
 * What a graph computes. `logits`: the classifier, output `logits` [batch_size, num_labels].
 * `features`: the whole encoder, output `features` [batch_size, dim], the first token's hidden
 * state. `hidden`: embeddings and blocks [0, layers), output `hidden_states`
 * [batch_size, sequence_length, dim].
 */
export type DistilBertOnnxOutput =
  { kind: 'logits' } | { kind: 'features' } | { kind: 'hidden'; layers: number };

export interface DistilBertOnnxOptions {
  /** Transforms each Linear weight ([in, out], transposed) into graph nodes; the default stores it as float32. */
  linear?: LinearEmitter;
  /** Default: the classifier's logits. */
  output?: DistilBertOnnxOutput;
}

/** The output name of each graph kind. */
export const ONNX_OUTPUT_NAME = { logits: 'logits', features: 'features', hidden: 'hidden_states' } as const;

/** Emits `x · W + b` for a weight in [in, out] layout; lets a quantizing writer replace the float MatMul. */
export type LinearEmitter = (
  graph: GraphBuilder,
  input: string,
  name: string,
  weightInOut: Float32Array,
  inFeatures: number,
  outFeatures: number,
  bias: Float32Array,
) => string;

export const floatLinear: LinearEmitter = (graph, input, name, weight, inFeatures, outFeatures, bias) => {
  const w = graph.floatInitializer(`${name}.weight_t`, [inFeatures, outFeatures], weight);
  const b = graph.floatInitializer(`${name}.bias`, [outFeatures], bias);
  const product = graph.op('MatMul', [input, w], `${name}/MatMul`);
  return graph.op('Add', [product, b], `${name}/Add`);
};

/**
 * The encoder alone (no head weights needed): first-token features of the last block, or the
 * hidden states after the bottom `layers` blocks.
 */
export function buildDistilBertEncoderOnnx(
  config: Record<string, unknown>,
  weights: readonly NamedTensor[],
  output: Exclude<DistilBertOnnxOutput, { kind: 'logits' }>,
): Uint8Array {
  return buildDistilBertOnnx(config, weights, [], { output });
}

/** Builds the inference graph and returns the bytes of `model.onnx`. */
export function buildDistilBertOnnx(
  config: Record<string, unknown>,
  weights: readonly NamedTensor[],
  labels: readonly string[],
  options: DistilBertOnnxOptions = {},
): Uint8Array {
  const output = options.output ?? { kind: 'logits' };
  const s = distilBertShape(config, labels.length);
  const blocks = output.kind === 'hidden' ? output.layers : s.nLayers;
  if (!Number.isInteger(blocks) || blocks < 0 || blocks > s.nLayers) {
    throw new Error(`an encoder graph of ${blocks} blocks does not fit a ${s.nLayers}-layer model`);
  }
  if (output.kind === 'logits' && labels.length === 0) {
    throw new Error('a classifier graph needs at least one label');
  }
  const table = new WeightTable(weights);
  const g = new GraphBuilder();
  const linearEmitter = options.linear ?? floatLinear;
  const headDim = s.dim / s.nHeads;

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
    const gamma = g.floatInitializer(`${name}.weight`, [s.dim], table.get(`${name}.weight`, [s.dim]));
    const beta = g.floatInitializer(`${name}.bias`, [s.dim], table.get(`${name}.bias`, [s.dim]));
    return g.op('LayerNormalization', [input, gamma, beta], `${name}/LayerNormalization`, {
      axis: { kind: 'int', value: -1 },
      epsilon: { kind: 'float', value: 1e-12 },
    });
  };

  const zero = g.int64Constant('const_zero', [0], true);
  const one = g.int64Constant('const_one', [1], true);
  // Constants of the blocks; a graph of embeddings alone has none (an unused initializer is a warning).
  const withBlocks = blocks > 0;
  const headsShape = withBlocks ? g.int64Constant('const_heads_shape', [0, 0, s.nHeads, headDim]) : '';
  const mergedShape = withBlocks ? g.int64Constant('const_merged_shape', [0, 0, s.dim]) : '';
  const maskAxes = withBlocks ? g.int64Constant('const_mask_axes', [1, 2]) : '';
  const scale = withBlocks
    ? g.floatInitializer('const_attention_scale', [], new Float32Array([1 / Math.sqrt(headDim)]))
    : '';
  // torch.finfo(float32).min, what transformers fills masked attention scores with.
  const maskedScore = withBlocks
    ? g.floatInitializer('const_masked_score', [], new Float32Array([-3.4028234663852886e38]))
    : '';
  if (withBlocks && s.activation === 'gelu') {
    g.floatInitializer('const_inv_sqrt2', [], new Float32Array([Math.SQRT1_2]));
    g.floatInitializer('const_half', [], new Float32Array([0.5]));
    g.floatInitializer('const_one_float', [], new Float32Array([1]));
  }

  // Embeddings: word + learned (or stored sinusoidal) positions, then LayerNorm.
  const wordTable = g.floatInitializer(
    'embeddings.word_embeddings.weight',
    [s.vocabSize, s.dim],
    table.get('embeddings.word_embeddings.weight', [s.vocabSize, s.dim]),
  );
  const positionTable = g.floatInitializer(
    'embeddings.position_embeddings.weight',
    [s.maxPositionEmbeddings, s.dim],
    table.get('embeddings.position_embeddings.weight', [s.maxPositionEmbeddings, s.dim]),
  );
  const words = g.op('Gather', [wordTable, 'input_ids'], 'embeddings/word_embeddings', {
    axis: { kind: 'int', value: 0 },
  });
  const idsShape = g.op('Shape', ['input_ids'], 'embeddings/Shape');
  const seqLength = g.op('Gather', [idsShape, one], 'embeddings/sequence_length', {
    axis: { kind: 'int', value: 0 },
  });
  const positionIds = g.op('Range', [zero, seqLength, one], 'embeddings/position_ids');
  const positions = g.op('Gather', [positionTable, positionIds], 'embeddings/position_embeddings', {
    axis: { kind: 'int', value: 0 },
  });
  const summed = g.op('Add', [words, positions], 'embeddings/Add');
  let hidden = layerNorm(summed, 'embeddings.LayerNorm');

  // Padding mask, true where a key position must be ignored: [batch, 1, 1, seq].
  const keyMask = withBlocks
    ? g.op(
        'Unsqueeze',
        [g.op('Equal', ['attention_mask', zero], 'attention_mask/Equal'), maskAxes],
        'attention_mask/Unsqueeze',
      )
    : '';

  for (let i = 0; i < blocks; i++) {
    const p = `transformer.layer.${i}`;
    const heads = (x: string, name: string): string => {
      const reshaped = g.op('Reshape', [x, headsShape], `${name}/Reshape`);
      return g.op('Transpose', [reshaped], `${name}/Transpose`, {
        perm: { kind: 'ints', value: [0, 2, 1, 3] },
      });
    };
    const q = heads(linear(hidden, `${p}.attention.q_lin`, s.dim, s.dim), `${p}.attention.q`);
    const kLinear = linear(hidden, `${p}.attention.k_lin`, s.dim, s.dim);
    const kReshaped = g.op('Reshape', [kLinear, headsShape], `${p}.attention.k/Reshape`);
    const kT = g.op('Transpose', [kReshaped], `${p}.attention.k/Transpose`, {
      perm: { kind: 'ints', value: [0, 2, 3, 1] },
    });
    const v = heads(linear(hidden, `${p}.attention.v_lin`, s.dim, s.dim), `${p}.attention.v`);
    const rawScores = g.op('MatMul', [q, kT], `${p}.attention/scores`);
    const scaled = g.op('Mul', [rawScores, scale], `${p}.attention/scale`);
    const masked = g.op('Where', [keyMask, maskedScore, scaled], `${p}.attention/mask`);
    const probabilities = g.op('Softmax', [masked], `${p}.attention/Softmax`, {
      axis: { kind: 'int', value: -1 },
    });
    const context = g.op('MatMul', [probabilities, v], `${p}.attention/context`);
    const contextT = g.op('Transpose', [context], `${p}.attention/context/Transpose`, {
      perm: { kind: 'ints', value: [0, 2, 1, 3] },
    });
    const merged = g.op('Reshape', [contextT, mergedShape], `${p}.attention/context/Reshape`);
    const attentionOut = linear(merged, `${p}.attention.out_lin`, s.dim, s.dim);
    const attentionResidual = g.op('Add', [attentionOut, hidden], `${p}.attention/residual`);
    const attended = layerNorm(attentionResidual, `${p}.sa_layer_norm`);

    const expanded = linear(attended, `${p}.ffn.lin1`, s.dim, s.hiddenDim);
    const activated =
      s.activation === 'gelu' ? gelu(g, expanded, `${p}.ffn`) : g.op('Relu', [expanded], `${p}.ffn/Relu`);
    const ffnOut = linear(activated, `${p}.ffn.lin2`, s.hiddenDim, s.dim);
    const ffnResidual = g.op('Add', [ffnOut, attended], `${p}.ffn/residual`);
    hidden = layerNorm(ffnResidual, `${p}.output_layer_norm`);
  }

  return encodeEncoderGraph(g, {
    hidden,
    zero,
    output,
    graphPrefix: 'distilbert',
    encoderName: 'DistilBertModel',
    classifierClass: 'DistilBertForSequenceClassification',
    nLayers: s.nLayers,
    blocks,
    dim: s.dim,
    labels,
    // Classification head on the first ([CLS]) token.
    head: (first) => {
      const pooled = linear(first, 'pre_classifier', s.dim, s.dim);
      const pooledRelu = g.op('Relu', [pooled], 'pre_classifier/Relu');
      return linear(pooledRelu, 'classifier', s.dim, s.numLabels);
    },
  });
}

/** The end every encoder graph shares: its output (per `ending.output`), then the model's bytes. */
export interface EncoderGraphEnding {
  /** The last computed hidden state, [batch_size, sequence_length, dim]. */
  hidden: string;
  /** The int64 scalar constant 0. */
  zero: string;
  output: DistilBertOnnxOutput;
  /** Graph names start with it: `distilbert_hidden_states`, `bert_sequence_classification`. */
  graphPrefix: string;
  /** Names the encoder in the model's doc string. */
  encoderName: string;
  classifierClass: string;
  nLayers: number;
  /** Blocks the graph runs (all of them unless the output is a bottom part's hidden states). */
  blocks: number;
  dim: number;
  labels: readonly string[];
  /** The classification head: first-token state [batch_size, dim] → logits [batch_size, num_labels]. */
  head: (firstToken: string) => string;
}

export function encodeEncoderGraph(g: GraphBuilder, ending: EncoderGraphEnding): Uint8Array {
  const { hidden, zero, output, graphPrefix, nLayers, blocks, dim, labels } = ending;
  const numLabels = labels.length;
  const outputName = ONNX_OUTPUT_NAME[output.kind];
  let result: string;
  let outputShape: (string | number)[];
  let graphName: string;
  let doc: string;
  if (output.kind === 'hidden') {
    result = hidden;
    outputShape = ['batch_size', 'sequence_length', dim];
    graphName = `${graphPrefix}_hidden_states`;
    doc = `${ending.encoderName} embeddings and blocks 0..${blocks - 1} of ${nLayers}, dim ${dim}: hidden states; opset ${ONNX_OPSET}.`;
  } else {
    // [batch_size, sequence_length, dim] → [batch_size, dim]
    const first = g.op('Gather', [hidden, zero], 'head/first_token', { axis: { kind: 'int', value: 1 } });
    if (output.kind === 'features') {
      result = first;
      outputShape = ['batch_size', dim];
      graphName = `${graphPrefix}_first_token_features`;
      doc = `${ending.encoderName}, ${nLayers} layers, dim ${dim}: the first token's last hidden state; opset ${ONNX_OPSET}.`;
    } else {
      result = ending.head(first);
      outputShape = ['batch_size', numLabels];
      graphName = `${graphPrefix}_sequence_classification`;
      doc = `${ending.classifierClass}, ${nLayers} layers, dim ${dim}, ${numLabels} labels; opset ${ONNX_OPSET}.`;
    }
  }
  g.nodes.push({
    opType: 'Identity',
    name: `${outputName}/Identity`,
    inputs: [result],
    outputs: [outputName],
  });

  return encodeModel({
    irVersion: ONNX_IR_VERSION,
    opsetImports: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'finetune-studio',
    producerVersion: String(EXPORT_FORMAT_VERSION),
    doc,
    graph: {
      name: graphName,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [
        { name: 'input_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
        { name: 'attention_mask', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
      ],
      outputs: [{ name: outputName, elemType: DataType.FLOAT, shape: outputShape }],
    },
    metadata:
      output.kind === 'logits'
        ? [
            {
              key: 'id2label',
              value: JSON.stringify(Object.fromEntries(labels.map((l, i) => [String(i), l]))),
            },
          ]
        : [],
  });
}

export function gelu(g: GraphBuilder, x: string, prefix: string): string {
  const invSqrt2 = 'const_inv_sqrt2';
  const half = 'const_half';
  const oneF = 'const_one_float';
  const scaled = g.op('Mul', [x, invSqrt2], `${prefix}/gelu/Mul`);
  const erf = g.op('Erf', [scaled], `${prefix}/gelu/Erf`);
  const shifted = g.op('Add', [erf, oneF], `${prefix}/gelu/Add`);
  const halfX = g.op('Mul', [x, half], `${prefix}/gelu/half`);
  return g.op('Mul', [halfX, shifted], `${prefix}/gelu/Mul_1`);
}
