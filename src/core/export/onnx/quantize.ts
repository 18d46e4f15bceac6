// onnx/model_quantized.onnx: the same graph with every Linear weight stored as int8, one scale
// per output column (symmetric, zero point 0), and a DequantizeLinear in front of its MatMul.
// Activations, embeddings and layer norms stay float32, so ONNX Runtime and transformers.js
// (`dtype: 'q8'`) load it with their standard kernels, and the model it computes is exactly the
// float model with the dequantized weights: that model is what the accuracy check evaluates.
import type { NamedTensor } from '../types.ts';
import { transpose2d, type GraphBuilder, type LinearEmitter } from './encoder-graph.ts';
import { buildOnnx } from './graphs.ts';
import { DataType } from './onnx-proto.ts';

const INT8_MAX = 127;

export interface QuantizedMatrix {
  /** int8 values in the input's [rows, cols] layout. */
  values: Int8Array;
  /** One float32 scale per column. */
  scales: Float32Array;
}

/**
 * Symmetric per-column int8 quantization of a row-major [rows, cols] matrix: each column's
 * largest magnitude maps to ±127, values round half away from zero.
 */
export function quantizeColumns(data: Float32Array, rows: number, cols: number): QuantizedMatrix {
  const scales = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    let max = 0;
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(data[r * cols + c] as number));
    // An all-zero column still needs a positive scale; its values are all 0 whatever it is.
    scales[c] = max > 0 ? max / INT8_MAX : 1;
  }
  const values = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = (data[r * cols + c] as number) / (scales[c] as number);
      const q = Math.sign(x) * Math.round(Math.abs(x));
      values[r * cols + c] = Math.max(-INT8_MAX, Math.min(INT8_MAX, q));
    }
  }
  return { values, scales };
}

/** What DequantizeLinear computes: q · scale in float32 (zero point 0). */
export function dequantizeColumns(matrix: QuantizedMatrix, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = (matrix.values[r * cols + c] as number) * (matrix.scales[c] as number);
    }
  }
  return out;
}

export const int8Linear: LinearEmitter = (
  graph: GraphBuilder,
  input,
  name,
  weight,
  inFeatures,
  outFeatures,
  bias,
) => {
  const quantized = quantizeColumns(weight, inFeatures, outFeatures);
  const q = graph.initializer(
    `${name}.weight_t_quantized`,
    DataType.INT8,
    [inFeatures, outFeatures],
    new Uint8Array(quantized.values.buffer),
  );
  const scale = graph.floatInitializer(`${name}.weight_t_scale`, [outFeatures], quantized.scales);
  const zeroPoint = graph.initializer(
    `${name}.weight_t_zero_point`,
    DataType.INT8,
    [outFeatures],
    new Uint8Array(outFeatures),
  );
  const w = graph.op('DequantizeLinear', [q, scale, zeroPoint], `${name}/DequantizeLinear`, {
    axis: { kind: 'int', value: 1 },
  });
  const b = graph.floatInitializer(`${name}.bias`, [outFeatures], bias);
  const product = graph.op('MatMul', [input, w], `${name}/MatMul`);
  return graph.op('Add', [product, b], `${name}/Add`);
};

/** The bytes of `onnx/model_quantized.onnx`. */
export function buildOnnxQuantized(
  config: Record<string, unknown>,
  weights: readonly NamedTensor[],
  labels: readonly string[],
): Uint8Array {
  return buildOnnx(config, weights, labels, { linear: int8Linear });
}

/**
 * Names of the weights the quantized graph stores as int8: every Linear weight of each family's
 * graph: DistilBERT's; BERT's and RoBERTa's attention, feed-forward, pooler and heads; DeBERTa's
 * content and position projections; ModernBERT's Wqkv, Wo, Wi and head.
 */
const LINEAR_WEIGHT =
  /(^|\.)(q_lin|k_lin|v_lin|out_lin|lin1|lin2|pre_classifier|classifier|self\.query|self\.key|self\.value|self\.(pos_)?(query|key)_proj|self\.value_proj|output\.dense|intermediate\.dense|pooler\.dense|classifier\.dense|classifier\.out_proj|attn\.Wqkv|attn\.Wo|mlp\.Wi|mlp\.Wo|head\.dense)\.weight$/;

export function isQuantizedWeight(name: string): boolean {
  return LINEAR_WEIGHT.test(name);
}

/**
 * The weights as the quantized graph uses them (Linear weights through int8 and back, everything
 * else unchanged), in the [out, in] layout of the inputs: evaluating these with any float
 * implementation of the model evaluates model_quantized.onnx.
 */
export function dequantizedWeights(weights: readonly NamedTensor[]): NamedTensor[] {
  return weights.map((weight) => {
    if (!isQuantizedWeight(weight.name) || weight.shape.length !== 2) return weight;
    const [outFeatures, inFeatures] = weight.shape as [number, number];
    // The graph quantizes the transposed [in, out] matrix per output column.
    const transposed = transpose2d(weight.data, outFeatures, inFeatures);
    const restored = dequantizeColumns(
      quantizeColumns(transposed, inFeatures, outFeatures),
      inFeatures,
      outFeatures,
    );
    return { ...weight, data: transpose2d(restored, inFeatures, outFeatures) };
  });
}
