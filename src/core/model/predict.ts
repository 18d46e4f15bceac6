// Inference over many sequences: batches padded to their longest row, logits turned into
// probabilities and labels the way the problem type defines them.
import * as tf from '@tensorflow/tfjs-core';
import type { DistilBertConfig } from './config.ts';
import type { ForwardEngine } from '../infer/engine.ts';
import { forward, type Params } from './distilbert.ts';

export interface TokenizedRow {
  inputIds: ArrayLike<number>;
  /** 1 for tokens to attend to; all ones when omitted. Same length as inputIds. */
  attentionMask?: ArrayLike<number>;
}

export interface Prediction {
  logits: number[];
  /** Softmax over the labels (single-label) or each label's sigmoid (multi-label). */
  probabilities: Record<string, number>;
  /** The argmax label, or every label with probability >= threshold (multi-label). */
  label: string | string[];
}

/** Checks ids and masks against the model before anything runs, with the offending row named. */
export function validateRows(config: DistilBertConfig, rows: readonly TokenizedRow[]): void {
  rows.forEach((row, index) => {
    const where = `row ${index + 1}`;
    const length = row.inputIds.length;
    if (length === 0) throw new Error(`${where} has no input ids`);
    if (length > config.maxPositionEmbeddings) {
      throw new Error(
        `${where} has ${length} tokens, more than the model's ${config.maxPositionEmbeddings} positions`,
      );
    }
    for (let i = 0; i < length; i++) {
      const id = row.inputIds[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) {
        throw new Error(
          `${where}: input id ${id} at position ${i} is outside the vocabulary (0..${config.vocabSize - 1})`,
        );
      }
    }
    if (row.attentionMask) {
      if (row.attentionMask.length !== length) {
        throw new Error(
          `${where}: attention_mask has ${row.attentionMask.length} entries for ${length} input ids`,
        );
      }
      for (let i = 0; i < length; i++) {
        const m = row.attentionMask[i];
        if (m !== 0 && m !== 1) throw new Error(`${where}: attention_mask must hold 0 or 1, got ${m}`);
      }
    }
  });
}

/**
 * Logits [numLabels] for every row, in order, `batchSize` rows per forward pass; on `engine` (a
 * logits engine over the same model, see core/infer) instead of tfjs when given.
 */
export async function predictLogits(
  params: Params,
  config: DistilBertConfig,
  rows: readonly TokenizedRow[],
  options: {
    batchSize?: number;
    padTokenId?: number;
    onBatch?(done: number, total: number): void;
    engine?: ForwardEngine;
  } = {},
): Promise<Float32Array[]> {
  const batchSize = options.batchSize ?? 32;
  const padTokenId = options.padTokenId ?? config.padTokenId;
  const out: Float32Array[] = [];
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    const seqLength = Math.max(...batch.map((row) => row.inputIds.length));
    const ids = new Int32Array(batch.length * seqLength).fill(padTokenId);
    const mask = new Int32Array(batch.length * seqLength);
    batch.forEach((row, b) => {
      for (let t = 0; t < row.inputIds.length; t++) {
        ids[b * seqLength + t] = row.inputIds[t]!;
        mask[b * seqLength + t] = row.attentionMask ? row.attentionMask[t]! : 1;
      }
    });
    let values: Float32Array;
    if (options.engine) {
      values = await options.engine.run({ ids, mask, batchSize: batch.length, seqLength });
    } else {
      const logits = tf.tidy(() => {
        const inputIds = tf.tensor2d(ids, [batch.length, seqLength], 'int32');
        const attentionMask = tf.tensor2d(mask, [batch.length, seqLength], 'int32');
        return forward(params, config, inputIds, attentionMask, { training: false }).logits;
      });
      values = (await logits.data()) as Float32Array;
      logits.dispose();
    }
    for (let b = 0; b < batch.length; b++) {
      out.push(values.slice(b * config.numLabels, (b + 1) * config.numLabels));
    }
    options.onBatch?.(Math.min(start + batchSize, rows.length), rows.length);
  }
  return out;
}

/** Probabilities and label(s) from one row's logits. */
export function interpretLogits(
  config: DistilBertConfig,
  logits: ArrayLike<number>,
  threshold = 0.5,
): Prediction {
  const values = Array.from(logits);
  const probabilities: Record<string, number> = {};
  if (config.problemType === 'multi_label_classification') {
    const labels: string[] = [];
    values.forEach((x, i) => {
      const p = 1 / (1 + Math.exp(-x));
      probabilities[config.id2label[i]!] = p;
      if (p >= threshold) labels.push(config.id2label[i]!);
    });
    return { logits: values, probabilities, label: labels };
  }
  const max = Math.max(...values);
  const exps = values.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  let best = 0;
  exps.forEach((e, i) => {
    probabilities[config.id2label[i]!] = e / sum;
    if (e > exps[best]!) best = i;
  });
  return { logits: values, probabilities, label: config.id2label[best]! };
}
