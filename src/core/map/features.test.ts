import { describe, expect, it } from 'vitest';
import type { ForwardEngine, TokenBatch } from '../infer/index.ts';
import type { EncodedDataset, EncodedSplit } from '../tokenize/index.ts';
import { datasetFeatures, joinSplitFeatures, mapRows } from './features.ts';

/** A split whose example i has `lengths[i]` tokens, each token id the example's data row. */
function split(rows: number[], lengths: number[]): EncodedSplit {
  const offsets = new Int32Array(rows.length + 1);
  lengths.forEach((l, i) => (offsets[i + 1] = offsets[i]! + l));
  const ids = new Int32Array(offsets[rows.length]!);
  rows.forEach((row, i) => ids.fill(row, offsets[i]!, offsets[i + 1]!));
  return { ids, offsets, labels: new Int32Array(rows.length), rows: Int32Array.from(rows) };
}

const data: EncodedDataset = {
  labels: ['a', 'b'],
  multiLabel: false,
  maxLength: 16,
  padTokenId: 0,
  train: split([5, 1, 4, 8], [3, 1, 4, 2]),
  validation: split([2, 7], [2, 5]),
  test: split([3, 6], [1, 1]),
};

/** Features [row, tokens, 0]: the first token's id (the data row) and the real token count. */
const engine: ForwardEngine & { batches: number[] } = {
  description: 'test',
  output: { kind: 'features' },
  batches: [],
  async run(batch: TokenBatch) {
    this.batches.push(batch.batchSize);
    const out = new Float32Array(batch.batchSize * 3);
    for (let b = 0; b < batch.batchSize; b++) {
      out[b * 3] = batch.ids[b * batch.seqLength]!;
      let tokens = 0;
      for (let t = 0; t < batch.seqLength; t++) tokens += batch.mask[b * batch.seqLength + t]!;
      out[b * 3 + 1] = tokens;
    }
    return out;
  },
  async dispose() {},
};

describe('map features', () => {
  it('orders every split’s examples by data row', () => {
    const order = mapRows(data);
    expect([...order.rows]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...order.split]).toEqual([0, 1, 2, 0, 0, 2, 1, 0]);
    expect([...order.indexInSplit]).toEqual([1, 0, 0, 2, 0, 1, 1, 3]);
  });

  it('runs the engine over each split in batches and puts each row’s features at its data row', async () => {
    const progress: number[] = [];
    const result = await datasetFeatures(engine, data, 3, {
      batchSize: 3,
      onProgress: (done) => progress.push(done),
    });
    expect(engine.batches).toEqual([3, 1, 2, 2]);
    expect(progress).toEqual([3, 4, 6, 8]);
    const lengthOf = { 1: 1, 2: 2, 3: 1, 4: 4, 5: 3, 6: 1, 7: 5, 8: 2 } as Record<number, number>;
    for (let p = 0; p < 8; p++) {
      expect([...result.features.subarray(p * 3, p * 3 + 3)]).toEqual([p + 1, lengthOf[p + 1], 0]);
    }
  });

  it('refuses per-split features of the wrong size', () => {
    const perSplit = {
      train: new Float32Array(12),
      validation: new Float32Array(6),
      test: new Float32Array(5),
    };
    expect(() => joinSplitFeatures(data, perSplit, 3)).toThrow(/test features hold 5 values, expected 6/);
  });

  it('refuses an engine that does not give first-token features', async () => {
    await expect(datasetFeatures({ ...engine, output: { kind: 'logits' } }, data, 3)).rejects.toThrow(
      /first-token/,
    );
  });
});
