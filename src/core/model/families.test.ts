// Loading what the Hub holds for BERT, RoBERTa/XLM-RoBERTa and ModernBERT: bert-base-uncased's TF-era
// `LayerNorm.gamma`/`beta` names, its `cls.*` pre-training head and sharded weights; bare *Model
// checkpoints without the encoder prefix (MiniLM / sentence-transformers style); a RoBERTa MLM
// checkpoint (tied decoder left out, `lm_head.*` ignored, classification head created) and a
// stray pooler, which RobertaForSequenceClassification does not have; ModernBERT-base's MLM
// checkpoint (its prediction head kept, `decoder.*` ignored) with the Hub's older config fields.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelDir } from '../../node/paths.ts';
import { directoryModelSource } from '../../node/model-source.ts';
import { blobModelSource, disposeParams, loadModel } from './index.ts';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import { modernBertSettings } from './modernbert.ts';
import { parameterShapes } from './weights.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The fixture folder with some files replaced. */
function folderWith(dir: string, changes: Record<string, Uint8Array<ArrayBuffer> | string>) {
  const files = new Map<string, Blob>();
  for (const name of readdirSync(dir)) files.set(name, new Blob([readFileSync(join(dir, name))]));
  for (const [name, content] of Object.entries(changes)) files.set(name, new Blob([content]));
  return blobModelSource(files, `test folder ${dir}`);
}

function checkpointTensors(dir: string) {
  return readSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors')))).map((t) => ({
    name: t.name,
    shape: t.shape,
    data: Float32Array.from(t.data),
  }));
}

describe('loading BERT and RoBERTa checkpoints as the Hub stores them', () => {
  it("reads bert-base-uncased's layout: sharded, LayerNorm.gamma/beta, cls.* ignored, a new classifier", async () => {
    const dir = fixtureModelDir('bert-tiny-pretraining-f16');
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as {
      weight_map: Record<string, string>;
    };
    const keys = Object.keys(index.weight_map);
    expect(new Set(Object.values(index.weight_map)).size).toBe(2);
    expect(keys.some((key) => key.endsWith('LayerNorm.gamma'))).toBe(true);
    expect(keys.some((key) => key.startsWith('cls.predictions.'))).toBe(true);

    const model = await loadModel(directoryModelSource(dir), { labels: ['a', 'b'] });
    expect(model.config.modelType).toBe('bert');
    expect(Object.keys(model.params)).toEqual([...parameterShapes(model.config).keys()]);
    expect(model.report.missing).toEqual(['classifier.weight', 'classifier.bias']);
    expect(model.report.unexpected.length).toBeGreaterThan(0);
    expect(model.report.unexpected.every((name) => name.startsWith('cls.'))).toBe(true);
    expect(model.report.message).toMatch(/classifier\.weight, classifier\.bias were not in the checkpoint/);
    // The pretrained pooler is kept: only the label-bound classifier is new.
    const pooler = keys.find((key) => key === 'bert.pooler.dense.weight');
    expect(pooler).toBeDefined();
    disposeParams(model.params);
  });

  it('reads a bare BertModel checkpoint (no `bert.` prefix, as MiniLM-style repositories store it) like the prefixed one', async () => {
    const dir = fixtureModelDir('bert-tiny-seqcls');
    const bare = checkpointTensors(dir)
      .filter((t) => !t.name.startsWith('classifier.'))
      .map((t) => ({ ...t, name: t.name.replace(/^bert\./, '') }));
    expect(bare.some((t) => t.name === 'pooler.dense.weight')).toBe(true);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const source = folderWith(dir, {
      'model.safetensors': writeSafetensors(bare),
      'config.json': JSON.stringify({ ...config, architectures: ['BertModel'] }),
    });
    const [prefixed, unprefixed] = await Promise.all([
      loadModel(directoryModelSource(dir)),
      loadModel(source, { labels: ['negative', 'neutral', 'positive'] }),
    ]);
    expect(unprefixed.report.unexpected).toEqual([]);
    expect(unprefixed.report.missing).toEqual(['classifier.weight', 'classifier.bias']);
    for (const name of Object.keys(prefixed.params)) {
      if (name.startsWith('classifier.')) continue;
      expect(unprefixed.params[name]!.dataSync(), name).toEqual(prefixed.params[name]!.dataSync());
    }
    disposeParams(prefixed.params);
    disposeParams(unprefixed.params);
  });

  it('reads an XLM-RoBERTa MLM checkpoint: lm_head ignored, the tied decoder absent, a RobertaClassificationHead created', async () => {
    const dir = fixtureModelDir('xlm-roberta-tiny-mlm-f16');
    const names = checkpointTensors(dir).map((t) => t.name);
    expect(names).not.toContain('lm_head.decoder.weight');
    const model = await loadModel(directoryModelSource(dir), { labels: ['x', 'y', 'z'] });
    expect(model.config.modelType).toBe('xlm-roberta');
    expect(model.config.activation).toBe('gelu_new');
    expect(model.report.missing).toEqual([
      'classifier.dense.weight',
      'classifier.dense.bias',
      'classifier.out_proj.weight',
      'classifier.out_proj.bias',
    ]);
    expect(model.report.unexpected.length).toBeGreaterThan(0);
    expect(model.report.unexpected.every((name) => name.startsWith('lm_head.'))).toBe(true);
    disposeParams(model.params);
  });

  it("ignores a pooler in a RoBERTa checkpoint and keeps the classifier's dense layer when only the labels change", async () => {
    const dir = fixtureModelDir('roberta-tiny-seqcls');
    const tensors = checkpointTensors(dir);
    const dim = tensors.find((t) => t.name === 'classifier.dense.bias')!.shape[0]!;
    const withPooler = [
      ...tensors,
      { name: 'roberta.pooler.dense.weight', shape: [dim, dim], data: new Float32Array(dim * dim) },
      { name: 'roberta.pooler.dense.bias', shape: [dim], data: new Float32Array(dim) },
    ];
    const model = await loadModel(folderWith(dir, { 'model.safetensors': writeSafetensors(withPooler) }), {
      labels: ['spam', 'ham'],
    });
    expect([...model.report.unexpected].sort()).toEqual([
      'roberta.pooler.dense.bias',
      'roberta.pooler.dense.weight',
    ]);
    expect(model.report.reinitialised).toEqual(['classifier.out_proj.weight', 'classifier.out_proj.bias']);
    const dense = tensors.find((t) => t.name === 'classifier.dense.weight')!;
    expect(model.params['classifier.dense.weight']!.dataSync()).toEqual(dense.data);
    disposeParams(model.params);
  });

  it('refuses a RoBERTa sequence longer than its positions past the padding index', async () => {
    const model = await loadModel(directoryModelSource(fixtureModelDir('roberta-tiny-seqcls')));
    const { maxPositionEmbeddings, padTokenId } = model.config;
    const longest = maxPositionEmbeddings - padTokenId - 1;
    const { forward } = await import('./encoder.ts');
    const ids = tf.fill([1, longest + 1], 5, 'int32') as tf.Tensor2D;
    const mask = tf.onesLike(ids);
    expect(() => forward(model.params, model.config, ids, mask, { training: false })).toThrow(
      `sequence length ${longest + 1} exceeds the model's ${longest} positions`,
    );
    tf.dispose([ids, mask]);
    disposeParams(model.params);
  });
});

describe('loading ModernBERT checkpoints as the Hub stores them', () => {
  it("reads answerdotai/ModernBERT-base's layout: an MLM checkpoint whose prediction head the classifier keeps, older config fields", async () => {
    const dir = fixtureModelDir('modernbert-tiny-mlm-f16');
    const names = checkpointTensors(dir).map((t) => t.name);
    expect(names).not.toContain('decoder.weight');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.layer_types).toBeUndefined();
    expect(config.global_attn_every_n_layers).toBe(2);

    const model = await loadModel(directoryModelSource(dir), { labels: ['w', 'x', 'y', 'z'] });
    expect(model.config.modelType).toBe('modernbert');
    expect(modernBertSettings(model.config)).toMatchObject({
      layerTypes: ['full_attention', 'sliding_attention', 'full_attention', 'sliding_attention'],
      ropeTheta: { full_attention: 1000, sliding_attention: 50 },
      halfWindow: 3,
      pooling: 'mean',
      normBias: false,
    });
    expect(Object.keys(model.params)).toEqual([...parameterShapes(model.config).keys()]);
    expect(
      Object.keys(model.params).some((name) => name.endsWith('.bias') && name !== 'classifier.bias'),
    ).toBe(false);
    expect(model.report.missing).toEqual(['classifier.weight', 'classifier.bias']);
    expect(model.report.unexpected).toEqual(['decoder.bias']);
    const dense = checkpointTensors(dir).find((t) => t.name === 'head.dense.weight')!;
    expect(model.params['head.dense.weight']!.dataSync()).toEqual(dense.data);
    disposeParams(model.params);
  });

  it('reads a bare ModernBertModel checkpoint (no `model.` prefix) and creates the prediction head as transformers does', async () => {
    const dir = fixtureModelDir('modernbert-tiny-seqcls');
    const bare = checkpointTensors(dir)
      .filter((t) => t.name.startsWith('model.'))
      .map((t) => ({ ...t, name: t.name.replace(/^model\./, '') }));
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const source = folderWith(dir, {
      'model.safetensors': writeSafetensors(bare),
      'config.json': JSON.stringify({ ...config, architectures: ['ModernBertModel'] }),
    });
    const [prefixed, unprefixed] = await Promise.all([
      loadModel(directoryModelSource(dir)),
      loadModel(source, { labels: ['negative', 'neutral', 'positive'] }),
    ]);
    expect(unprefixed.report.unexpected).toEqual([]);
    expect(unprefixed.report.missing).toEqual([
      'head.dense.weight',
      'head.norm.weight',
      'classifier.weight',
      'classifier.bias',
    ]);
    // A new LayerNorm starts as the identity's scale.
    expect([...unprefixed.params['head.norm.weight']!.dataSync()].every((v) => v === 1)).toBe(true);
    for (const name of Object.keys(prefixed.params)) {
      if (!name.startsWith('model.')) continue;
      expect(unprefixed.params[name]!.dataSync(), name).toEqual(prefixed.params[name]!.dataSync());
    }
    disposeParams(prefixed.params);
    disposeParams(unprefixed.params);
  });

  it('refuses a configuration it does not run, in one line', async () => {
    const dir = fixtureModelDir('modernbert-tiny-seqcls');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    const cases: [Record<string, unknown>, string][] = [
      [{ classifier_pooling: 'max' }, 'config.json: classifier_pooling "max" is not supported (cls, mean)'],
      [
        { rope_parameters: { full_attention: { rope_type: 'yarn', rope_theta: 10 } } },
        'config.json: rope_type "yarn" is not supported (default only)',
      ],
      [
        { layer_types: ['full_attention'] },
        'config.json: "layer_types" must list full_attention or sliding_attention for each of the 3 layers',
      ],
    ];
    for (const [change, message] of cases) {
      await expect(
        loadModel(folderWith(dir, { 'config.json': JSON.stringify({ ...config, ...change }) })),
      ).rejects.toThrow(message);
    }
  });
});
