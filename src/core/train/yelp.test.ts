// Real data: full fine-tuning of the tiny fixture DistilBERT on the UCI Yelp sentences fits the
// training split. Runs on WASM (the CLI's backend without a GPU), about half a minute on 2 cores.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../node/backend.ts';
import { directoryModelSource } from '../../node/model-source.ts';
import { dataDir, fixtureModelDir } from '../../node/paths.ts';
import { bytesFromArray } from '../csv/source.ts';
import { importDataset } from '../dataset/pipeline.ts';
import { splitDataset } from '../dataset/split.ts';
import { disposeParams, loadModel } from '../model/index.ts';
import { encodeDataset } from '../tokenize/encode.ts';
import { loadTokenizer } from '../tokenize/tokenizer.ts';
import { defaultTrainConfig } from './config.ts';
import { tfjsEngine } from '../infer/tfjs-engine.ts';
import { classify } from '../model/classify.ts';
import { scoreLogits } from './evaluate.ts';
import { trainModel } from './trainer/index.ts';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

describe('fine-tuning on real data', () => {
  it('full fine-tuning of the tiny model on yelp.csv reaches ≥ 90% training accuracy', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const dir = fixtureModelDir('distilbert-tiny-seqcls');
    const bytes = new Uint8Array(readFileSync(join(dataDir(), 'uci_sentiment', 'yelp.csv')));
    const { dataset } = await importDataset(bytesFromArray(bytes));
    const split = splitDataset(dataset, { seed: 42 });
    const tokenizer = await loadTokenizer(directoryModelSource(dir));
    // Yelp sentences average 16 tokens; 64 cuts almost none.
    const { encoded } = await encodeDataset(tokenizer, dataset, split, { maxLength: 64 });
    expect(encoded.labels).toEqual(['negative', 'positive']);
    const model = await loadModel(directoryModelSource(dir), { labels: encoded.labels, seed: 42 });
    try {
      const result = await trainModel({
        model,
        data: encoded,
        config: {
          ...defaultTrainConfig('full'),
          learningRate: 3e-3,
          batchSize: 32,
          epochs: 3,
          maxLength: 64,
        },
      });
      // The validation curve is whatever it is; it is reported, not judged.
      console.log(
        'yelp validation curve:',
        result.history
          .map(
            (h) =>
              `step ${h.step}: train ${h.train_loss?.toFixed(3)}, val ${h.eval?.loss?.toFixed(3)} / acc ${h.eval?.accuracy?.toFixed(3)}`,
          )
          .join('; '),
      );
      expect(result.history).toHaveLength(3);
      expect(result.history.every((h) => Number.isFinite(h.eval?.loss))).toBe(true);
      const { logits } = await classify(model.config, encoded.train, {
        engine: tfjsEngine(model.params, model.config, { kind: 'logits' }),
        padTokenId: encoded.padTokenId,
        maxLength: 64,
      });
      const train = scoreLogits(logits, encoded.train.labels, { labels: encoded.labels, multiLabel: false });
      console.log(
        `yelp training accuracy ${train.metrics.accuracy}, test accuracy ${result.test?.metrics.accuracy}`,
      );
      expect(train.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(result.test!.details.n).toBe(splitSizeOf(encoded.test.offsets));
    } finally {
      disposeParams(model.params);
    }
  });
});

const splitSizeOf = (offsets: Int32Array): number => offsets.length - 1;
