// The ONNX Runtime engines against the tfjs forward pass (and Hugging Face's reference tensors)
// on every family's fixture checkpoints: first-token features, hidden states at every cut and logits, on
// onnxruntime-node and on onnxruntime-web's wasm build in Node, batches with and without padding.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeOrt } from '../../node/ort-runtime.ts';
import { randomIdBatch } from '../export/test-support/onnx-inputs.ts';
import { classify, disposeParams, type LoadedModel } from '../model/index.ts';
import { FIXTURES, fixture, loadFixtureModel, maxAbsDiff, ref } from '../model/test-support/fixtures.ts';
import {
  ModelGraphs,
  openForwardEngine,
  openOrtSessions,
  tfjsEngine,
  type ForwardOutput,
  type OrtRuntime,
  type TokenBatch,
} from './index.ts';

const TOLERANCE = 1e-4;

const BATCHES: { name: string; lengths: number[]; seqLength: number }[] = [
  { name: 'batch 1, no padding', lengths: [9], seqLength: 9 },
  { name: 'batch 3, mixed padding', lengths: [16, 2, 11], seqLength: 16 },
  { name: 'batch 8, every row padded', lengths: [3, 30, 14, 8, 25, 2, 27, 19], seqLength: 32 },
];

function tokenBatch(lengths: number[], seqLength: number, seed: number, vocabSize: number): TokenBatch {
  const { ids, mask } = randomIdBatch(lengths, seqLength, seed);
  return {
    ids: Int32Array.from(ids, (id) => id % vocabSize),
    mask: Int32Array.from(mask),
    batchSize: lengths.length,
    seqLength,
  };
}

/** Rows of random ids with these lengths, concatenated as classify takes them. */
function rowsFrom(lengths: number[], vocabSize: number): { ids: Int32Array; offsets: Int32Array } {
  const longest = Math.max(...lengths);
  const batch = tokenBatch(lengths, longest, 11, vocabSize);
  const offsets = Int32Array.from([
    0,
    ...lengths.map((_, i) => lengths.slice(0, i + 1).reduce((a, b) => a + b)),
  ]);
  const ids = new Int32Array(offsets[lengths.length]!);
  lengths.forEach((length, b) => ids.set(batch.ids.subarray(b * longest, b * longest + length), offsets[b]));
  return { ids, offsets };
}

const runtimes: [string, () => Promise<OrtRuntime>][] = [
  ['onnxruntime-node', async () => (await loadNodeOrt({ engine: 'onnxruntime-node', threads: 1 })).runtime!],
  [
    'onnxruntime-web wasm',
    async () => (await loadNodeOrt({ engine: 'onnxruntime-web-wasm', threads: 1 })).runtime!,
  ],
];

describe.each(FIXTURES)('%s', (name) => {
  const fx = fixture(name);
  let model: LoadedModel;
  let graphs: ModelGraphs;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadFixtureModel(fx);
    graphs = new ModelGraphs(model.config, model.params);
  });
  afterAll(() => {
    if (model) disposeParams(model.params);
  });

  const outputs = (): ForwardOutput[] => [
    { kind: 'features' },
    { kind: 'logits' },
    ...Array.from({ length: model.config.nLayers + 1 }, (_, layers) => ({ kind: 'hidden' as const, layers })),
  ];

  describe.each(runtimes)('%s', (_engineName, load) => {
    let runtime: OrtRuntime;
    beforeAll(async () => {
      runtime = await load();
    });

    it('gives the tfjs forward pass within 1e-4: features, hidden states at every cut, logits', async () => {
      for (const output of outputs()) {
        const onnx = await openForwardEngine({ runtime, ...model, graphs, output });
        const reference = tfjsEngine(model.params, model.config, output);
        try {
          for (const [i, { lengths, seqLength }] of BATCHES.entries()) {
            const batch = tokenBatch(lengths, seqLength, 7 * i + 1, model.config.vocabSize);
            const [actual, expected] = [await onnx.run(batch), await reference.run(batch)];
            const what = `${JSON.stringify(output)} on ${BATCHES[i]!.name}`;
            expect(actual.length, what).toBe(expected.length);
            expect(maxAbsDiff(actual, expected), what).toBeLessThan(TOLERANCE);
          }
        } finally {
          await onnx.dispose();
        }
      }
    });

    it("gives Hugging Face's last_hidden_state and logits of the fixture", async () => {
      const ids = ref(fx, 'input_ids');
      const mask = ref(fx, 'attention_mask');
      const [batchSize, seqLength] = ids.shape as [number, number];
      const batch: TokenBatch = {
        ids: Int32Array.from(ids.data),
        mask: Int32Array.from(mask.data),
        batchSize,
        seqLength,
      };
      const hiddenEngine = await openForwardEngine({
        runtime,
        ...model,
        graphs,
        output: { kind: 'hidden', layers: model.config.nLayers },
      });
      const logitsEngine = await openForwardEngine({ runtime, ...model, graphs, output: { kind: 'logits' } });
      try {
        const hidden = await hiddenEngine.run(batch);
        const expected = ref(fx, 'last_hidden_state').data;
        // Hugging Face computes padded positions too; compare real tokens only.
        const dim = model.config.dim;
        for (let b = 0; b < batchSize; b++) {
          for (let t = 0; t < seqLength; t++) {
            if (batch.mask[b * seqLength + t] === 0) continue;
            const at = (b * seqLength + t) * dim;
            expect(maxAbsDiff(hidden.subarray(at, at + dim), expected.subarray(at, at + dim))).toBeLessThan(
              fx.tolerances.last_hidden_state_max_abs,
            );
          }
        }
        expect(maxAbsDiff(await logitsEngine.run(batch), ref(fx, 'logits').data)).toBeLessThan(
          fx.tolerances.logits_max_abs,
        );
      } finally {
        await hiddenEngine.dispose();
        await logitsEngine.dispose();
      }
    });

    it('classifies rows as the tfjs path does within 1e-4, over repeated calls on one session', async () => {
      const { ids, offsets } = rowsFrom(
        BATCHES.flatMap((b) => b.lengths),
        model.config.vocabSize,
      );
      const rows = { ids, offsets };
      const options = { padTokenId: model.config.padTokenId, batchSize: 4 };
      const expected = await classify(model.config, rows, {
        ...options,
        engine: tfjsEngine(model.params, model.config, { kind: 'logits' }),
      });
      const before = openOrtSessions();
      const tensors = tf.memory().numTensors;
      const engine = await openForwardEngine({ runtime, ...model, graphs, output: { kind: 'logits' } });
      try {
        for (let round = 0; round < 3; round++) {
          const actual = await classify(model.config, rows, { ...options, engine });
          expect(maxAbsDiff(actual.logits, expected.logits), `round ${round}: logits`).toBeLessThan(
            TOLERANCE,
          );
          expect(maxAbsDiff(actual.probabilities, expected.probabilities)).toBeLessThan(TOLERANCE);
          expect(Array.from(actual.argmax)).toEqual(Array.from(expected.argmax));
          expect(openOrtSessions()).toBe(before + 1);
        }
      } finally {
        await engine.dispose();
      }
      expect(openOrtSessions()).toBe(before);
      expect(tf.memory().numTensors).toBe(tensors);
    });

    it('leaks no session and no tfjs tensor over repeated runs', async () => {
      const before = openOrtSessions();
      const tensors = tf.memory().numTensors;
      const batch = tokenBatch([5, 12], 12, 3, model.config.vocabSize);
      let first: Float32Array | null = null;
      for (let round = 0; round < 5; round++) {
        const engine = await openForwardEngine({ runtime, ...model, graphs, output: { kind: 'features' } });
        for (let i = 0; i < 3; i++) {
          const out = await engine.run(batch);
          first ??= out;
          expect(maxAbsDiff(out, first)).toBe(0);
        }
        expect(openOrtSessions()).toBe(before + 1);
        await engine.dispose();
        await engine.dispose();
        await expect(engine.run(batch)).rejects.toThrow(/released/);
      }
      expect(openOrtSessions()).toBe(before);
      expect(tf.memory().numTensors).toBe(tensors);
    });
  });
});
