// Test support: what the studio computes for texts with an exported folder's tokenizer files:
// transformers.js tokenization, then the tfjs model, then softmax or sigmoid.
import * as tf from '@tensorflow/tfjs-core';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { basename, dirname } from 'node:path';
import { forward, type LoadedModel } from '../../model/index.ts';

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
  env.allowRemoteModels = false;
  env.localModelPath = dirname(folder) + '/';
  const tokenizer = await AutoTokenizer.from_pretrained(basename(folder));
  const encoded = tokenizer(texts, { padding: true, truncation: true, max_length: maxLength });
  const idsTensor = encoded.input_ids as { dims: number[]; data: BigInt64Array };
  const maskTensor = encoded.attention_mask as { data: BigInt64Array };
  const shape = idsTensor.dims as [number, number];
  const ids = Array.from(idsTensor.data, Number);
  const mask = Array.from(maskTensor.data, Number);
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
