// ForwardEngine over the training engine's own forward pass (tfjs, dropout off): the reference
// the ONNX Runtime engines are tested against, and the engine where no ONNX Runtime loads.
import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, encode, forward, pooledState, type Params } from '../model/index.ts';
import type { ForwardEngine, ForwardOutput, TokenBatch } from './engine.ts';

export function tfjsEngine(params: Params, config: ModelConfig, output: ForwardOutput): ForwardEngine {
  return {
    description: `tfjs (${tf.getBackend()})`,
    output,
    async run(batch: TokenBatch): Promise<Float32Array> {
      const result = tf.tidy(() => {
        const ids = tf.tensor2d(batch.ids, [batch.batchSize, batch.seqLength], 'int32');
        const mask = tf.tensor2d(batch.mask, [batch.batchSize, batch.seqLength], 'int32');
        if (output.kind === 'logits') return forward(params, config, ids, mask, { training: false }).logits;
        const toLayer = output.kind === 'hidden' ? output.layers : config.nLayers;
        const hidden = encode(params, config, ids, mask, { training: false, toLayer });
        return output.kind === 'features' ? pooledState(config, hidden, mask) : hidden;
      });
      try {
        return (await result.data()) as Float32Array;
      } finally {
        result.dispose();
      }
    },
    async dispose(): Promise<void> {},
  };
}
