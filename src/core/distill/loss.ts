// Knowledge distillation loss (Hinton et al. 2015, as DistilBERT was trained):
//
//   single-label  α · CE(s, y) + (1 − α) · T² · KL(softmax(t/T) ‖ softmax(s/T))
//                 = α · F.cross_entropy(s, y)
//                   + (1 − α) · T² · F.kl_div(F.log_softmax(s/T), F.softmax(t/T), reduction='batchmean')
//   multi-label   α · BCE(s, y) + (1 − α) · T² · F.binary_cross_entropy_with_logits(s/T, sigmoid(t/T))
//
// s are the student's logits, t the teacher's, y the labels. T² keeps the soft term's gradient on
// the scale of the hard one as T grows (its gradient is (q_s − q_t)/T per logit). The hard term is
// the run's own label loss (class weights, label smoothing and all, from ./losses.ts); the soft
// term has its gradient written out, two tensors kept per call.
//
// As in losses.ts, each term divides by a normaliser of the whole optimizer update (examples for
// the KL's 'batchmean', examples × labels for the BCE's mean), so micro-batches accumulate into
// exactly the gradient of the update's mean loss.
import * as tf from '@tensorflow/tfjs-core';
import { hostMeanLoss, lossNormalizer, lossSum, type LossSettings } from '../train/index.ts';

export interface DistillationSettings {
  /** Weight of the label loss; 1 − alpha goes to matching the teacher. */
  alpha: number;
  /** Softmax (sigmoid, multi-label) temperature of both models' logits in the soft term. */
  temperature: number;
}

export const DEFAULT_DISTILLATION: DistillationSettings = { alpha: 0.5, temperature: 2 };

/** One line per problem with the settings; empty when they are usable. */
export function checkDistillationSettings(settings: DistillationSettings): string[] {
  const problems: string[] = [];
  const { alpha, temperature } = settings;
  if (!(Number.isFinite(alpha) && alpha >= 0 && alpha <= 1)) {
    problems.push(`alpha must be between 0 and 1, got ${alpha}`);
  }
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    problems.push(`temperature must be a positive number, got ${temperature}`);
  }
  return problems;
}

/** The soft term's divisor for `rows` examples: 'batchmean' for the KL, the elementwise mean for BCE. */
export function softTargetNormalizer(rows: number, numLabels: number, multiLabel: boolean): number {
  return multiLabel ? rows * numLabels : rows;
}

/**
 * T² · Σ_batch soft loss / normalizer, whose gradient with respect to the student's logits is
 * written out: T · (softmax(s/T) − softmax(t/T)) / normalizer, or T · (σ(s/T) − σ(t/T)) / normalizer
 * for multi-label. No gradient flows to the teacher's logits. `student`, `teacher`: [B, L].
 */
export function softTargetLoss(
  student: tf.Tensor2D,
  teacher: tf.Tensor2D,
  options: { multiLabel: boolean; temperature: number },
  normalizer: number,
): tf.Scalar {
  const { multiLabel, temperature: T } = options;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [s, t, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const [value, gradient] = tf.tidy(() => {
      const softStudent = tf.div(s, T); // [B, L]
      const softTeacher = tf.div(t, T); // [B, L]
      if (!multiLabel) {
        const logStudent = tf.logSoftmax(softStudent, -1);
        const logTeacher = tf.logSoftmax(softTeacher, -1);
        const teacherProbabilities = tf.exp(logTeacher);
        // Σ_i Σ_c q_t (log q_t − log q_s): torch's kl_div summed, before 'batchmean' divides.
        const kl = tf.sum(tf.mul(teacherProbabilities, tf.sub(logTeacher, logStudent)));
        const grad = tf.mul(tf.sub(tf.exp(logStudent), teacherProbabilities), T / normalizer);
        return [tf.mul(kl, (T * T) / normalizer), grad];
      }
      const targets = tf.sigmoid(softTeacher);
      // −[p log σ(x) + (1 − p) log(1 − σ(x))] = p·softplus(−x) + (1 − p)·softplus(x)
      const bce = tf.sum(
        tf.add(
          tf.mul(targets, tf.softplus(tf.neg(softStudent))),
          tf.mul(tf.sub(1, targets), tf.softplus(softStudent)),
        ),
      );
      const grad = tf.mul(tf.sub(tf.sigmoid(softStudent), targets), T / normalizer);
      return [tf.mul(bce, (T * T) / normalizer), grad];
    });
    save([gradient]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, saved[0]!), tf.zerosLike(t)],
    };
  });
  return op(student, teacher) as tf.Scalar;
}

export interface DistillationBatch {
  /** The student's logits [B, L]. */
  student: tf.Tensor2D;
  /** The teacher's logits for the same rows [B, L], computed on the teacher's own tokenization. */
  teacher: tf.Tensor2D;
  /** Class ids [B] (int32) or 0/1 targets [B, L] (float32). */
  labels: tf.Tensor;
  /** The same labels on the host: ids, or row-major 0/1 targets. */
  cpuLabels: Int32Array | Uint8Array;
}

export interface DistillationNormalizers {
  /** lossNormalizer of the whole update's labels. */
  hard: number;
  /** softTargetNormalizer of the whole update. */
  soft: number;
}

/**
 * α · label loss / hard + (1 − α) · T² · soft loss / soft for one micro-batch. With `onHost` the
 * label loss is computed on the host in float64 (backends whose tensors live in host memory).
 */
export function distillationLoss(
  batch: DistillationBatch,
  loss: LossSettings,
  distillation: DistillationSettings,
  normalizers: DistillationNormalizers,
  onHost = false,
): tf.Scalar {
  const { alpha, temperature } = distillation;
  return tf.tidy(() => {
    const hard = onHost
      ? hostMeanLoss(batch.student, batch.cpuLabels, loss, normalizers.hard)
      : (tf.div(lossSum(batch.student, batch.labels, loss), normalizers.hard) as tf.Scalar);
    const soft = softTargetLoss(
      batch.student,
      batch.teacher,
      { multiLabel: loss.multiLabel, temperature },
      normalizers.soft,
    );
    return tf.add(tf.mul(hard, alpha), tf.mul(soft, 1 - alpha)) as tf.Scalar;
  });
}

/** The normalisers of an update over examples with these labels (host form). */
export function distillationNormalizers(
  labels: Int32Array | Uint8Array,
  loss: LossSettings,
): DistillationNormalizers {
  const rows = loss.multiLabel ? labels.length / loss.numLabels : labels.length;
  return {
    hard: Math.max(lossNormalizer(labels, loss), 1e-12),
    soft: softTargetNormalizer(rows, loss.numLabels, loss.multiLabel),
  };
}
