// classify against Hugging Face's reference logits of both fixture checkpoints (rows given out of
// length order, in batches that cut across them), its probabilities against torch's softmax and
// sigmoid, and its bookkeeping: masks kept, rows in their own order, nothing leaked.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePython, runPython } from '../../node/python.ts';
import { tfjsEngine } from '../infer/tfjs-engine.ts';
import { argmaxRows, classify, probabilitiesOf, type TokenRows } from './classify.ts';
import type { ProblemType } from './config.ts';
import { disposeParams, type LoadedModel } from './index.ts';
import { FIXTURES, fixture, loadFixtureModel, maxAbsDiff, ref } from './test-support/fixtures.ts';

/** torch's softmax (dim=-1) or sigmoid of each table, in float64. */
async function torchProbabilities(
  tables: { logits: number[][]; problemType: ProblemType }[],
): Promise<number[][][]> {
  requirePython();
  const script = `
import json, sys, torch
out = []
for table in json.load(sys.stdin):
    x = torch.tensor(table["logits"], dtype=torch.float64)
    p = torch.sigmoid(x) if table["problemType"] == "multi_label_classification" else torch.softmax(x, dim=-1)
    out.append(p.tolist())
print(json.dumps(out))
`;
  const run = await runPython(['-c', script], { timeoutMs: 120_000, input: JSON.stringify(tables) });
  if (run.code !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as number[][][];
}

/** The fixture's reference batch as unpadded rows (right padding dropped by its mask). */
function referenceRows(name: (typeof FIXTURES)[number]): TokenRows {
  const fx = fixture(name);
  const ids = ref(fx, 'input_ids');
  const mask = ref(fx, 'attention_mask');
  const [batch, seqLength] = ids.shape as [number, number];
  const rowIds: number[] = [];
  const offsets = [0];
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seqLength; t++) {
      if (mask.data[b * seqLength + t] === 1) rowIds.push(ids.data[b * seqLength + t] as number);
    }
    offsets.push(rowIds.length);
  }
  return { ids: Int32Array.from(rowIds), offsets: Int32Array.from(offsets) };
}

const rowsOf = (values: ArrayLike<number>, width: number): number[][] =>
  Array.from({ length: values.length / width }, (_, i) =>
    Array.from(values).slice(i * width, (i + 1) * width),
  );

describe('probabilitiesOf', () => {
  const TABLES: { name: string; logits: number[][]; problemType: ProblemType }[] = [
    {
      name: 'single-label, ordinary logits',
      logits: [
        [0.5, -1.25, 2],
        [0, 0, 0],
      ],
      problemType: 'single_label_classification',
    },
    {
      name: 'single-label, large logits (no overflow)',
      logits: [
        [1000, 999, -1000],
        [-800, -801, -799],
      ],
      problemType: 'single_label_classification',
    },
    {
      name: 'multi-label, ordinary and large logits',
      logits: [
        [0.5, -1.25, 2, 0],
        [40, -40, 100, -100],
      ],
      problemType: 'multi_label_classification',
    },
  ];

  it("gives torch's softmax (single-label) and sigmoid (multi-label) within float32 rounding", async () => {
    const expected = await torchProbabilities(TABLES);
    TABLES.forEach((table, i) => {
      const width = table.logits[0]!.length;
      const actual = probabilitiesOf(table.logits.flat(), width, table.problemType);
      expect(maxAbsDiff(actual, expected[i]!.flat()), table.name).toBeLessThan(1e-7);
      const doubles = probabilitiesOf(
        table.logits.flat(),
        width,
        table.problemType,
        new Float64Array(width * table.logits.length),
      );
      expect(maxAbsDiff(doubles, expected[i]!.flat()), `${table.name} (float64)`).toBeLessThan(1e-12);
    });
  });

  it('argmaxRows takes the first of equal values', () => {
    expect(Array.from(argmaxRows([1, 3, 3, 0, 0, 0, -1, -2, -3], 3))).toEqual([1, 0, 0]);
  });
});

describe.each(FIXTURES)('classify on %s', (name) => {
  const fx = fixture(name);
  let model: LoadedModel;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadFixtureModel(fx);
  });
  afterAll(() => {
    if (model) disposeParams(model.params);
  });

  const engine = () => tfjsEngine(model.params, model.config, { kind: 'logits' });

  it("gives Hugging Face's logits, torch's probabilities and the argmax, rows in their own order", async () => {
    const rows = referenceRows(name);
    const k = model.config.numLabels;
    const expectedLogits = ref(fx, 'logits').data;
    const [expectedProbabilities] = await torchProbabilities([
      { logits: rowsOf(expectedLogits, k), problemType: model.config.problemType },
    ]);
    for (const batchSize of [1, 2, 64]) {
      const result = await classify(model.config, rows, { engine: engine(), padTokenId: 0, batchSize });
      const what = `batch size ${batchSize}`;
      expect(result.logits.length, what).toBe(expectedLogits.length);
      expect(maxAbsDiff(result.logits, expectedLogits), what).toBeLessThan(fx.tolerances.logits_max_abs);
      expect(maxAbsDiff(result.probabilities, expectedProbabilities!.flat()), what).toBeLessThan(1e-4);
      expect(Array.from(result.argmax), what).toEqual(
        rowsOf(expectedLogits, k).map((row) => row.indexOf(Math.max(...row))),
      );
    }
  });

  it('reports progress per batch and honours a given attention mask', async () => {
    const rows = referenceRows(name);
    const n = rows.offsets.length - 1;
    const progress: number[] = [];
    const plain = await classify(model.config, rows, {
      engine: engine(),
      padTokenId: 0,
      batchSize: 2,
      onProgress: (done, total) => {
        expect(total).toBe(n);
        progress.push(done);
      },
    });
    expect(progress).toEqual(Array.from({ length: Math.ceil(n / 2) }, (_, i) => Math.min(n, 2 * (i + 1))));
    // The last row again with three masked tokens after it: the same logits as the row alone.
    const last = rows.ids.subarray(rows.offsets[n - 1], rows.offsets[n]);
    const masked: TokenRows = {
      ids: Int32Array.from([...rows.ids, ...last, 5, 6, 7]),
      offsets: Int32Array.from([...rows.offsets, rows.offsets[n]! + last.length + 3]),
      mask: Int32Array.from([...rows.ids.map(() => 1), ...last.map(() => 1), 0, 0, 0]),
    };
    const withMask = await classify(model.config, masked, { engine: engine(), padTokenId: 0 });
    const k = model.config.numLabels;
    expect(
      maxAbsDiff(withMask.logits.subarray(n * k), plain.logits.subarray((n - 1) * k, n * k)),
    ).toBeLessThan(1e-5);
  });

  it('refuses an engine that does not compute logits, and leaks no tensor', async () => {
    const tensors = tf.memory().numTensors;
    await classify(model.config, referenceRows(name), { engine: engine(), padTokenId: 0, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(tensors);
    const features = tfjsEngine(model.params, model.config, { kind: 'features' });
    await expect(
      classify(model.config, referenceRows(name), { engine: features, padTokenId: 0 }),
    ).rejects.toThrow(/logits engine/);
  });
});
