// Matrix products that stay on each backend's fast path, forward and backward.
//
// tfjs-backend-wasm 4.22 runs a product through XNNPACK only when neither operand is transposed;
// with transposeA or transposeB it falls back to a naive loop, 12× slower for the
// [1024, 768]·[768, 3072] products of a distilbert-base batch. Every Linear layer multiplies by a
// transposed [out, in] weight, and autodiff takes the gradients of any product as transposed
// products, so without care nearly all of the model's time goes to that loop. On wasm, then, the
// operands are transposed explicitly (a memory copy, cheap next to the product) and the gradient
// is written out with explicit transposes too. The other backends handle transposed operands
// natively, so they take tf.matMul unchanged and skip the copies.
import * as tf from '@tensorflow/tfjs-core';

/** Swaps the last two axes: [..., M, K] -> [..., K, M]. */
function swapLastAxes<T extends tf.Tensor>(x: T): T {
  const order = x.shape.map((_, axis) => axis);
  const last = order.length - 1;
  [order[last - 1], order[last]] = [last, last - 1];
  return tf.transpose(x, order);
}

function explicitTransposeMatMul<T extends tf.Tensor>(
  a: T,
  b: tf.Tensor,
  transposeA: boolean,
  transposeB: boolean,
): T {
  const product = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [left, right, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const lhs = transposeA ? swapLastAxes(left) : left; // the product's left factor, A
    const rhs = transposeB ? swapLastAxes(right) : right; // the product's right factor, B
    // Keep only what the gradient reads, so no transposed weight copy outlives the forward pass.
    save([transposeB ? lhs : left, transposeA ? rhs : right]);
    return {
      value: tf.matMul(lhs, rhs), // A·B
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [leftFactor, rightFactor] = saved as [tf.Tensor, tf.Tensor];
        // dA = dy·Bᵀ and dB = Aᵀ·dy; a transposed operand takes the transpose of its gradient,
        // written as the untransposed product of the swapped factors.
        const gradLeft = transposeA
          ? tf.matMul(rightFactor, swapLastAxes(dy)) // (dy·Bᵀ)ᵀ = B·dyᵀ, rightFactor = B
          : tf.matMul(dy, transposeB ? rightFactor : swapLastAxes(rightFactor)); // dy·Bᵀ, rightFactor = b
        const gradRight = transposeB
          ? tf.matMul(swapLastAxes(dy), leftFactor) // (Aᵀ·dy)ᵀ = dyᵀ·A, leftFactor = A
          : tf.matMul(transposeA ? leftFactor : swapLastAxes(leftFactor), dy); // Aᵀ·dy, leftFactor = a
        return [gradLeft, gradRight];
      },
    };
  });
  return product(a, b) as T;
}

/**
 * tf.matMul(a, b, transposeA, transposeB), with the same result and gradients on every backend,
 * that never hands tfjs-backend-wasm a transposed operand, forward or backward.
 */
export function matMul<T extends tf.Tensor>(a: T, b: tf.Tensor, transposeA = false, transposeB = false): T {
  // Even an untransposed product goes the explicit way on wasm: its taped gradient is transposed.
  if (tf.getBackend() !== 'wasm') {
    return tf.matMul(a, b, transposeA, transposeB) as unknown as T;
  }
  return explicitTransposeMatMul(a, b, transposeA, transposeB);
}
