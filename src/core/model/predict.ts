// Rows a user hands in (token ids, optional masks): checked against the model, gathered for
// `classify`, and one row's logits read as probabilities and label(s) for output.
import { argmaxRows, probabilitiesOf, type TokenRows } from './classify.ts';
import type { ModelConfig } from './config.ts';

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
export function validateRows(config: ModelConfig, rows: readonly TokenizedRow[]): void {
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

/** The rows as one TokenRows (what `classify` takes), their masks kept where given. */
export function tokenRows(rows: readonly TokenizedRow[]): TokenRows {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((row, i) => (offsets[i + 1] = (offsets[i] as number) + row.inputIds.length));
  const total = offsets[rows.length] as number;
  const ids = new Int32Array(total);
  const mask = rows.some((row) => row.attentionMask) ? new Int32Array(total).fill(1) : undefined;
  rows.forEach((row, i) => {
    ids.set(Array.from(row.inputIds), offsets[i]);
    if (mask && row.attentionMask) mask.set(Array.from(row.attentionMask), offsets[i]);
  });
  return mask ? { ids, offsets, mask } : { ids, offsets };
}

/** Probabilities and label(s) from one row's logits. */
export function interpretLogits(config: ModelConfig, logits: ArrayLike<number>, threshold = 0.5): Prediction {
  const values = Array.from(logits);
  const probabilities: Record<string, number> = {};
  const scores = probabilitiesOf(
    values,
    config.numLabels,
    config.problemType,
    new Float64Array(values.length),
  );
  scores.forEach((p, i) => (probabilities[config.id2label[i]!] = p));
  if (config.problemType === 'multi_label_classification') {
    const labels = config.id2label.filter((_, i) => (scores[i] as number) >= threshold);
    return { logits: values, probabilities, label: labels };
  }
  return { logits: values, probabilities, label: config.id2label[argmaxRows(values, values.length)[0]!]! };
}
