import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureModelDir } from '../../node/paths.ts';
import { SUPPORTED_MODEL_TYPES } from './architectures.ts';
import { configToJson, parseConfig, withLabels } from './config.ts';

const fixtureConfig = (name: 'distilbert-tiny-seqcls' | 'distilbert-tiny-mlm-f16') =>
  JSON.parse(readFileSync(join(fixtureModelDir(name), 'config.json'), 'utf8')) as Record<string, unknown>;

describe('parseConfig', () => {
  it('reads the fine-tuned classifier config', () => {
    const config = parseConfig(fixtureConfig('distilbert-tiny-seqcls'));
    expect(config).toMatchObject({
      dim: 32,
      nLayers: 2,
      nHeads: 4,
      hiddenDim: 64,
      maxPositionEmbeddings: 512,
      vocabSize: 30522,
      activation: 'gelu',
      dropout: 0.1,
      attentionDropout: 0.1,
      classifierDropout: 0.2,
      sinusoidalPosEmbds: false,
      initializerRange: 0.02,
      padTokenId: 0,
      numLabels: 3,
      id2label: ['negative', 'neutral', 'positive'],
      problemType: 'single_label_classification',
    });
    expect(config.raw.transformers_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(config.raw.transformers_version).toBe(
      fixtureConfig('distilbert-tiny-seqcls').transformers_version,
    );
  });

  it("gives a config without id2label transformers' two default labels", () => {
    const config = parseConfig(fixtureConfig('distilbert-tiny-mlm-f16'));
    expect(config.id2label).toEqual(['LABEL_0', 'LABEL_1']);
    expect(config.numLabels).toBe(2);
  });

  it('orders id2label by index, whatever the key order', () => {
    const config = parseConfig({ model_type: 'distilbert', id2label: { '2': 'c', '0': 'a', '1': 'b' } });
    expect(config.id2label).toEqual(['a', 'b', 'c']);
  });

  it.each([
    [
      'a GPT-2 config',
      { model_type: 'gpt2' },
      `model_type "gpt2" is not supported; the studio trains ${SUPPORTED_MODEL_TYPES.join(', ')}`,
    ],
    ['no model_type', { dim: 768 }, 'config.json has no model_type; the studio trains distilbert'],
    ['a JSON array', [1], 'config.json is not a JSON object'],
    [
      'an unsupported architecture',
      { model_type: 'distilbert', architectures: ['RobertaForMaskedLM'] },
      'unsupported architecture RobertaForMaskedLM: expected a DistilBert* model',
    ],
    [
      'a bad activation',
      { model_type: 'distilbert', activation: 'swish' },
      'activation "swish" is not supported',
    ],
    [
      'dim not divisible by heads',
      { model_type: 'distilbert', dim: 100, n_heads: 12 },
      'dim 100 is not divisible by n_heads 12',
    ],
    [
      'a regression problem type',
      { model_type: 'distilbert', problem_type: 'regression' },
      'problem_type "regression" is not supported',
    ],
    [
      'id2label with a gap',
      { model_type: 'distilbert', id2label: { '0': 'a', '2': 'c' } },
      '"id2label" keys must be 0..1',
    ],
    [
      'num_labels disagreeing with id2label',
      { model_type: 'distilbert', num_labels: 3, id2label: { '0': 'a' } },
      'num_labels is 3 but id2label has 1',
    ],
    [
      'a negative dimension',
      { model_type: 'distilbert', n_layers: -1 },
      '"n_layers" must be a positive integer',
    ],
    ['a dropout of 1', { model_type: 'distilbert', dropout: 1 }, '"dropout" must be a number in [0, 1)'],
  ])('rejects %s', (_case, json, message) => {
    expect(() => parseConfig(json)).toThrow(message);
  });
});

describe('configToJson', () => {
  it('writes the base fields back with the new labels and the classification architecture', () => {
    const base = parseConfig(fixtureConfig('distilbert-tiny-mlm-f16'));
    const json = configToJson(withLabels(base, ['spam', 'ham', 'eggs'], 'multi_label_classification'));
    expect(json).toMatchObject({
      architectures: ['DistilBertForSequenceClassification'],
      model_type: 'distilbert',
      dim: 48,
      n_layers: 3,
      tie_weights_: true,
      transformers_version: fixtureConfig('distilbert-tiny-mlm-f16').transformers_version,
      id2label: { '0': 'spam', '1': 'ham', '2': 'eggs' },
      label2id: { spam: 0, ham: 1, eggs: 2 },
      problem_type: 'multi_label_classification',
    });
    const reparsed = parseConfig(json);
    expect(reparsed.id2label).toEqual(['spam', 'ham', 'eggs']);
    expect(reparsed.problemType).toBe('multi_label_classification');
  });

  it('leaves out local paths and the base head’s label count, and keeps every label name', () => {
    const base = parseConfig({
      ...fixtureConfig('distilbert-tiny-seqcls'),
      _name_or_path: '/home/someone/models/base',
      finetuning_task: 'sst2',
    });
    const json = configToJson(withLabels(base, ['constructor', '__proto__', 'toString']));
    expect(json).not.toHaveProperty('_name_or_path');
    expect(json).not.toHaveProperty('finetuning_task');
    expect(json).not.toHaveProperty('num_labels');
    expect(Object.entries(json.label2id as object)).toEqual([
      ['constructor', 0],
      ['__proto__', 1],
      ['toString', 2],
    ]);
    expect(parseConfig(json).id2label).toEqual(['constructor', '__proto__', 'toString']);
  });

  it('refuses duplicate or empty label sets', () => {
    const base = parseConfig(fixtureConfig('distilbert-tiny-seqcls'));
    expect(() => withLabels(base, [])).toThrow('at least one label');
    expect(() => withLabels(base, ['a', 'a'])).toThrow('unique');
  });
});
