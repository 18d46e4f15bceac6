// The pieces every encoder family's ONNX graph is built from, as core/model/layers.ts and
// encoder-ops.ts are for the tfjs models: Linear (with or without a bias) and LayerNorm over the
// trained weights, the activations, splitting and merging heads, softmax attention over filled
// scores, and the checks every writer makes of what it is asked for.
//
// Every graph: opset 17 (ONNX 1.12, IR version 8), the first opset with LayerNormalization, which
// keeps the graph small and its numerics equal to PyTorch's layer norm. Inputs `input_ids` and
// `attention_mask` are int64 [batch_size, sequence_length]; the output `logits` is float32
// [batch_size, num_labels]. Linear weights are stored transposed ([in, out]) so MatMul needs no
// runtime Transpose.
import {
  architectureFor,
  MASKED_SCORE,
  parseConfig,
  type Activation,
  type Architecture,
  type ModelConfig,
} from '../../model/index.ts';
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

function sameTensor(a: TensorProto, b: TensorProto): boolean {
  return (
    a.dataType === b.dataType &&
    a.dims.length === b.dims.length &&
    a.dims.every((d, i) => d === b.dims[i]) &&
    a.raw.length === b.raw.length &&
    a.raw.every((byte, i) => byte === b.raw[i])
  );
}

/** Collects nodes and initializers under deterministic names. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly counters = new Map<string, number>();
  private readonly byName = new Map<string, TensorProto>();

  /**
   * Declares an initializer once: a second declaration under the same name (a weight two
   * products read, as DeBERTa's shared attention keys; a constant every block uses) must hold the
   * same tensor and returns the first.
   */
  initializer(name: string, dataType: DataTypeId, dims: readonly number[], raw: Uint8Array): string {
    const declared = this.byName.get(name);
    if (declared) {
      if (!sameTensor(declared, { name, dataType, dims, raw })) {
        throw new Error(`ONNX graph: two different tensors are named "${name}"`);
      }
      return name;
    }
    const tensor = { name, dataType, dims, raw };
    this.byName.set(name, tensor);
    this.initializers.push(tensor);
    return name;
  }

  floatInitializer(name: string, dims: readonly number[], data: Float32Array): string {
    return this.initializer(name, DataType.FLOAT, dims, floatBytes(data));
  }

  /** A float32 scalar initializer, declared on first use (an unused initializer is a warning). */
  scalar(name: string, value: number): string {
    return this.floatInitializer(name, [], new Float32Array([value]));
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

  has(name: string): boolean {
    return this.byName.has(name);
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
 * `features`: the whole encoder, output `features` [batch_size, dim], the pooled last hidden state
 * the head reads (the first token's unless the family pools). `hidden`: embeddings and blocks [0, layers), output `hidden_states`
 * [batch_size, sequence_length, dim].
 */
export type OnnxOutput = { kind: 'logits' } | { kind: 'features' } | { kind: 'hidden'; layers: number };

export interface OnnxOptions {
  /** Transforms each Linear weight ([in, out], transposed) into graph nodes; the default stores it as float32. */
  linear?: LinearEmitter;
  /** Default: the classifier's logits. */
  output?: OnnxOutput;
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

/** How a graph ends: the last hidden state and, for the features and logits, the head and pooling. */
export interface EncoderGraphEnding {
  /** The last computed hidden state, [batch_size, sequence_length, dim]. */
  hidden: string;
  /** The classification head: pooled state [batch_size, dim] → logits [batch_size, num_labels]. */
  head: (pooled: string) => string;
  /** The pooled state the head and the features read: [batch_size, sequence_length, dim] → [batch_size, dim]; the first token's by default. */
  pool?: (hidden: string) => string;
}

/** The graph's output (per `graph.output`), then the model's bytes. */
function encodeEncoderGraph(graph: EncoderGraph, ending: EncoderGraphEnding): Uint8Array {
  const { g, output, blocks, labels } = graph;
  const { nLayers, dim } = graph.config;
  const { hidden } = ending;
  // Graph names start with it: `distilbert_hidden_states`, `xlm_roberta_sequence_classification`.
  const graphPrefix = graph.config.modelType.replace('-', '_');
  const encoderName = graph.architecture.displayName;
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
    doc = `${encoderName} embeddings and blocks 0..${blocks - 1} of ${nLayers}, dim ${dim}: hidden states; opset ${ONNX_OPSET}.`;
  } else {
    // [batch_size, sequence_length, dim] → [batch_size, dim]
    const first = ending.pool
      ? ending.pool(hidden)
      : g.op('Gather', [hidden, g.int64Constant('const_zero', [0], true)], 'head/first_token', {
          axis: { kind: 'int', value: 1 },
        });
    if (output.kind === 'features') {
      result = first;
      outputShape = ['batch_size', dim];
      graphName = `${graphPrefix}_pooled_features`;
      doc = `${encoderName}, ${nLayers} layers, dim ${dim}: the pooled last hidden state (the first token's unless the family pools); opset ${ONNX_OPSET}.`;
    } else {
      result = ending.head(first);
      outputShape = ['batch_size', numLabels];
      graphName = `${graphPrefix}_sequence_classification`;
      doc = `${graph.architecture.classifierClass}, ${nLayers} layers, dim ${dim}, ${numLabels} labels; opset ${ONNX_OPSET}.`;
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

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** transformers' ACT2FN of an activation: exact erf GELU, its tanh form ("gelu_new") or ReLU. */
export function activate(g: GraphBuilder, kind: Activation, x: string, prefix: string): string {
  if (kind === 'relu') return g.op('Relu', [x], `${prefix}/Relu`);
  const half = g.op('Mul', [x, g.scalar('const_half', 0.5)], `${prefix}/${kind}/half`);
  let inner: string;
  if (kind === 'gelu') {
    // 0.5 x (1 + erf(x / √2))
    inner = g.op(
      'Erf',
      [g.op('Mul', [x, g.scalar('const_inv_sqrt2', Math.SQRT1_2)], `${prefix}/gelu/Mul`)],
      `${prefix}/gelu/Erf`,
    );
  } else {
    // 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))
    const cube = g.op(
      'Mul',
      [g.op('Mul', [x, x], `${prefix}/gelu_new/square`), x],
      `${prefix}/gelu_new/cube`,
    );
    const cubic = g.op('Mul', [cube, g.scalar('const_gelu_cubic', 0.044715)], `${prefix}/gelu_new/cubic`);
    const sum = g.op('Add', [x, cubic], `${prefix}/gelu_new/Add`);
    inner = g.op(
      'Tanh',
      [g.op('Mul', [sum, g.scalar('const_gelu_scale', SQRT_2_OVER_PI)], `${prefix}/gelu_new/scale`)],
      `${prefix}/gelu_new/Tanh`,
    );
  }
  const shifted = g.op('Add', [inner, g.scalar('const_one_float', 1)], `${prefix}/${kind}/shift`);
  return g.op('Mul', [half, shifted], `${prefix}/${kind}/Mul`);
}

/** A graph under construction with the weights it reads and the model's dimensions. */
export class EncoderGraph {
  readonly g = new GraphBuilder();
  readonly table: WeightTable;
  readonly output: OnnxOutput;
  /** Blocks the graph runs: all of them unless the output is a bottom part's hidden states. */
  readonly blocks: number;
  readonly headDim: number;
  readonly labels: readonly string[];
  private readonly linearEmitter;

  readonly config: ModelConfig;
  readonly architecture: Architecture;

  /** `configJson` is config.json's; the graph's labels are `labels`, whatever it names. */
  constructor(
    configJson: Record<string, unknown>,
    weights: readonly NamedTensor[],
    labels: readonly string[],
    options: OnnxOptions,
  ) {
    const config = parseConfig({
      ...configJson,
      id2label: undefined,
      label2id: undefined,
      num_labels: undefined,
    });
    this.config = config;
    this.architecture = architectureFor(config.modelType);
    this.labels = labels;
    this.output = options.output ?? { kind: 'logits' };
    this.blocks = this.output.kind === 'hidden' ? this.output.layers : config.nLayers;
    if (!Number.isInteger(this.blocks) || this.blocks < 0 || this.blocks > config.nLayers) {
      throw new Error(
        `an encoder graph of ${this.blocks} blocks does not fit a ${config.nLayers}-layer model`,
      );
    }
    if (this.output.kind === 'logits' && labels.length === 0)
      throw new Error('a classifier graph needs at least one label');
    // Weights are read under their names inside the encoder (`bert.`, `model.`, … dropped).
    this.table = new WeightTable(weights, `${this.architecture.layerPrefix(0).split('.')[0]!}.`);
    this.linearEmitter = options.linear ?? floatLinear;
    this.headDim = config.dim / config.nHeads;
  }

  /** nn.Linear `name` (its bias read as zeros where the model has none): [..., in] -> [..., out]. */
  linear(input: string, name: string, inFeatures: number, outFeatures: number): string {
    const weight = this.table.get(`${name}.weight`, [outFeatures, inFeatures]);
    const bias = this.table.has(`${name}.bias`)
      ? this.table.get(`${name}.bias`, [outFeatures])
      : new Float32Array(outFeatures);
    return this.linearEmitter(
      this.g,
      input,
      name,
      transpose2d(weight, outFeatures, inFeatures),
      inFeatures,
      outFeatures,
      bias,
    );
  }

  /** nn.LayerNorm `name` over the model's width, with or without its bias. */
  layerNorm(input: string, name: string): string {
    const { dim, layerNormEps } = this.config;
    const gamma = this.g.floatInitializer(`${name}.weight`, [dim], this.table.get(`${name}.weight`, [dim]));
    const inputs = [input, gamma];
    if (this.table.has(`${name}.bias`)) {
      inputs.push(this.g.floatInitializer(`${name}.bias`, [dim], this.table.get(`${name}.bias`, [dim])));
    }
    return this.g.op('LayerNormalization', inputs, `${name}/LayerNormalization`, {
      axis: { kind: 'int', value: -1 },
      epsilon: { kind: 'float', value: layerNormEps },
    });
  }

  activation(x: string, prefix: string, kind: Activation = this.config.activation): string {
    return activate(this.g, kind, x, prefix);
  }

  /** A float table initializer under its Hugging Face name (encoder prefix dropped). */
  tableInitializer(name: string, rows: number): string {
    const dim = this.config.dim;
    return this.g.floatInitializer(name, [rows, dim], this.table.get(name, [rows, dim]));
  }

  /** Rows of a table: Gather(table, ids) on axis 0. */
  gather(table: string, ids: string, name: string): string {
    return this.g.op('Gather', [table, ids], name, { axis: { kind: 'int', value: 0 } });
  }

  /** [B, T, D] -> [B, H, T, Dh] (keysLast: [B, H, Dh, T], a key matrix ready for q·kᵀ). */
  splitHeads(x: string, name: string, keysLast = false): string {
    const shape = this.g.int64Constant('const_heads_shape', [0, 0, this.config.nHeads, this.headDim]);
    const reshaped = this.g.op('Reshape', [x, shape], `${name}/Reshape`); // [B, T, D] -> [B, T, H, Dh]
    return this.g.op('Transpose', [reshaped], `${name}/Transpose`, {
      perm: { kind: 'ints', value: keysLast ? [0, 2, 3, 1] : [0, 2, 1, 3] },
    });
  }

  /** [B, H, T, Dh] -> [B, T, D]. */
  mergeHeads(context: string, name: string): string {
    const transposed = this.g.op('Transpose', [context], `${name}/Transpose`, {
      perm: { kind: 'ints', value: [0, 2, 1, 3] },
    }); // [B, H, T, Dh] -> [B, T, H, Dh]
    const shape = this.g.int64Constant('const_merged_shape', [0, 0, this.config.dim]);
    return this.g.op('Reshape', [transposed, shape], `${name}/Reshape`);
  }

  /**
   * softmax(scale · scores, filled where `allowed` is false) · v: scores [B, H, T, T], allowed
   * broadcast to them, v [B, H, T, Dh] -> the merged context [B, T, D].
   */
  attend(scores: string, allowed: string, v: string, scale: number, name: string): string {
    const g = this.g;
    const scaled = g.op('Mul', [scores, g.scalar('const_attention_scale', scale)], `${name}/scale`);
    const filled = g.op(
      'Where',
      [allowed, scaled, g.scalar('const_masked_score', MASKED_SCORE)],
      `${name}/mask`,
    );
    const probabilities = g.op('Softmax', [filled], `${name}/Softmax`, { axis: { kind: 'int', value: -1 } });
    return this.mergeHeads(g.op('MatMul', [probabilities, v], `${name}/context`), `${name}/context`);
  }

  /** The model's bytes, ending as `output` asks. */
  finish(ending: EncoderGraphEnding): Uint8Array {
    return encodeEncoderGraph(this, ending);
  }

  /** The positions 0..T-1 of the input as int64 [T]. */
  positions(): string {
    const g = this.g;
    const zero = g.int64Constant('const_zero', [0], true);
    const one = g.int64Constant('const_one', [1], true);
    const idsShape = g.op('Shape', ['input_ids'], 'positions/Shape');
    const seqLength = g.op('Gather', [idsShape, one], 'positions/sequence_length', {
      axis: { kind: 'int', value: 0 },
    });
    return g.op('Range', [zero, seqLength, one], 'positions/Range');
  }

  /** True where the attention mask marks a real token: bool [B, 1, 1, T], a key mask. */
  realKeys(): string {
    const g = this.g;
    const real = g.op('Cast', ['attention_mask'], 'attention_mask/Cast', {
      to: { kind: 'int', value: DataType.BOOL },
    });
    return g.op('Unsqueeze', [real, g.int64Constant('const_key_axes', [1, 2])], 'attention_mask/keys');
  }
}

/**
 * One post-LN BertLayer around an attention that returns its output projection
 * (attention.output.dense): add & LayerNorm, intermediate dense + activation, output dense, add &
 * LayerNorm, under BERT's names. [B, T, D] -> [B, T, D].
 */
export function bertLikeBlock(
  graph: EncoderGraph,
  at: string,
  hidden: string,
  attention: (hidden: string, at: string) => string,
): string {
  const { g, config } = graph;
  const attended = graph.layerNorm(
    g.op('Add', [attention(hidden, at), hidden], `${at}.attention/residual`),
    `${at}.attention.output.LayerNorm`,
  );
  const expanded = graph.linear(attended, `${at}.intermediate.dense`, config.dim, config.hiddenDim);
  const ffnOut = graph.linear(
    graph.activation(expanded, `${at}.intermediate`),
    `${at}.output.dense`,
    config.hiddenDim,
    config.dim,
  );
  return graph.layerNorm(g.op('Add', [ffnOut, attended], `${at}.output/residual`), `${at}.output.LayerNorm`);
}
