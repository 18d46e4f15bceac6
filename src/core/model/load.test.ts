// Loading checkpoints: name mapping, head handling for new labels, sharding, sources, errors,
// and the save/load round trip through safetensors.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelDir } from '../../node/paths.ts';
import { directoryModelSource, nodeModelSource } from '../../node/model-source.ts';
import {
  blobModelSource,
  countParameters,
  disposeParams,
  forward,
  headMadeAtLoad,
  hubModelSource,
  initParams,
  loadModel,
  paramsToSafetensors,
  parseConfig,
  type CacheLike,
  type LoadedModel,
  type ModelFileSource,
} from './index.ts';
import { readSafetensors, writeSafetensors, type DecodedTensor } from './safetensors.ts';
import { fixture, maxAbsDiff, refTensor } from './test-support/fixtures.ts';

const SEQCLS = fixtureModelDir('distilbert-tiny-seqcls');
const MLM = fixtureModelDir('distilbert-tiny-mlm-f16');

const fileBytes = (dir: string, name: string) => new Uint8Array(readFileSync(join(dir, name)));

/** The files of a fixture folder as Blobs, with some replaced, added or removed. */
function folderWith(
  dir: string,
  changes: Record<string, Uint8Array<ArrayBuffer> | string | null> = {},
): ModelFileSource {
  const files = new Map<string, Blob>();
  for (const name of readdirSync(dir)) files.set(name, new Blob([fileBytes(dir, name)]));
  for (const [name, content] of Object.entries(changes)) {
    if (content === null) files.delete(name);
    else files.set(name, new Blob([content]));
  }
  return blobModelSource(files, `test folder ${dir}`);
}

function values(params: LoadedModel['params'], name: string): Float32Array {
  return params[name]!.dataSync() as Float32Array;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

const f32 = (tensors: DecodedTensor[]) =>
  tensors.map((t) => ({ name: t.name, shape: t.shape, data: Float32Array.from(t.data) }));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('loadModel', () => {
  it('loads a fine-tuned classifier completely, with its labels and tokenizer files', async () => {
    const model = await loadModel(directoryModelSource(SEQCLS));
    expect(model.report).toEqual({
      missing: [],
      unexpected: [],
      reinitialised: [],
      message: 'All weights loaded from the checkpoint.',
    });
    expect(model.config.id2label).toEqual(['negative', 'neutral', 'positive']);
    expect(headMadeAtLoad(model.config, model.report)).toEqual([]);
    expect(model.config.problemType).toBe('single_label_classification');
    expect(Object.keys(model.tokenizerFiles).sort()).toEqual([
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
    const checkpoint = readSafetensors(fileBytes(SEQCLS, 'model.safetensors'));
    expect(Object.keys(model.params).sort()).toEqual(checkpoint.map((t) => t.name).sort());
    expect(countParameters(model.params)).toBe(checkpoint.reduce((n, t) => n + t.data.length, 0));
    disposeParams(model.params);
  });

  it('loads a pretraining checkpoint: MLM head ignored and listed, classifier initialised and listed', async () => {
    const model = await loadModel(directoryModelSource(MLM), {
      labels: ['a', 'b', 'c', 'd'],
      problemType: 'multi_label_classification',
    });
    expect(model.report.unexpected.sort()).toEqual([
      'vocab_layer_norm.bias',
      'vocab_layer_norm.weight',
      'vocab_projector.bias',
      'vocab_transform.bias',
      'vocab_transform.weight',
    ]);
    expect(model.report.missing).toEqual([
      'pre_classifier.weight',
      'pre_classifier.bias',
      'classifier.weight',
      'classifier.bias',
    ]);
    expect(model.report.reinitialised).toEqual([]);
    expect(headMadeAtLoad(model.config, model.report)).toEqual(model.report.missing);
    expect(model.report.message).toMatch(/initialised for 4 labels \(a, b, c, d\)/);
    expect(model.report.message).toMatch(/Ignored 5 checkpoint tensor\(s\).*vocab_transform/);
    expect(model.config.numLabels).toBe(4);
    expect(model.config.problemType).toBe('multi_label_classification');
    expect(model.params['classifier.weight']!.shape).toEqual([4, 48]);
    // transformers' init: N(0, initializer_range) weights, zero biases.
    const weights = values(model.params, 'pre_classifier.weight');
    const mean = weights.reduce((a, b) => a + b, 0) / weights.length;
    const std = Math.sqrt(weights.reduce((a, b) => a + (b - mean) ** 2, 0) / weights.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    expect(values(model.params, 'classifier.bias').every((v) => v === 0)).toBe(true);
    disposeParams(model.params);
  });

  it('initialises a new head deterministically from the seed', async () => {
    const load = (seed: number) => loadModel(directoryModelSource(MLM), { labels: ['x', 'y'], seed });
    const [a, b, c] = await Promise.all([load(7), load(7), load(8)]);
    expect(sameBits(values(a.params, 'classifier.weight'), values(b.params, 'classifier.weight'))).toBe(true);
    expect(sameBits(values(a.params, 'classifier.weight'), values(c.params, 'classifier.weight'))).toBe(
      false,
    );
    [a, b, c].forEach((m) => disposeParams(m.params));
  });

  it('accepts a checkpoint without the distilbert. prefix (DistilBertModel) and gives the same encoder', async () => {
    const stripped = f32(readSafetensors(fileBytes(MLM, 'model.safetensors'))).map((t) => ({
      ...t,
      name: t.name.replace(/^distilbert\./, ''),
    }));
    const bare = await loadModel(folderWith(MLM, { 'model.safetensors': writeSafetensors(stripped) }), {
      labels: ['x', 'y'],
    });
    const prefixed = await loadModel(directoryModelSource(MLM), { labels: ['x', 'y'] });
    for (const name of Object.keys(prefixed.params)) {
      expect(sameBits(values(bare.params, name), values(prefixed.params, name)), name).toBe(true);
    }
    expect(bare.report.missing).toEqual(prefixed.report.missing);
    disposeParams(bare.params);
    disposeParams(prefixed.params);
  });

  describe('with the dataset labels differing from the checkpoint head', () => {
    const checkpointWeights = () =>
      new Map(readSafetensors(fileBytes(SEQCLS, 'model.safetensors')).map((t) => [t.name, t.data]));

    it.each([
      ['other names, same count', ['bad', 'ok', 'good']],
      ['another count', ['negative', 'positive']],
      ['more labels', ['negative', 'neutral', 'positive', 'mixed']],
    ])('builds a fresh classifier for %s and says so', async (_case, labels) => {
      const model = await loadModel(directoryModelSource(SEQCLS), { labels });
      expect(model.report.reinitialised).toEqual(['classifier.weight', 'classifier.bias']);
      expect(model.report.missing).toEqual([]);
      expect(model.report.message).toMatch(
        /trained for 3 labels \(negative, neutral, positive\); a new classifier was initialised/,
      );
      expect(model.config.id2label).toEqual(labels);
      expect(model.params['classifier.weight']!.shape).toEqual([labels.length, 32]);
      const original = checkpointWeights();
      // pre_classifier has the same shape for any labels, so it is kept as transformers keeps it.
      expect(
        sameBits(
          values(model.params, 'pre_classifier.weight'),
          original.get('pre_classifier.weight') as Float32Array,
        ),
      ).toBe(true);
      expect(values(model.params, 'classifier.bias').every((v) => v === 0)).toBe(true);
      disposeParams(model.params);
    });

    it('keeps the classifier when only the order differs, reordering its rows', async () => {
      const fx = fixture('distilbert-tiny-seqcls');
      const original = await loadModel(directoryModelSource(SEQCLS));
      const reordered = await loadModel(directoryModelSource(SEQCLS), {
        labels: ['positive', 'negative', 'neutral'],
      });
      expect(reordered.report.reinitialised).toEqual([]);
      expect(reordered.report.message).toMatch(/Reordered/);
      const ids = refTensor(fx, 'input_ids') as tf.Tensor2D;
      const mask = refTensor(fx, 'attention_mask') as tf.Tensor2D;
      const a = forward(original.params, original.config, ids, mask, { training: false });
      const b = forward(reordered.params, reordered.config, ids, mask, { training: false });
      const expected = tf.tidy(() => tf.gather(a.logits, tf.tensor1d([2, 0, 1], 'int32'), 1));
      expect(maxAbsDiff(b.logits.dataSync(), expected.dataSync())).toBe(0);
      tf.dispose([ids, mask, a.lastHiddenState, a.logits, b.lastHiddenState, b.logits, expected]);
      disposeParams(original.params);
      disposeParams(reordered.params);
    });

    it('keeps everything when the labels are the same', async () => {
      const model = await loadModel(directoryModelSource(SEQCLS), {
        labels: ['negative', 'neutral', 'positive'],
      });
      expect(model.report.reinitialised).toEqual([]);
      expect(model.report.message).toBe('All weights loaded from the checkpoint.');
      disposeParams(model.params);
    });
  });

  it('loads a sharded checkpoint (model.safetensors.index.json) the same as the single file', async () => {
    const tensors = f32(readSafetensors(fileBytes(SEQCLS, 'model.safetensors')));
    const first = tensors.filter((t) => t.name.includes('embeddings'));
    const second = tensors.filter((t) => !t.name.includes('embeddings'));
    const weightMap: Record<string, string> = {};
    for (const t of first) weightMap[t.name] = 'model-00001-of-00002.safetensors';
    for (const t of second) weightMap[t.name] = 'model-00002-of-00002.safetensors';
    const shard1 = writeSafetensors(first);
    const shard2 = writeSafetensors(second);
    const totalSize = tensors.reduce((n, t) => n + t.data.byteLength, 0);
    const progress: [number, number][] = [];
    const source = folderWith(SEQCLS, {
      'model.safetensors': null,
      'model.safetensors.index.json': JSON.stringify({
        metadata: { total_size: totalSize },
        weight_map: weightMap,
      }),
      'model-00001-of-00002.safetensors': shard1,
      'model-00002-of-00002.safetensors': shard2,
    });
    const sharded = await loadModel(source, { onProgress: (l, t) => void progress.push([l, t]) });
    const single = await loadModel(directoryModelSource(SEQCLS));
    for (const name of Object.keys(single.params)) {
      expect(sameBits(values(sharded.params, name), values(single.params, name)), name).toBe(true);
    }
    expect(progress.at(-1)).toEqual([
      shard1.byteLength + shard2.byteLength,
      shard1.byteLength + shard2.byteLength,
    ]);
    disposeParams(sharded.params);
    disposeParams(single.params);
  });

  it('reports byte progress while loading a single file', async () => {
    const progress: [number, number][] = [];
    const model = await loadModel(directoryModelSource(SEQCLS), {
      onProgress: (l, t) => void progress.push([l, t]),
    });
    const size = readFileSync(join(SEQCLS, 'model.safetensors')).byteLength;
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toEqual([size, size]);
    disposeParams(model.params);
  });

  describe('errors', () => {
    const tensors = () => f32(readSafetensors(fileBytes(SEQCLS, 'model.safetensors')));
    const cases: [string, () => ModelFileSource, RegExp][] = [
      [
        'a folder without config.json',
        () => folderWith(SEQCLS, { 'config.json': null }),
        /not a model repo: .* has no config\.json/,
      ],
      [
        'a GPT-2 config',
        () => folderWith(SEQCLS, { 'config.json': JSON.stringify({ model_type: 'gpt2' }) }),
        /model_type "gpt2" is not supported; the studio trains distilbert, bert, roberta, xlm-roberta/,
      ],
      [
        'an unsupported architecture',
        () =>
          folderWith(SEQCLS, {
            'config.json': JSON.stringify({ model_type: 'distilbert', architectures: ['BertForMaskedLM'] }),
          }),
        /unsupported architecture BertForMaskedLM/,
      ],
      [
        'config.json that is not JSON',
        () => folderWith(SEQCLS, { 'config.json': '{oops' }),
        /config\.json is not valid JSON/,
      ],
      [
        'no weights at all',
        () => folderWith(SEQCLS, { 'model.safetensors': null }),
        /has no weights: neither model\.safetensors nor/,
      ],
      [
        'only PyTorch weights',
        () => folderWith(SEQCLS, { 'model.safetensors': null, 'pytorch_model.bin': new Uint8Array(16) }),
        /has no model\.safetensors \(only pytorch_model\.bin\)/,
      ],
      [
        'a missing encoder weight',
        () =>
          folderWith(SEQCLS, {
            'model.safetensors': writeSafetensors(
              tensors().filter((t) => !t.name.endsWith('layer.1.ffn.lin2.bias')),
            ),
          }),
        /lacks 1 encoder weight\(s\): distilbert\.transformer\.layer\.1\.ffn\.lin2\.bias/,
      ],
      [
        'an encoder weight of the wrong shape',
        () =>
          folderWith(SEQCLS, {
            'model.safetensors': writeSafetensors(
              tensors().map((t) =>
                t.name.endsWith('layer.0.ffn.lin1.bias')
                  ? { ...t, shape: [32], data: t.data.subarray(0, 32) }
                  : t,
              ),
            ),
          }),
        /ffn\.lin1\.bias has shape \[32\], but config\.json implies \[64\]/,
      ],
      [
        'a truncated weights file',
        () =>
          folderWith(SEQCLS, {
            'model.safetensors': fileBytes(SEQCLS, 'model.safetensors').subarray(0, 100_000),
          }),
        /model\.safetensors is not a valid safetensors file: it is truncated/,
      ],
      [
        'a shard missing from the folder',
        () =>
          folderWith(SEQCLS, {
            'model.safetensors': null,
            'model.safetensors.index.json': JSON.stringify({
              weight_map: { 'classifier.bias': 'model-00001-of-00001.safetensors' },
            }),
          }),
        /shard model-00001-of-00001\.safetensors listed in model\.safetensors\.index\.json is missing/,
      ],
    ];
    it.each(cases)('explains %s', async (_case, source, message) => {
      const before = tf.memory().numTensors;
      await expect(loadModel(source())).rejects.toThrow(message);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('refuses a tensor other than the word embeddings larger than the GPU buffer limit before reading its bytes', async () => {
      const before = tf.memory().numTensors;
      // The word table would be split in row chunks (row-chunks.test.ts); the 512 × 32 positions are not.
      await expect(loadModel(directoryModelSource(SEQCLS), { maxBufferBytes: 60_000 })).rejects.toThrow(
        /distilbert\.embeddings\.position_embeddings\.weight needs 0\.07 MB in one buffer, more than this GPU allows \(0\.06 MB maxStorageBufferBindingSize\)/,
      );
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('save and load round trip', () => {
  it('writes HF names and reloads bit-exactly, including after training-like changes', async () => {
    const model = await loadModel(directoryModelSource(MLM), { labels: ['a', 'b', 'c'] });
    tf.tidy(() =>
      model.params['classifier.weight']!.assign(tf.mul(model.params['classifier.weight']!, 1.2345)),
    );
    const bytes = await paramsToSafetensors(model.params);
    const written = readSafetensors(bytes);
    expect(written.map((t) => t.name)).toEqual(Object.keys(model.params).sort());
    expect(written.every((t) => t.dtype === 'F32')).toBe(true);
    const config = JSON.stringify({ ...model.config.raw, id2label: { 0: 'a', 1: 'b', 2: 'c' } });
    const reloaded = await loadModel(
      blobModelSource([
        ['config.json', new Blob([config])],
        ['model.safetensors', new Blob([bytes])],
      ]),
    );
    expect(reloaded.report.missing).toEqual([]);
    expect(reloaded.report.unexpected).toEqual([]);
    for (const name of Object.keys(model.params)) {
      expect(sameBits(values(reloaded.params, name), values(model.params, name)), name).toBe(true);
    }
    expect(Buffer.from(await paramsToSafetensors(reloaded.params)).equals(bytes)).toBe(true);
    disposeParams(model.params);
    disposeParams(reloaded.params);
  });

  it('writes the fine-tuned fixture back to the identical tensors', async () => {
    const model = await loadModel(directoryModelSource(SEQCLS));
    const original = readSafetensors(fileBytes(SEQCLS, 'model.safetensors'));
    const written = readSafetensors(await paramsToSafetensors(model.params));
    expect(written.map((t) => t.name)).toEqual(original.map((t) => t.name).sort());
    for (const t of written) {
      const o = original.find((x) => x.name === t.name)!;
      expect(t.shape).toEqual(o.shape);
      expect(sameBits(t.data as Float32Array, o.data as Float32Array), t.name).toBe(true);
    }
    disposeParams(model.params);
  });
});

describe('initParams', () => {
  it('builds every parameter of a config without a checkpoint', () => {
    const config = parseConfig(JSON.parse(readFileSync(join(SEQCLS, 'config.json'), 'utf8')));
    const params = initParams(config, 1);
    expect(countParameters(params)).toBe(
      30522 * 32 +
        512 * 32 +
        2 * 32 +
        2 * (4 * (32 * 32 + 32) + 2 * 32 + (64 * 32 + 64) + (32 * 64 + 32) + 2 * 32) +
        32 * 32 +
        32 +
        3 * 32 +
        3,
    );
    expect(values(params, 'distilbert.embeddings.LayerNorm.weight').every((v) => v === 1)).toBe(true);
    disposeParams(params);
  });

  it('uses fixed sinusoidal position embeddings when the config asks for them', () => {
    const config = parseConfig({
      model_type: 'distilbert',
      dim: 8,
      n_heads: 2,
      n_layers: 1,
      hidden_dim: 16,
      vocab_size: 10,
      max_position_embeddings: 4,
      sinusoidal_pos_embds: true,
    });
    const params = initParams(config);
    const positions = params['distilbert.embeddings.position_embeddings.weight']!;
    expect(positions.trainable).toBe(false);
    const row1 = Array.from(positions.dataSync().subarray(8, 16));
    const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => {
      const angle = 1 / Math.pow(10000, (2 * Math.floor(j / 2)) / 8);
      return Math.fround(j % 2 === 0 ? Math.sin(angle) : Math.cos(angle));
    });
    expect(row1).toEqual(expected);
    expect(countParameters(params, true)).toBe(countParameters(params) - 32);
    disposeParams(params);
  });
});

describe('model sources', () => {
  let server: Server;
  let hubUrl: string;
  const requests: string[] = [];

  beforeAll(async () => {
    // A minimal Hub: /{owner}/{repo}/resolve/main/{file} from the fixture folders, 401 for unknown repos.
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const match = /^\/fixtures\/([\w.-]+)\/resolve\/main\/([\w.-]+)$/.exec(request.url ?? '');
      if (!match) return void response.writeHead(401).end('Repository not found');
      try {
        const bytes = readFileSync(join(fixtureModelDir(match[1] as 'distilbert-tiny-seqcls'), match[2]!));
        response.writeHead(200, { 'content-length': bytes.byteLength }).end(bytes);
      } catch {
        response.writeHead(404).end('Entry not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('loads a Hub repo id through nodeModelSource from ${hubUrl}/${repo}/resolve/main/${file}', async () => {
    const model = await loadModel(nodeModelSource('fixtures/distilbert-tiny-seqcls', hubUrl));
    expect(model.report.missing).toEqual([]);
    expect(requests).toContain('/fixtures/distilbert-tiny-seqcls/resolve/main/model.safetensors');
    disposeParams(model.params);
  });

  it('says a missing or private repo was not found', async () => {
    await expect(loadModel(nodeModelSource('someone/no-such-model', hubUrl))).rejects.toThrow(
      /someone\/no-such-model was not found on http:\/\/127\.0\.0\.1:\d+, or it is private or gated \(HTTP 401\)/,
    );
  });

  it('says when the Hub cannot be reached', async () => {
    await expect(loadModel(hubModelSource('a/b', { hubUrl: 'http://127.0.0.1:1' }))).rejects.toThrow(
      /could not reach http:\/\/127\.0\.0\.1:1 for a\/b\/config\.json/,
    );
  });

  it('serves a second load from the cache without the network', async () => {
    const store = new Map<string, Blob>();
    const cache: CacheLike = {
      async match(url) {
        const blob = store.get(url);
        return blob ? new Response(blob) : undefined;
      },
      async put(url, response) {
        store.set(url, await response.blob());
      },
    };
    const first = await loadModel(hubModelSource('fixtures/distilbert-tiny-seqcls', { hubUrl, cache }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const offline = await loadModel(
      hubModelSource('fixtures/distilbert-tiny-seqcls', {
        hubUrl,
        cache,
        fetch: () => Promise.reject(new Error('offline')),
      }),
    );
    for (const name of Object.keys(first.params)) {
      expect(sameBits(values(offline.params, name), values(first.params, name)), name).toBe(true);
    }
    disposeParams(first.params);
    disposeParams(offline.params);
  });

  it.each([
    ['a path that does not exist', './no/such/folder', /no such folder, and not a Hub repo id/],
    ['a file instead of a folder', join(SEQCLS, 'config.json'), /is a file: pass the model folder/],
  ])('nodeModelSource explains %s', (_case, value, message) => {
    expect(() => nodeModelSource(value, 'http://127.0.0.1:1')).toThrow(message);
  });

  it('directoryModelSource refuses names that escape the folder', async () => {
    await expect(
      directoryModelSource(SEQCLS).fetchFile('../distilbert-tiny-mlm-f16/config.json'),
    ).rejects.toThrow(/outside/);
  });
});
