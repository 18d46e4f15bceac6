// Training losses as torch computes them: cross-entropy with optional class weights and label
// smoothing (torch.nn.functional.cross_entropy), BCE-with-logits with optional per-label positive
// weights (torch.nn.BCEWithLogitsLoss). Each loss is split into a per-batch sum and a
// normaliser known from the labels alone, so gradient accumulation over micro-batches gives
// exactly the gradient of the mean over the whole accumulated batch.
import * as tf from '@tensorflow/tfjs-core';
import { logSumExp } from '../model/index.ts';

export interface LossSettings {
  multiLabel: boolean;
  numLabels: number;
  /** Single-label: weight of each class (torch `weight`). */
  classWeights?: Float32Array | null;
  /** Multi-label: weight of the positive term of each label (torch `pos_weight`). */
  posWeights?: Float32Array | null;
  /**
   * Single-label: torch's label_smoothing ε. Multi-label: targets become y(1 − ε) + ε/2, the usual
   * smoothing for independent binary labels (torch's BCE has no such option).
   */
  labelSmoothing?: number;
}

/**
 * Σ over the batch of each example's loss before the mean: for cross-entropy with class weights
 * that is Σ w[y]·nll (torch's weighted mean divides by Σ w[y]); for BCE it is the sum over every
 * (example, label) element.
 * `labels`: int32 [B] class ids, or float32 [B, L] 0/1 targets.
 */
export function lossSum(logits: tf.Tensor2D, labels: tf.Tensor, settings: LossSettings): tf.Scalar {
  return tf.tidy(() => {
    const smoothing = settings.labelSmoothing ?? 0;
    if (!settings.multiLabel) {
      const numClasses = settings.numLabels;
      const logProbabilities = tf.logSoftmax(logits, -1); // [B, C]
      const targets = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, numClasses); // [B] -> [B, C]
      const weights = settings.classWeights ? tf.tensor1d(settings.classWeights) : null;
      const weightedTargets = weights ? tf.mul(targets, weights) : targets;
      const nll = tf.neg(tf.sum(tf.mul(weightedTargets, logProbabilities)));
      if (smoothing === 0) return nll as tf.Scalar;
      // torch: (1 − ε)·nll + ε/C · Σ_i Σ_c w_c·(−log p_ic), both over the same normaliser.
      const smooth = tf.neg(tf.sum(weights ? tf.mul(logProbabilities, weights) : logProbabilities));
      return tf.add(tf.mul(nll, 1 - smoothing), tf.mul(smooth, smoothing / numClasses)) as tf.Scalar;
    }
    let targets = tf.cast(labels, 'float32') as tf.Tensor2D;
    if (smoothing > 0) targets = tf.add(tf.mul(targets, 1 - smoothing), smoothing / 2);
    // −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))] = p·y·softplus(−x) + (1 − y)·softplus(x)
    const positive = tf.mul(targets, tf.softplus(tf.neg(logits)));
    const weightedPositive = settings.posWeights
      ? tf.mul(positive, tf.tensor1d(settings.posWeights))
      : positive;
    const negative = tf.mul(tf.sub(1, targets), tf.softplus(logits));
    return tf.sum(tf.add(weightedPositive, negative)) as tf.Scalar;
  });
}

/**
 * `lossSum(logits, labels, settings) / normalizer` as one op whose value and gradient come from
 * the logits' values, computed in float64 on the host. Meant for backends whose tensors live in
 * host memory: there reading [B, L] logits is a small copy, while the loss as tfjs ops is ~35
 * kernels per step (forward and backward) on a tensor of a few dozen numbers.
 * `labels`: class ids [B], or 0/1 targets [B, L] row-major for multi-label.
 */
export function hostMeanLoss(
  logits: tf.Tensor2D,
  labels: Int32Array | Uint8Array,
  settings: LossSettings,
  normalizer: number,
): tf.Scalar {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const [rows, columns] = x.shape;
    const { value, gradient } = lossAndGradient(
      x.dataSync() as Float32Array,
      rows,
      columns,
      labels,
      settings,
    );
    save([
      tf.tensor2d(
        Float32Array.from(gradient, (g) => g / normalizer),
        [rows, columns],
        'float32',
      ),
    ]);
    return {
      value: tf.scalar(value / normalizer),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0] as tf.Tensor),
    };
  });
  return op(logits) as tf.Scalar;
}

/** The lossSum of one batch and its gradient with respect to the logits, in float64. */
function lossAndGradient(
  logits: Float32Array,
  rows: number,
  columns: number,
  labels: Int32Array | Uint8Array,
  settings: LossSettings,
): { value: number; gradient: Float64Array } {
  const smoothing = settings.labelSmoothing ?? 0;
  const gradient = new Float64Array(rows * columns);
  let value = 0;
  if (!settings.multiLabel) {
    const weights = settings.classWeights ?? null;
    const logProbabilities = new Float64Array(columns);
    // loss = −Σ_i Σ_c a_ic·log p_ic with a_ic = (1 − ε)·w_y·[c = y] + ε/C·w_c; ∂/∂z_ic = p_ic·Σ_c a_ic − a_ic.
    const targets = new Float64Array(columns);
    for (let i = 0; i < rows; i++) {
      const row = i * columns;
      const logSum = logSumExp(logits, row, columns);
      const y = labels[i] as number;
      let total = 0;
      for (let c = 0; c < columns; c++) {
        logProbabilities[c] = (logits[row + c] as number) - logSum;
        const w = weights ? (weights[c] as number) : 1;
        targets[c] = (c === y ? (1 - smoothing) * w : 0) + (smoothing / columns) * w;
        total += targets[c] as number;
        value -= (targets[c] as number) * (logProbabilities[c] as number);
      }
      for (let c = 0; c < columns; c++) {
        gradient[row + c] = Math.exp(logProbabilities[c] as number) * total - (targets[c] as number);
      }
    }
    return { value, gradient };
  }
  const posWeights = settings.posWeights ?? null;
  // p·y·softplus(−x) + (1 − y)·softplus(x); ∂/∂x = (1 − y)·σ(x) − p·y·σ(−x)
  const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
  const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
  for (let i = 0; i < rows * columns; i++) {
    const x = logits[i] as number;
    const label = labels[i] as number;
    const y = smoothing > 0 ? label * (1 - smoothing) + smoothing / 2 : label;
    const p = posWeights ? (posWeights[i % columns] as number) : 1;
    value += p * y * softplus(-x) + (1 - y) * softplus(x);
    gradient[i] = (1 - y) * sigmoid(x) - p * y * sigmoid(-x);
  }
  return { value, gradient };
}

/**
 * The divisor that turns `lossSum` into torch's mean: Σ w[y] (or the example count) for
 * cross-entropy, examples × labels for BCE. `labels` are the rows' labels in their CPU form.
 */
export function lossNormalizer(labels: Int32Array | Uint8Array, settings: LossSettings): number {
  if (settings.multiLabel) return labels.length;
  if (!settings.classWeights) return labels.length;
  let total = 0;
  for (const label of labels) total += settings.classWeights[label] ?? 0;
  return total;
}

/** Mean loss of a batch, torch's reduction='mean'. */
export function meanLoss(
  logits: tf.Tensor2D,
  labels: tf.Tensor,
  cpuLabels: Int32Array | Uint8Array,
  settings: LossSettings,
): tf.Scalar {
  const normalizer = lossNormalizer(cpuLabels, settings);
  return tf.tidy(() => tf.div(lossSum(logits, labels, settings), Math.max(normalizer, 1e-12)) as tf.Scalar);
}

/** What a training loss sees of one micro-batch of an optimizer update. */
export interface MicroBatchLossInput {
  /** The model's logits [B, L]. */
  logits: tf.Tensor2D;
  /** The micro-batch's rows of the training split. */
  rows: Int32Array;
  /** Class ids [B] (int32) or 0/1 targets [B, L] (float32). */
  labels: tf.Tensor;
  /** The same labels on the host: ids, or row-major 0/1 targets. */
  cpuLabels: Int32Array | Uint8Array;
  /** The labels of the whole update, host form: the loss divides by their normaliser, so micro-batches add up to the update's mean. */
  updateLabels: Int32Array | Uint8Array;
  settings: LossSettings;
  /** The backend keeps tensors in host memory: reading the logits is a copy, not a GPU readback. */
  onHost: boolean;
}

/** A loss the trainer minimises instead of the label loss (distillation's, for one). */
export type TrainingLoss = (input: MicroBatchLossInput) => tf.Scalar;

/**
 * Class weights for imbalanced single-label data. 'balanced' is scikit-learn's
 * n_samples / (n_classes · count_c); a class with no training example gets 1 (its weight
 * only matters to label smoothing). A record gives each class's weight by label name;
 * classes it leaves out get 1.
 */
export function classWeightsFor(
  spec: 'none' | 'balanced' | Record<string, number>,
  trainLabels: Int32Array,
  labelNames: readonly string[],
): Float32Array | null {
  if (spec === 'none') return null;
  const k = labelNames.length;
  if (spec === 'balanced') {
    const counts = new Array<number>(k).fill(0);
    for (const label of trainLabels) counts[label]! += 1;
    const present = counts.filter((c) => c > 0).length;
    return Float32Array.from(counts, (c) => (c > 0 ? trainLabels.length / (present * c) : 1));
  }
  return weightsByName(spec, labelNames, 'class weight');
}

/**
 * Positive weights for multi-label BCE. 'balanced' is negatives / positives per label (the ratio
 * torch's documentation suggests); a label that never occurs gets 1.
 */
export function posWeightsFor(
  spec: 'none' | 'balanced' | Record<string, number>,
  trainLabels: Uint8Array,
  labelNames: readonly string[],
): Float32Array | null {
  if (spec === 'none') return null;
  const k = labelNames.length;
  if (spec === 'balanced') {
    const n = trainLabels.length / k;
    const positives = new Array<number>(k).fill(0);
    for (let i = 0; i < trainLabels.length; i++) if (trainLabels[i]) positives[i % k]! += 1;
    return Float32Array.from(positives, (p) => (p > 0 && p < n ? (n - p) / p : 1));
  }
  return weightsByName(spec, labelNames, 'positive weight');
}

function weightsByName(
  spec: Record<string, number>,
  labelNames: readonly string[],
  what: string,
): Float32Array {
  const unknown = Object.keys(spec).filter((name) => !labelNames.includes(name));
  if (unknown.length > 0) {
    throw new Error(`${what}s name labels the data does not have: ${unknown.slice(0, 5).join(', ')}`);
  }
  return Float32Array.from(labelNames, (name) => {
    const weight = spec[name] ?? 1;
    if (!(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0)) {
      throw new Error(`${what} of "${name}" must be a non-negative number, got ${JSON.stringify(weight)}`);
    }
    return weight;
  });
}
