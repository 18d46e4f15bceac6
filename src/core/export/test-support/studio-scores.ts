// Test support: what the studio computes for texts with an exported folder's tokenizer files:
// the studio's tokenizer (core/tokenize over transformers.js, truncating as Hugging Face does),
// rows padded to the longest, then the tfjs model, then softmax or sigmoid.
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forward, type LoadedModel } from '../../model/index.ts';
import { loadTokenizer } from '../../tokenize/tokenizer.ts';

export interface StudioScores {
  ids: number[][];
  mask: number[][];
  logits: number[][];
  probabilities: number[][];
}

export async function studioScores(
  model: LoadedModel,
  folder: string,
  texts: string[],
  maxLength: number,
): Promise<StudioScores> {
  const tokenizer = await loadTokenizer(
    Object.fromEntries(
      ['tokenizer.json', 'tokenizer_config.json'].map((name) => [
        name,
        readFileSync(join(folder, name), 'utf8'),
      ]),
    ),
  );
  return scoresOfIds(
    model,
    texts.map((text) => tokenizer.encode(text, { maxLength }).ids),
    tokenizer.padTokenId,
  );
}

/** The studio's scores for rows of token ids (special tokens included), padded to the longest. */
export function scoresOfIds(model: LoadedModel, encoded: number[][], padTokenId: number): StudioScores {
  const longest = Math.max(...encoded.map((row) => row.length));
  const shape: [number, number] = [encoded.length, longest];
  const ids = encoded.flatMap((row) => [...row, ...new Array<number>(longest - row.length).fill(padTokenId)]);
  const mask = encoded.flatMap((row) => [
    ...new Array<number>(row.length).fill(1),
    ...new Array<number>(longest - row.length).fill(0),
  ]);
  const { logits, probabilities } = tf.tidy(() => {
    const out = forward(
      model.params,
      model.config,
      tf.tensor2d(ids, shape, 'int32'),
      tf.tensor2d(mask, shape, 'int32'),
      { training: false },
    );
    const p =
      model.config.problemType === 'multi_label_classification'
        ? tf.sigmoid(out.logits)
        : tf.softmax(out.logits);
    return { logits: out.logits.arraySync() as number[][], probabilities: p.arraySync() as number[][] };
  });
  const rows = (flat: number[]) =>
    Array.from({ length: shape[0] }, (_, i) => flat.slice(i * shape[1], (i + 1) * shape[1]));
  return { ids: rows(ids), mask: rows(mask), logits, probabilities };
}
