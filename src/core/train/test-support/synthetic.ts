// A small random DistilBERT and a learnable synthetic data set, for training-loop tests.
import { afterEach } from 'vitest';
import { disposeParams, initParams, parseConfig } from '../../model/index.ts';
import { createRng } from '../../util/random.ts';
import type { EncodedDataset, EncodedSplit } from '../data.ts';
import type { TrainModel } from '../trainer/index.ts';

export const SYNTHETIC_LABELS = ['alpha', 'beta', 'gamma'];
const VOCAB = 64;
// Tokens 5–34: ten "signal" tokens per class; 35–63: noise.
const signal = (label: number, pick: number) => 5 + label * 10 + (pick % 10);

export function syntheticModel(
  options: { multiLabel?: boolean; seed?: number; layers?: number } = {},
): TrainModel {
  const config = parseConfig({
    model_type: 'distilbert',
    dim: 16,
    n_layers: options.layers ?? 2,
    n_heads: 2,
    hidden_dim: 32,
    vocab_size: VOCAB,
    max_position_embeddings: 64,
    id2label: Object.fromEntries(SYNTHETIC_LABELS.map((label, i) => [String(i), label])),
    problem_type: options.multiLabel ? 'multi_label_classification' : 'single_label_classification',
  });
  return { config, params: initParams(config, options.seed ?? 1) };
}

/** A maker of synthetic models for one test file; what it makes is disposed after each test. */
export function syntheticModels(): (options?: Parameters<typeof syntheticModel>[0]) => TrainModel {
  const made: TrainModel[] = [];
  afterEach(() => {
    for (const model of made.splice(0)) disposeParams(model.params);
  });
  return (options = {}) => {
    const model = syntheticModel(options);
    made.push(model);
    return model;
  };
}

function makeSplit(n: number, multiLabel: boolean, seed: string): EncodedSplit {
  const rng = createRng(seed);
  const ids: number[] = [];
  const offsets = [0];
  const k = SYNTHETIC_LABELS.length;
  const labels = multiLabel ? new Uint8Array(n * k) : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const present: number[] = [];
    if (multiLabel) {
      for (let j = 0; j < k; j++) {
        if (rng.next() < 0.4) {
          present.push(j);
          labels[i * k + j] = 1;
        }
      }
    } else {
      const label = rng.int(k);
      labels[i] = label;
      present.push(label);
    }
    const length = 4 + rng.int(17);
    const body: number[] = [];
    for (let t = 0; t < length - 2; t++) body.push(35 + rng.int(VOCAB - 35));
    for (const label of present) {
      for (let s = 0; s < 2; s++) body[rng.int(body.length)] = signal(label, rng.int(10));
    }
    ids.push(1, ...body, 2);
    offsets.push(ids.length);
  }
  return {
    ids: Int32Array.from(ids),
    offsets: Int32Array.from(offsets),
    labels,
    rows: Int32Array.from({ length: n }, (_, i) => i + 1),
  };
}

export function syntheticData(
  sizes: { train: number; validation: number; test: number },
  options: { multiLabel?: boolean; seed?: number } = {},
): EncodedDataset {
  const multiLabel = options.multiLabel ?? false;
  const seed = options.seed ?? 7;
  return {
    labels: [...SYNTHETIC_LABELS],
    multiLabel,
    maxLength: 32,
    padTokenId: 0,
    train: makeSplit(sizes.train, multiLabel, `${seed}:train`),
    validation: makeSplit(sizes.validation, multiLabel, `${seed}:validation`),
    test: makeSplit(sizes.test, multiLabel, `${seed}:test`),
  };
}
