// Scoring a split: logits → probabilities, the plain loss, and every metric. Used by the training
// loop after each evaluation pass, and by `finetune-studio evaluate` for any labelled file.
import * as tf from '@tensorflow/tfjs-core';
import {
  multiLabelMetrics,
  scalarMetrics,
  singleLabelMetrics,
  tuneThresholds,
  type ClassificationMetrics,
} from '../metrics/index.ts';
import type { DistilBertConfig } from '../model/config.ts';
import { classifierHead, encode, firstToken, type Params } from '../model/distilbert.ts';
import type { ForwardEngine } from '../infer/engine.ts';
import { padBatch, rowsByLength, splitSize, type EncodedSplit } from './data.ts';

export interface SplitScore {
  /** Plain mean cross-entropy (single-label) or BCE-with-logits (multi-label). */
  loss: number;
  /** `loss` and every scalar metric, as fractions. */
  metrics: Record<string, number>;
  details: ClassificationMetrics;
  /** n × numLabels softmax or sigmoid outputs. */
  probabilities: Float32Array;
  /** Multi-label: thresholds tuned on this split and the metrics they give (when asked). */
  tunedThresholds?: number[];
  tunedMetrics?: Record<string, number>;
}

export interface ScoreOptions {
  labels: readonly string[];
  multiLabel: boolean;
  /** Multi-label decision thresholds (default 0.5 each). */
  thresholds?: readonly number[];
  /** Multi-label: also tune thresholds on this split. */
  tune?: boolean;
}

export function scoreLogits(
  logits: Float32Array,
  trueLabels: Int32Array | Uint8Array,
  options: ScoreOptions,
): SplitScore {
  const k = options.labels.length;
  const n = logits.length / k;
  const probabilities = new Float32Array(n * k);
  let lossTotal = 0;
  if (!options.multiLabel) {
    const predicted = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      let argmax = 0;
      for (let j = 0; j < k; j++) {
        const x = logits[i * k + j] as number;
        if (x > max) {
          max = x;
          argmax = j;
        }
      }
      let sum = 0;
      for (let j = 0; j < k; j++) sum += Math.exp((logits[i * k + j] as number) - max);
      const logSum = max + Math.log(sum);
      for (let j = 0; j < k; j++) probabilities[i * k + j] = Math.exp((logits[i * k + j] as number) - logSum);
      lossTotal += logSum - (logits[i * k + (trueLabels[i] as number)] as number);
      predicted[i] = argmax;
    }
    const details = singleLabelMetrics(trueLabels, predicted, options.labels);
    const loss = n > 0 ? lossTotal / n : NaN;
    return { loss, metrics: { loss, ...scalarMetrics(details) }, details, probabilities };
  }
  for (let i = 0; i < n * k; i++) {
    const x = logits[i] as number;
    probabilities[i] = 1 / (1 + Math.exp(-x));
    // softplus(x) − x·y: BCE with logits, stable for large |x|
    lossTotal += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) - x * (trueLabels[i] as number);
  }
  const loss = n > 0 ? lossTotal / (n * k) : NaN;
  const details = multiLabelMetrics(trueLabels, probabilities, options.labels, options.thresholds ?? 0.5);
  const score: SplitScore = { loss, metrics: { loss, ...scalarMetrics(details) }, details, probabilities };
  if (options.tune) {
    const tuned = tuneThresholds(trueLabels, probabilities, k);
    score.tunedThresholds = tuned;
    score.tunedMetrics = {
      loss,
      ...scalarMetrics(multiLabelMetrics(trueLabels, probabilities, options.labels, tuned)),
    };
  }
  return score;
}

/**
 * Logits of the whole model for every example of a split (dropout off), n × numLabels. `engine`
 * (a logits engine over the same model, see core/infer) computes them instead of the tfjs forward
 * pass: a finished run's evaluation runs on ONNX Runtime.
 */
export async function predictLogits(
  model: { config: DistilBertConfig; params: Params },
  split: EncodedSplit,
  options: {
    padTokenId: number;
    maxLength: number;
    batchSize?: number;
    onProgress?: (done: number, total: number) => void;
    engine?: ForwardEngine;
  },
): Promise<Float32Array> {
  const { config, params } = model;
  const n = splitSize(split);
  const k = config.numLabels;
  const out = new Float32Array(n * k);
  const order = rowsByLength(split);
  const batchSize = options.batchSize ?? 64;
  for (let start = 0; start < n; start += batchSize) {
    const rows = order.subarray(start, Math.min(n, start + batchSize));
    const padded = padBatch(split, rows, options.padTokenId, options.maxLength);
    if (options.engine) {
      const values = await options.engine.run({
        ids: padded.ids,
        mask: padded.mask,
        batchSize: rows.length,
        seqLength: padded.length,
      });
      rows.forEach((r, i) => out.set(values.subarray(i * k, (i + 1) * k), r * k));
      options.onProgress?.(start + rows.length, n);
      continue;
    }
    const logits = tf.tidy(() => {
      const ids = tf.tensor2d(padded.ids, [rows.length, padded.length], 'int32');
      const mask = tf.tensor2d(padded.mask, [rows.length, padded.length], 'int32');
      const hidden = encode(params, config, ids, mask, { training: false });
      return classifierHead(params, config, firstToken(hidden), { training: false });
    });
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    rows.forEach((r, i) => out.set(values.subarray(i * k, (i + 1) * k), r * k));
    options.onProgress?.(start + rows.length, n);
  }
  return out;
}
