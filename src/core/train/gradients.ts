// Gradients keyed by parameter name, and the check that tfjs can compute them at all.
import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs-core registers kernel gradients in a separate module. Bundlers (the studio, Vitest) load it
 * here on first use; Node's CommonJS build of tfjs-core cannot, so Node entry points register
 * them beforehand (src/node/gradients.ts).
 */
export async function ensureGradients(): Promise<void> {
  if (tf.getGradient('RealDiv')) return;
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  if (!tf.getGradient('RealDiv'))
    throw new Error('tfjs kernel gradients are not registered; training cannot run');
}

/**
 * tf.variableGrads keyed by the names in `params` (it keys its result by each variable's own
 * tfjs name, which need not be the Hugging Face name the rest of training uses).
 */
export function namedGradients(
  f: () => tf.Scalar,
  params: Record<string, tf.Variable>,
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const entries = Object.entries(params);
  const { value, grads } = tf.variableGrads(
    f,
    entries.map(([, variable]) => variable),
  );
  const named: Record<string, tf.Tensor> = {};
  for (const [name, variable] of entries) {
    // A parameter the loss does not reach gets a zero gradient, as torch's zero_grad leaves it.
    named[name] = grads[variable.name] ?? tf.zerosLike(variable);
  }
  return { value, grads: named };
}
