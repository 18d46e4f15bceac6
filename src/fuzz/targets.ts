// Everything that reads bytes a user hands over, each with the samples its mutations start from.
// A target resolves (the input was acceptable) or rejects; `check.ts` judges how.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Arbitrary } from 'fast-check';
import { bytesFromArray } from '../core/csv/index.ts';
import { importDataset } from '../core/dataset/index.ts';
import { concatBytes, unzipFolder, zipFiles } from '../core/export/index.ts';
import {
  blobModelSource,
  disposeParams,
  loadModel,
  readSafetensors,
  writeSafetensors,
} from '../core/model/index.ts';
import { projectFileChunks, readProjectFile } from '../core/project/index.ts';
import { bertTokenizerJsonFromVocab, loadTokenizer } from '../core/tokenize/index.ts';
import { fixtureModelDir } from '../node/paths.ts';
import { mutatedInput } from './mutate.ts';

export interface FuzzTarget<T = Uint8Array> {
  name: string;
  /** What a user hands over that this target stands for. */
  reads: string;
  /** Inputs: mutations of valid samples. Built lazily (some read fixture files). */
  input(): Arbitrary<T>;
  run(input: T): Promise<unknown>;
  /** Runs per target in `npm test` (the fuzz script takes more). */
  testRuns: number;
}

const text = (s: string) => new TextEncoder().encode(s);
const fixture = (model: string, file: string) =>
  new Uint8Array(readFileSync(resolve(fixtureModelDir(model as never), file)));

const CSV_SAMPLES = [
  'text,label\n"Great, thanks",positive\nterrible service,negative\nok I guess,neutral\nloved it,positive\n',
  'id;review;notes;label\n1;"Très bien";"a ""quoted"" note";pos\n2;Schlecht;;neg\n3;Geht so;x;pos\n',
  'text\tlabels\nrefund please\tbilling|refund\nwhere is it\tdelivery\n\tpraise\nthanks!\tpraise\n',
  '\ufefftext,label\r\nline one,a\r\n"multi\r\nline",b\r\n=SUM(A1),a\r\n',
];

/** A zip whose central directory marks `link` as a symbolic link (UNIX mode 0120777). */
function zipWithSymlink(): Uint8Array {
  const zip = zipFiles([
    { path: 'config.json', bytes: text('{}') },
    { path: 'link', bytes: text('/etc/passwd') },
  ]);
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let at = 0; at + 46 <= zip.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const nameLength = view.getUint16(at + 28, true);
    if (new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLength)) === 'link') {
      view.setUint32(at + 38, (0o120777 << 16) >>> 0, true);
    }
  }
  return zip;
}

/** A zip with an entry named `../escape.txt` (written as `aa/…` and patched, as an attacker would). */
function zipWithTraversal(): Uint8Array {
  const zip = zipFiles([{ path: 'aa/escape.txt', bytes: text('x') }]);
  const name = text('aa/escape.txt');
  for (let at = 0; at + name.length <= zip.length; at++) {
    if (name.every((b, i) => zip[at + i] === b)) zip.set(text('..'), at);
  }
  return zip;
}

/** 64 MiB of zeros deflated into a few kilobytes. */
function zipBomb(): Uint8Array {
  return zipFiles([{ path: 'weights.txt', bytes: new Uint8Array(64 * 1024 * 1024) }]);
}

function smallSafetensors(): Uint8Array {
  return writeSafetensors([
    { name: 'a.weight', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
    { name: 'b.bias', shape: [2], data: new Float32Array([-0.5, 0.25]) },
  ]);
}

/** An 8-byte prefix claiming a header of 2^64 − 1 bytes, then a tiny header. */
function hugeHeaderLength(): Uint8Array {
  const bytes = new Uint8Array(8 + 2);
  bytes.fill(0xff, 0, 8);
  bytes.set(text('{}'), 8);
  return bytes;
}

/** Two tensors whose data_offsets overlap, the header otherwise well formed. */
function overlappingTensors(): Uint8Array {
  const header = text(
    JSON.stringify({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }),
  );
  const bytes = new Uint8Array(8 + header.length + 12);
  new DataView(bytes.buffer).setUint32(0, header.length, true);
  bytes.set(header, 8);
  return bytes;
}

function smallTokenizerJson(): Uint8Array {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', 'sat', '##s', 'on', 'mat', '.'];
  return text(JSON.stringify(bertTokenizerJsonFromVocab(vocab.join('\n'), { do_lower_case: true })));
}

const csv: FuzzTarget = {
  name: 'csv',
  reads: 'a dropped CSV or TSV file, parsed, validated and built into a dataset',
  input: () => mutatedInput(CSV_SAMPLES.map(text)),
  run: (bytes) => importDataset(bytesFromArray(bytes, 64)),
  testRuns: 300,
};

const safetensors: FuzzTarget = {
  name: 'safetensors',
  reads: "a model's weights file (header, dtypes, shapes, offsets)",
  input: () =>
    mutatedInput([
      smallSafetensors(),
      hugeHeaderLength(),
      fixture('roberta-tiny-seqcls', 'model.safetensors'),
      fixture('xlm-roberta-tiny-mlm-f16', 'model.safetensors'),
    ]),
  run: async (bytes) => readSafetensors(bytes, 'model.safetensors'),
  testRuns: 300,
};

const zip: FuzzTarget = {
  name: 'zip',
  reads: 'a zipped model folder or run folder',
  input: () =>
    mutatedInput([
      zipFiles([
        { path: 'model/config.json', bytes: text('{"model_type":"bert"}') },
        { path: 'model/model.safetensors', bytes: smallSafetensors() },
        { path: 'model/README.md', bytes: text('# A model\n'.repeat(40)) },
      ]),
      zipWithSymlink(),
      zipWithTraversal(),
      zipBomb(),
    ]),
  run: async (bytes) => unzipFolder(bytes),
  testRuns: 300,
};

const modelFolder: FuzzTarget = {
  name: 'model-folder',
  reads: "a dropped model folder's config.json, loaded with its weights",
  input: () =>
    mutatedInput([fixture('roberta-tiny-seqcls', 'config.json'), fixture('bert-tiny-seqcls', 'config.json')]),
  async run(config) {
    // The weights stay valid: their own mutations are the safetensors target's.
    const family = new TextDecoder().decode(config).includes('roberta')
      ? 'roberta-tiny-seqcls'
      : 'bert-tiny-seqcls';
    const source = blobModelSource([
      ['config.json', new Blob([config.slice()])],
      ['model.safetensors', new Blob([fixture(family, 'model.safetensors')])],
    ]);
    const loaded = await loadModel(source);
    disposeParams(loaded.params);
    return loaded.config;
  },
  testRuns: 60,
};

const tokenizer: FuzzTarget = {
  name: 'tokenizer',
  reads: "a model's tokenizer.json, loaded and used on a few texts",
  input: () => mutatedInput([smallTokenizerJson(), fixture('roberta-tiny-seqcls', 'tokenizer.json')], 4),
  async run(json) {
    const loaded = await loadTokenizer({ 'tokenizer.json': new TextDecoder().decode(json) });
    return ['the cats sat on the mat.', 'Ünïcode 😀 and   spaces', ''].map((t) =>
      loaded.encode(t, { maxLength: 16 }),
    );
  },
  testRuns: 60,
};

function projectFileSample(): Uint8Array {
  const records = {
    project: { schemaVersion: 7, data: { name: 'a.csv', blob: 'dataset-k1' } },
    activeRun: 'r1',
  };
  const runs = [{ id: 'r1', steps: { count: 1, values: new Float64Array([1, 0.5, 0.1, 0.2]) } }];
  const blobs = new Map([
    ['dataset-k1', text(CSV_SAMPLES[0]!)],
    ['run/r1/epoch-8.safetensors', smallSafetensors()],
  ]);
  return concatBytes(
    projectFileChunks({ records, runs, blobs }, { name: 'a.csv', schemaVersion: 7, exportedAt: new Date(0) }),
  );
}

const projectFile: FuzzTarget = {
  name: 'project-file',
  reads: 'a project backup opened to restore it',
  input: () => mutatedInput([projectFileSample()]),
  run: async (bytes) => readProjectFile(bytes, 7),
  testRuns: 200,
};

export const TARGETS: readonly FuzzTarget[] = [csv, safetensors, zip, modelFolder, tokenizer, projectFile];

/** Hand-made hostile inputs each target must refuse, with the message it must say. */
export function hostileSamples(): { target: FuzzTarget; name: string; input: Uint8Array; refusal: RegExp }[] {
  return [
    { target: zip, name: 'a symbolic link', input: zipWithSymlink(), refusal: /"link" is a symbolic link/ },
    {
      target: zip,
      name: 'a path out of the folder',
      input: zipWithTraversal(),
      refusal: /not a safe relative path/,
    },
    { target: zip, name: 'a zip bomb', input: zipBomb(), refusal: /would inflate \d+x/ },
    {
      target: safetensors,
      name: 'a header length of 2^64 − 1',
      input: hugeHeaderLength(),
      refusal: /exceeds the \d+-byte limit/,
    },
    {
      target: safetensors,
      name: 'overlapping tensors',
      input: overlappingTensors(),
      refusal: /overlaps the previous tensor/,
    },
  ];
}

/** tfjs must have a backend before a model loads; the cpu backend is enough to read weights. */
export async function prepareTargets(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
}
