// The classification head as head-only training runs it: the math of the model's classifierHead
// (pre_classifier, ReLU, dropout, classifier), with the one large product laid out for speed.
//
// classifierHead computes x·Wᵀ as matMul(x, W, transposeB=true), and autodiff takes the weight
// gradient as matMul(dy, x, transposeA=true). tfjs-backend-wasm sends every transposed product
// to a naive loop (about 15 ms for [16, 768]·[768, 768] against 1 ms through XNNPACK), and
// packs the right-hand operand again whenever it is a new tensor, which a weight is after every
// update. Here the [D, D] pre_classifier weight is always the left operand and no product is
// transposed: (W·xᵀ)ᵀ forward and dyᵀ·x for the gradient; only [B, D] tensors get transposed.
// The head's gradient is written out rather than taped: the features are constants of the step,
// and tfjs's tape would record (and clone the inputs of) every small op in between.
import * as tf from '@tensorflow/tfjs-core';
import type { DistilBertConfig } from '../model/config.ts';
import type { ForwardOptions, Params } from '../model/distilbert.ts';

function param(params: Params, name: string): tf.Variable {
  const value = params[name];
  if (!value) throw new Error(`model parameter "${name}" is missing`);
  return value;
}

/**
 * Logits [B, L] of the classification head on first-token features [B, D] that do not train, as
 * one op with its gradient written out (~20 kernels forward and backward, against ~35 taped).
 */
export function headLogits(
  params: Params,
  config: DistilBertConfig,
  features: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor2D {
  const rate = opts.training ? config.seqClassifDropout : 0;
  // The same mask classifierHead draws for this seed (its dropout site is named 'head').
  const seed = opts.seed === undefined ? undefined : `${opts.seed}/head`;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [preWeight, preBias, weight, bias, save] = args as [
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor2D,
      tf.Tensor1D,
      tf.GradSaveFunc,
    ];
    // pre_classifier: x·Wᵀ + b as (W·xᵀ)ᵀ + b.
    const hidden = tf.add(tf.transpose(tf.matMul(preWeight, tf.transpose(features))), preBias);
    const pooled = tf.relu(hidden);
    const multiplier = rate > 0 ? dropoutMultiplier(pooled.shape, rate, seed) : null;
    const dropped = multiplier ? tf.mul(pooled, multiplier) : pooled;
    const logits = tf.add(tf.matMul(dropped, weight, false, true), bias);
    save(multiplier ? [hidden, dropped, multiplier] : [hidden, dropped]);
    return {
      value: logits,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [savedHidden, savedDropped, savedMultiplier] = saved as [
          tf.Tensor2D,
          tf.Tensor2D,
          tf.Tensor2D?,
        ];
        const dLogits = dy as tf.Tensor2D;
        const dDropped = tf.matMul(dLogits, weight);
        const dPooled = savedMultiplier ? tf.mul(dDropped, savedMultiplier) : dDropped;
        // ReLU passes the gradient where its input was positive (tfjs's own rule: step(x)).
        const dHidden = tf.mul(dPooled, tf.step(savedHidden)) as tf.Tensor2D;
        return [
          tf.matMul(tf.transpose(dHidden), features),
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
        param(params, 'pre_classifier.weight'),
        param(params, 'pre_classifier.bias'),
        param(params, 'classifier.weight'),
        param(params, 'classifier.bias'),
      ) as tf.Tensor2D,
  );
}

/** tf.dropout's multiplier for `seed`: 1/(1 − rate) where kept, 0 where dropped. */
function dropoutMultiplier(shape: number[], rate: number, seed: string | undefined): tf.Tensor {
  const keep = 1 - rate;
  return tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep)), keep);
}
