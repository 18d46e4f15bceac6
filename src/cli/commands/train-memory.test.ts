// The CLI says before training what the studio says before Start: a mode over WASM's 4 GiB, and
// the modes that fit, in its own flags.
import { describe, expect, it } from 'vitest';
import { parseConfig, type Params } from '../../core/model/index.ts';
import type { EncodedDataset } from '../../core/tokenize/index.ts';
import { defaultTrainConfig } from '../../core/train/index.ts';
import { FAMILY_BASES } from '../../bench/families.ts';
import { memoryWarning } from './train.ts';

const xlmr = FAMILY_BASES.find((b) => b.checkpoint === 'FacebookAI/xlm-roberta-base')!;
// The weights' sizes are all the estimate reads of the parameters: transformers' count.
const model = {
  config: parseConfig({ ...xlmr.config, id2label: { 0: 'a', 1: 'b' } }),
  params: { all: { size: 278_045_186 } } as unknown as Params,
};

function split(examples: number, length: number) {
  return {
    ids: new Int32Array(examples * length),
    offsets: Int32Array.from({ length: examples + 1 }, (_, i) => i * length),
    labels: new Int32Array(examples),
    rows: Int32Array.from({ length: examples }, (_, i) => i + 1),
  };
}

const encoded = {
  labels: ['a', 'b'],
  multiLabel: false,
  maxLength: 128,
  padTokenId: 1,
  train: split(800, 100),
  validation: split(100, 100),
  test: split(100, 100),
} as unknown as EncodedDataset;

describe('memoryWarning', () => {
  it('names full fine-tuning of xlm-roberta-base on WASM, with the modes that fit as flags', () => {
    const warning = memoryWarning(model, encoded, { ...defaultTrainConfig('full'), batchSize: 16 }, 'wasm');
    expect(warning).toMatch(
      /^--mode full needs about \d+\.\d GB here, more than the 4\.3 GB WASM can address: choose --mode top-k, about \d\.\d GB or --mode head, about \d\.\d GB, or a smaller batch or max length, a smaller model, or --backend webgpu\.$/,
    );
  });

  it('says nothing where the mode fits or the backend has no known ceiling', () => {
    expect(
      memoryWarning(model, encoded, { ...defaultTrainConfig('head'), batchSize: 16 }, 'wasm'),
    ).toBeNull();
    expect(
      memoryWarning(model, encoded, { ...defaultTrainConfig('full'), batchSize: 16 }, 'webgpu'),
    ).toBeNull();
  });
});
