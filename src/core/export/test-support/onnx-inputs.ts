// Inputs for running exported ONNX graphs in tests: random token batches and int64 tensors.
import * as ort from 'onnxruntime-node';
import { createRng } from '../../util/random.ts';

export function int64Tensor(values: readonly number[], shape: [number, number]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    shape,
  );
}

/**
 * A batch of random token ids with [CLS] … [SEP] and right padding to `lengths`; content ids are
 * drawn below `vocabSize` (BERT-base's by default), clear of the first, special, ids.
 */
export function randomIdBatch(
  lengths: number[],
  seqLength: number,
  seed: number,
  vocabSize = 30522,
): { ids: number[]; mask: number[] } {
  const rng = createRng(seed);
  const content = () => (vocabSize > 30000 ? 1000 + rng.int(29000) : 5 + rng.int(vocabSize - 5));
  const ids: number[] = [];
  const mask: number[] = [];
  for (const length of lengths) {
    for (let t = 0; t < seqLength; t++) {
      const real = t < length;
      ids.push(!real ? 0 : t === 0 ? 101 : t === length - 1 ? 102 : content());
      mask.push(real ? 1 : 0);
    }
  }
  return { ids, mask };
}
