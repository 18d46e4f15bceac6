// Runs the quantization check: the validation split through the float model and through the
// same model with its Linear weights taken through int8 and back, which is exactly what
// onnx/model_quantized.onnx computes (its DequantizeLinear yields these weights). With an ONNX
// Runtime, both are the exported graphs themselves: onnx/model.onnx and model_quantized.onnx.
import * as tf from '@tensorflow/tfjs-core';
import type { ForwardEngine } from './engine.ts';
import { modelGraphs } from './model-engines.ts';
import { ortEngine, type OrtRuntime } from './ort-engine.ts';
import { tfjsEngine } from './tfjs-engine.ts';
import { configToJson, classify, probabilitiesOf, type ModelConfig, type Params } from '../model/index.ts';
import { splitSize, type EncodedSplit } from '../tokenize/index.ts';
import {
  namedTensorsFromParams,
  buildOnnxQuantized,
  dequantizedWeights,
  isQuantizedWeight,
  checkQuantization,
  type QuantizationCheck,
} from '../export/index.ts';

export interface QuantizationEvalOptions {
  multiLabel: boolean;
  padTokenId: number;
  maxLength: number;
  /** Multi-label decision thresholds per label (default 0.5). */
  thresholds?: readonly number[];
  /** Runs both graphs on this ONNX Runtime (default: both models in tfjs). */
  runtime?: OrtRuntime | null;
}

/** The int8 model's check on `split`; undefined when the split is empty. */
export async function evaluateQuantization(
  model: { config: ModelConfig; params: Params },
  split: EncodedSplit,
  options: QuantizationEvalOptions,
): Promise<QuantizationCheck | undefined> {
  if (splitSize(split) === 0) return undefined;
  const output = { kind: 'logits' } as const;
  const logitsOn = async (engine: ForwardEngine): Promise<Float32Array> =>
    (
      await classify(model.config, split, {
        engine,
        padTokenId: options.padTokenId,
        maxLength: options.maxLength,
      })
    ).logits;
  const scores = (logits: Float32Array): Float32Array =>
    options.multiLabel
      ? probabilitiesOf(logits, model.config.numLabels, 'multi_label_classification')
      : logits;
  const check = (floatLogits: Float32Array, quantizedLogits: Float32Array) =>
    checkQuantization({
      numLabels: model.config.numLabels,
      multiLabel: options.multiLabel,
      truth: split.labels,
      floatScores: scores(floatLogits),
      quantizedScores: scores(quantizedLogits),
      ...(options.thresholds ? { thresholds: options.thresholds } : {}),
    });
  if (options.runtime) {
    const engines: ForwardEngine[] = [];
    try {
      const float = await ortEngine(options.runtime, await modelGraphs(model).graph(output), output);
      engines.push(float);
      const weights = await namedTensorsFromParams(model.params);
      const int8Graph = buildOnnxQuantized(configToJson(model.config), weights, model.config.id2label);
      const quantized = await ortEngine(options.runtime, int8Graph, output);
      engines.push(quantized);
      return check(await logitsOn(float), await logitsOn(quantized));
    } finally {
      for (const engine of engines) await engine.dispose();
    }
  }
  const floatLogits = await logitsOn(tfjsEngine(model.params, model.config, output));
  const quantizedParams: Params = {};
  const created: tf.Variable[] = [];
  try {
    for (const [name, param] of Object.entries(model.params)) {
      if (!isQuantizedWeight(name) || param.shape.length !== 2) {
        quantizedParams[name] = param;
        continue;
      }
      const data = (await param.data()) as Float32Array;
      const [restored] = dequantizedWeights([{ name, shape: param.shape, data }]);
      const variable = tf.variable(tf.tensor(restored!.data, param.shape, 'float32'), false);
      created.push(variable);
      quantizedParams[name] = variable;
    }
    const quantizedLogits = await logitsOn(tfjsEngine(quantizedParams, model.config, output));
    return check(floatLogits, quantizedLogits);
  } finally {
    tf.dispose(created);
  }
}
