// Forward engines: what runs a padded batch through (part of) a model and hands back its output
// as host floats. Inference (`classify`) and frozen-feature preparation take an engine, so the
// forward pass can come from tfjs (the training engine, here) or from another runtime (ONNX
// Runtime for a frozen encoder) without the batching, padding and scoring around it changing.
import * as tf from '@tensorflow/tfjs-core';
import type { DistilBertConfig } from './config.ts';
import { classifierHead, encode, firstToken, type Params } from './distilbert.ts';

/** A padded batch of token ids, row-major. */
export interface EngineBatch {
  /** [batchSize, length] token ids, padded with the pad id. */
  ids: Int32Array;
  /** [batchSize, length] 1 for real tokens, 0 for padding. */
  mask: Int32Array;
  batchSize: number;
  length: number;
}

export interface ForwardEngine {
  /**
   * The batch's output, row-major float32: logits [batchSize, numLabels] for a classifier engine,
   * features [batchSize, dim] or hidden states [batchSize, length, dim] for an encoder engine.
   * Dropout is off. The caller owns the returned array.
   */
  forward(batch: EngineBatch): Promise<Float32Array>;
  /** Frees what the engine holds (sessions, buffers); the model's weights stay with their owner. */
  dispose(): void;
}

export interface TfjsModel {
  config: DistilBertConfig;
  params: Params;
}

/** Runs `compute` on the batch as int32 tensors and reads its output back. */
async function runOnDevice(
  batch: EngineBatch,
  compute: (ids: tf.Tensor2D, mask: tf.Tensor2D) => tf.Tensor,
): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const ids = tf.tensor2d(batch.ids, [batch.batchSize, batch.length], 'int32');
    const mask = tf.tensor2d(batch.mask, [batch.batchSize, batch.length], 'int32');
    return compute(ids, mask);
  });
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/** The whole sequence classifier in tfjs: logits [batchSize, numLabels]. */
export function tfjsClassifierEngine(model: TfjsModel): ForwardEngine {
  const { config, params } = model;
  return {
    forward: (batch) =>
      runOnDevice(batch, (ids, mask) => {
        const hidden = encode(params, config, ids, mask, { training: false });
        return classifierHead(params, config, firstToken(hidden), { training: false });
      }),
    dispose: () => {},
  };
}

/**
 * The encoder's embeddings and blocks [0, toLayer) in tfjs: the first token's vector
 * [batchSize, dim] (`firstTokenOnly`) or every position's [batchSize, length, dim].
 */
export function tfjsEncoderEngine(
  model: TfjsModel,
  options: { toLayer: number; firstTokenOnly: boolean },
): ForwardEngine {
  return {
    forward: (batch) => runOnDevice(batch, (ids, mask) => encoderOutput(model, ids, mask, options)),
    dispose: () => {},
  };
}

/** The frozen encoder's output for a padded batch, dropout off: [B, D] or [B, T, D]. */
export function encoderOutput(
  model: TfjsModel,
  ids: tf.Tensor2D,
  mask: tf.Tensor2D,
  options: { toLayer: number; firstTokenOnly: boolean },
): tf.Tensor {
  return tf.tidy(() => {
    const hidden = encode(model.params, model.config, ids, mask, {
      training: false,
      toLayer: options.toLayer,
    });
    return options.firstTokenOnly ? firstToken(hidden) : hidden;
  });
}
