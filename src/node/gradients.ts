// tfjs-core's Node build (CommonJS) does not register kernel gradients, and its ES-module
// register_all_gradients cannot load under Node's resolver. The @tensorflow/tfjs package's Node
// build registers all of them into the same global registry, so training in Node loads it once.
import * as tf from '@tensorflow/tfjs-core';

export async function registerNodeGradients(): Promise<void> {
  if (tf.getGradient('RealDiv')) return;
  await import('@tensorflow/tfjs');
  if (!tf.getGradient('RealDiv')) throw new Error('tfjs kernel gradients could not be registered');
}
