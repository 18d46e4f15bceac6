// The classification head as head-only training runs it: the math of the family's head
// (layers.ts' headForward: [dropout], dense, ReLU or tanh, dropout, out), with the one large product laid out for speed.
//
// classifierHead computes x·Wᵀ as matMul(x, W, transposeB=true), and autodiff takes the weight
// gradient as matMul(dy, x, transposeA=true). tfjs-backend-wasm sends every transposed product
// to a naive loop (about 15 ms for [16, 768]·[768, 768] against 1 ms through XNNPACK), and
// packs the right-hand operand again whenever it is a new tensor, which a weight is after every
// update. Here the [D, D] dense weight is always the left operand and no product is
// transposed: (W·xᵀ)ᵀ forward and dyᵀ·x for the gradient; only [B, D] tensors get transposed.
// The head's gradient is written out rather than taped: the features are constants of the step,
// and tfjs's tape would record (and clone the inputs of) every small op in between.
import * as tf from '@tensorflow/tfjs-core';
import {
  type ModelConfig,
  architectureOf,
  type ForwardOptions,
  headForward,
  type Params,
  param,
} from '../model/index.ts';

/**
 * Logits [B, L] of the classification head on first-token features [B, D] that do not train, as
 * one op with its gradient written out (~20 kernels forward and backward, against ~35 taped).
 */
export function headLogits(
  params: Params,
  config: ModelConfig,
  features: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor2D {
  const head = architectureOf(config).head;
  // A head with a LayerNorm or GELU (ModernBERT's) runs taped: the written-out gradient covers dense, ReLU or tanh, out.
  if (head.norm || head.activation === 'gelu') {
    return headForward(params, head, config.classifierDropout, features, opts, config.layerNormEps);
  }
  const rate = opts.training ? config.classifierDropout : 0;
  // The same masks headForward draws for this seed (its dropout sites are 'head/features' and 'head').
  const seed = (site: string) => (opts.seed === undefined ? undefined : `${opts.seed}/${site}`);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [denseWeight, denseBias, weight, bias, save] = args as [
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor2D,
      tf.Tensor1D,
      tf.GradSaveFunc,
    ];
    const input =
      head.dropoutBeforeDense && rate > 0
        ? tf.mul(features, dropoutMultiplier(features.shape, rate, seed('head/features')))
        : features;
    // dense: x·Wᵀ + b as (W·xᵀ)ᵀ + b.
    const hidden = tf.add(tf.transpose(tf.matMul(denseWeight, tf.transpose(input))), denseBias);
    const pooled = head.activation === 'relu' ? tf.relu(hidden) : tf.tanh(hidden);
    const multiplier = rate > 0 ? dropoutMultiplier(pooled.shape, rate, seed('head')) : null;
    const dropped = multiplier ? tf.mul(pooled, multiplier) : pooled;
    const logits = tf.add(tf.matMul(dropped, weight, false, true), bias);
    // ReLU's derivative needs its input, tanh's its output.
    const activationSaved = head.activation === 'relu' ? hidden : pooled;
    save(multiplier ? [activationSaved, dropped, input, multiplier] : [activationSaved, dropped, input]);
    return {
      value: logits,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedActivation, savedDropped, savedInput, savedMultiplier] = saved as [
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D?,
        ];
        const dLogits = dy as tf.Tensor2D;
        const dDropped = tf.matMul(dLogits, weight);
        const dPooled = savedMultiplier ? tf.mul(dDropped, savedMultiplier) : dDropped;
        // ReLU passes the gradient where its input was positive (tfjs's own rule: step(x));
        // tanh scales it by 1 − tanh².
        const dHidden = (
          head.activation === 'relu'
            ? tf.mul(dPooled, tf.step(savedActivation))
            : tf.mul(dPooled, tf.sub(1, tf.square(savedActivation)))
        ) as tf.Tensor2D;
        return [
          tf.matMul(tf.transpose(dHidden), savedInput),
          tf.sum(dHidden, 0),
          tf.matMul(dLogits, savedDropped, true, false),
          tf.sum(dLogits, 0),
        ];
      },
    };
  });
  return tf.tidy(
    () =>
      op(
        param(params, `${head.dense}.weight`),
        param(params, `${head.dense}.bias`),
        param(params, `${head.out}.weight`),
        param(params, `${head.out}.bias`),
      ) as tf.Tensor2D,
  );
}

/** tf.dropout's multiplier for `seed`: 1/(1 − rate) where kept, 0 where dropped. */
function dropoutMultiplier(shape: number[], rate: number, seed: string | undefined): tf.Tensor {
  const keep = 1 - rate;
  return tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep)), keep);
}
