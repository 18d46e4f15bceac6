// The classification head as head-only training runs it: the math of the model's classifierHead
// (pre_classifier, ReLU, dropout, classifier), with the one large product laid out for speed.
//
// classifierHead computes x·Wᵀ as matMul(x, W, transposeB=true), and autodiff takes the weight
// gradient as matMul(dy, x, transposeA=true). tfjs-backend-wasm sends every transposed product
// to a naive loop (about 15 ms for [16, 768]·[768, 768] against 1 ms through XNNPACK), and
// packs the right-hand operand again whenever it is a new tensor, which a weight is after every
// update. Here the [D, D] pre_classifier weight is always the left operand and no product is
// transposed: (W·xᵀ)ᵀ forward and dyᵀ·x for the gradient; only [B, D] tensors get transposed.
import * as tf from '@tensorflow/tfjs-core';
import type { DistilBertConfig } from '../model/config.ts';
import type { ForwardOptions, Params } from '../model/distilbert.ts';

function param(params: Params, name: string): tf.Variable {
  const value = params[name];
  if (!value) throw new Error(`model parameter "${name}" is missing`);
  return value;
}

/**
 * nn.Linear on an input that is a constant of the step (cached features): gradients go to the
 * weight and bias only. [B, in] -> [B, out] for a torch-layout weight [out, in].
 */
function linearOnConstantInput(x: tf.Tensor2D, weight: tf.Variable, bias: tf.Variable): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [w, b] = args as [tf.Tensor2D, tf.Tensor1D];
    return {
      value: tf.add(tf.transpose(tf.matMul(w, tf.transpose(x))), b),
      gradFunc: (dy: tf.Tensor) => {
        const dy2d = dy as tf.Tensor2D;
        return [tf.matMul(tf.transpose(dy2d), x), tf.sum(dy2d, 0)];
      },
    };
  });
  return op(weight, bias) as tf.Tensor2D;
}

/** Logits [B, L] of the classification head on first-token features [B, D] that do not train. */
export function headLogits(
  params: Params,
  config: DistilBertConfig,
  features: tf.Tensor2D,
  opts: ForwardOptions,
): tf.Tensor2D {
  return tf.tidy(() => {
    const pooled = tf.relu(
      linearOnConstantInput(
        features,
        param(params, 'pre_classifier.weight'),
        param(params, 'pre_classifier.bias'),
      ),
    );
    // The same mask classifierHead draws for this seed (its dropout site is named 'head').
    const rate = config.seqClassifDropout;
    const dropped =
      opts.training && rate > 0
        ? tf.dropout(pooled, rate, undefined, opts.seed === undefined ? undefined : `${opts.seed}/head`)
        : pooled;
    return tf.add(
      tf.matMul(dropped, param(params, 'classifier.weight'), false, true),
      param(params, 'classifier.bias'),
    );
  });
}
