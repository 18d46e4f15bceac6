// Loading a checkpoint of any registered family (architectures.ts) into tfjs variables and writing it back, with a report of what
// was used, ignored and newly initialised, in the spirit of transformers' from_pretrained.
import * as tf from '@tensorflow/tfjs-core';
import { parseConfig, withLabels, type ModelConfig, type ProblemType } from './config.ts';
import type { Params } from './encoder.ts';
import {
  isFloatDtype,
  parseShardIndex,
  readSafetensorsStream,
  safetensorsLayout,
  type SafetensorsHeader,
} from './safetensors.ts';
import type { ModelFileSource } from './source.ts';
import { architectureOf } from './architectures.ts';
import { debertaTokenizerJson } from '../tokenize/index.ts';
import { isRowChunkable, mergedParams, rowChunkName, rowRanges, rowsPerChunk } from './row-chunks.ts';
import { canonicalName, initialValue, isHeadName, parameterShapes, seededRandom } from './weights.ts';

export interface LoadOptions {
  /** The dataset's labels; a head for other labels is replaced by a fresh one. */
  labels?: string[];
  problemType?: ProblemType;
  /** Seed for newly initialised head weights (default 0). */
  seed?: number;
  /** Bytes of weights read so far and in total. */
  onProgress?(loadedBytes: number, totalBytes: number): void;
  /** Largest tensor the backend can hold in one buffer (WebGPU maxStorageBufferBindingSize). */
  maxBufferBytes?: number;
}

export interface LoadReport {
  /** Parameters the checkpoint lacked, initialised as transformers does. */
  missing: string[];
  /** Checkpoint tensors the classifier does not use (e.g. the MLM head), ignored. */
  unexpected: string[];
  /** Parameters the checkpoint had but that were replaced, because the labels changed. */
  reinitialised: string[];
  /** What happened, in sentences for the user. */
  message: string;
}

export interface LoadedModel {
  config: ModelConfig;
  params: Params;
  report: LoadReport;
  /** Tokenizer files found beside the weights, by file name (text content). */
  tokenizerFiles: Record<string, string>;
}

export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.txt',
  'special_tokens_map.json',
];

async function fetchOk(source: ModelFileSource, name: string): Promise<Response | null> {
  const response = await source.fetchFile(name);
  if (response && !response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`${source.describe()}: ${name} could not be read (HTTP ${response.status})`);
  }
  return response;
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB`;

function listNames(names: string[], limit = 6): string {
  return names.length <= limit
    ? names.join(', ')
    : `${names.slice(0, limit).join(', ')} and ${names.length - limit} more`;
}

/** Reads config.json, the safetensors weights (single or sharded) and the tokenizer files. */
export async function loadModel(source: ModelFileSource, opts: LoadOptions = {}): Promise<LoadedModel> {
  const configResponse = await fetchOk(source, 'config.json');
  if (!configResponse) throw new Error(`not a model repo: ${source.describe()} has no config.json`);
  let configJson: unknown;
  try {
    configJson = JSON.parse(await configResponse.text());
  } catch {
    throw new Error(`${source.describe()}: config.json is not valid JSON`);
  }
  const checkpointConfig = parseConfig(configJson);
  const tokenizerFiles: Record<string, string> = {};
  for (const name of TOKENIZER_FILES) {
    const response = await fetchOk(source, name);
    if (response) tokenizerFiles[name] = await response.text();
  }
  const tokenizerNotes: string[] = [];
  if (!tokenizerFiles['tokenizer.json'] && checkpointConfig.modelType === 'deberta-v2') {
    // The Hub's DeBERTa-v3 repositories hold only the SentencePiece model.
    const spm = await fetchOk(source, 'spm.model');
    if (spm) {
      let tokenizerConfig: Record<string, unknown>;
      try {
        tokenizerConfig = JSON.parse(tokenizerFiles['tokenizer_config.json'] ?? '{}') as Record<
          string,
          unknown
        >;
      } catch {
        throw new Error(`${source.describe()}: tokenizer_config.json is not valid JSON`);
      }
      const converted = debertaTokenizerJson(new Uint8Array(await spm.arrayBuffer()), tokenizerConfig);
      tokenizerFiles['tokenizer.json'] = JSON.stringify(converted);
      tokenizerNotes.push(
        'tokenizer.json was made from spm.model, as transformers’ DebertaV2Tokenizer builds it.',
      );
    }
  }

  const checkpointShapes = parameterShapes(checkpointConfig);
  const known = new Set(checkpointShapes.keys());
  // A table over the binding limit arrives as its row chunks (row-chunks.ts), in row order.
  const loaded = new Map<string, tf.Tensor | tf.Tensor[]>();
  const chunkRows = new Map<string, number>();
  const unexpected: string[] = [];
  const mismatchedHead: string[] = [];
  const seen = new Set<string>();

  const inspectHeader = (file: string) => (header: SafetensorsHeader) => {
    for (const info of header.tensors) {
      const name = canonicalName(checkpointConfig, info.name, known);
      if (!name) continue;
      if (!isFloatDtype(info.dtype)) {
        throw new Error(
          `${file}: weight ${info.name} has dtype ${info.dtype}, expected a floating-point type`,
        );
      }
      const expected = checkpointShapes.get(name)!;
      const matches = expected.length === info.shape.length && expected.every((d, i) => d === info.shape[i]);
      if (!matches && !isHeadName(checkpointConfig, name)) {
        throw new Error(
          `${file}: weight ${info.name} has shape [${info.shape.join(', ')}], but config.json implies [${expected.join(', ')}]`,
        );
      }
      if (!matches) mismatchedHead.push(name);
      const floatBytes = info.shape.reduce((a, b) => a * b, 1) * 4;
      if (opts.maxBufferBytes !== undefined && floatBytes > opts.maxBufferBytes) {
        if (isRowChunkable(name) && info.shape.length === 2) {
          chunkRows.set(name, rowsPerChunk(info.shape[1]!, opts.maxBufferBytes));
          continue;
        }
        throw new Error(
          `${info.name} needs ${megabytes(floatBytes)} in one buffer, more than this GPU allows (${megabytes(opts.maxBufferBytes)} maxStorageBufferBindingSize)`,
        );
      }
    }
  };

  const readFile = async (
    file: string,
    response: Response,
    progress?: (loaded: number, total: number) => void,
  ): Promise<void> => {
    await readSafetensorsStream(response, {
      what: file,
      onHeader: inspectHeader(file),
      include: (info) => {
        const name = canonicalName(checkpointConfig, info.name, known);
        if (!name) {
          unexpected.push(info.name);
          return false;
        }
        if (seen.has(name)) throw new Error(`${file}: weight ${name} appears twice in the checkpoint`);
        seen.add(name);
        return !mismatchedHead.includes(name);
      },
      onTensor: (tensor) => {
        const name = canonicalName(checkpointConfig, tensor.name, known)!;
        const data = tensor.data as Float32Array;
        const perChunk = chunkRows.get(name);
        if (perChunk === undefined) {
          loaded.set(name, tf.tensor(data, tensor.shape, 'float32'));
          return;
        }
        const dim = tensor.shape[1]!;
        loaded.set(
          name,
          rowRanges(tensor.shape[0]!, perChunk).map(([start, end]) =>
            tf.tensor(data.subarray(start * dim, end * dim), [end - start, dim], 'float32'),
          ),
        );
      },
      ...(progress ? { onProgress: progress } : {}),
    });
  };

  try {
    const single = await fetchOk(source, 'model.safetensors');
    if (single) {
      await readFile('model.safetensors', single, opts.onProgress);
    } else {
      const indexResponse = await fetchOk(source, 'model.safetensors.index.json');
      if (!indexResponse) throw await missingWeightsError(source);
      let indexJson: unknown;
      try {
        indexJson = JSON.parse(await indexResponse.text());
      } catch {
        throw new Error(`${source.describe()}: model.safetensors.index.json is not valid JSON`);
      }
      const index = parseShardIndex(indexJson);
      let done = 0;
      let estimate = index.totalSize ?? 0;
      for (const file of index.files) {
        const response = await fetchOk(source, file);
        if (!response)
          throw new Error(
            `${source.describe()}: shard ${file} listed in model.safetensors.index.json is missing`,
          );
        let shardTotal = 0;
        await readFile(file, response, (loadedBytes, totalBytes) => {
          shardTotal = totalBytes;
          estimate = Math.max(estimate, done + totalBytes);
          opts.onProgress?.(done + loadedBytes, estimate);
        });
        done += shardTotal;
      }
      const absent = Object.keys(index.weightMap).filter((key) => {
        const name = canonicalName(checkpointConfig, key, known);
        return name ? !seen.has(name) : !unexpected.includes(key);
      });
      if (absent.length > 0) {
        throw new Error(
          `${source.describe()}: tensors listed in the index are not in their shards: ${listNames(absent)}`,
        );
      }
    }
    const model = assemble(checkpointConfig, loaded, unexpected, mismatchedHead, opts, tokenizerFiles);
    if (tokenizerNotes.length > 0) {
      model.report.message = [model.report.message, ...tokenizerNotes].join(' ');
    }
    return model;
  } catch (error) {
    for (const tensor of loaded.values()) tf.dispose(tensor);
    throw error;
  }
}

async function missingWeightsError(source: ModelFileSource): Promise<Error> {
  for (const other of ['pytorch_model.bin', 'tf_model.h5', 'onnx/model.onnx']) {
    const response = await source.fetchFile(other).catch(() => null);
    if (response) {
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) {
        // Pickled weights can run code when read: the studio reads safetensors only, and names
        // the revision that has them when the Hub knows one.
        const revision = await source.safetensorsRevision?.().catch(() => null);
        return new Error(
          `${source.describe()} has no model.safetensors (only ${other}); the studio reads safetensors weights only` +
            (revision
              ? `: load ${revision}, the open pull request that adds model.safetensors`
              : ': load a revision that has model.safetensors as owner/name@revision (on the Hugging Face Hub often a pull request, owner/name@refs/pr/N)'),
        );
      }
    }
  }
  return new Error(
    `${source.describe()} has no weights: neither model.safetensors nor model.safetensors.index.json`,
  );
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, i) => label === b[i]);
}

/** Turns loaded tensors into variables, building or reusing the head for the requested labels. */
function assemble(
  checkpointConfig: ModelConfig,
  loaded: Map<string, tf.Tensor | tf.Tensor[]>,
  unexpected: string[],
  mismatchedHead: string[],
  opts: LoadOptions,
  tokenizerFiles: Record<string, string>,
): LoadedModel {
  const labels = opts.labels ?? checkpointConfig.id2label;
  const config = withLabels(checkpointConfig, labels, opts.problemType);
  const shapes = parameterShapes(config);
  const notes: string[] = [];
  const reinitialised: string[] = [];

  const architecture = architectureOf(config);
  const labelHead = architecture.labelHeadNames;
  const isHead = (name: string) => isHeadName(config, name);
  const hasClassifier = labelHead.every((name) => loaded.has(name));
  if (hasClassifier && opts.labels && !sameLabels(opts.labels, checkpointConfig.id2label)) {
    const old = checkpointConfig.id2label;
    const sameSet = old.length === labels.length && labels.every((label) => old.includes(label));
    if (sameSet) {
      // The same classes in another order: reorder the classifier's rows instead of discarding them.
      const order = tf.tensor1d(
        labels.map((label) => old.indexOf(label)),
        'int32',
      );
      for (const name of labelHead) {
        const head = loaded.get(name) as tf.Tensor;
        const reordered = tf.gather(head, order);
        head.dispose();
        loaded.set(name, reordered);
      }
      order.dispose();
      notes.push(`Reordered the checkpoint's classifier rows to the labels' order (${labels.join(', ')}).`);
    } else {
      for (const name of labelHead) {
        tf.dispose(loaded.get(name)!);
        loaded.delete(name);
        reinitialised.push(name);
      }
      notes.push(
        `The checkpoint's classifier was trained for ${old.length} labels (${listNames(old)}); ` +
          `a new classifier was initialised for your ${labels.length} labels (${listNames(labels)}), ` +
          `as transformers does with ignore_mismatched_sizes.`,
      );
    }
  }
  for (const name of mismatchedHead) {
    if (!reinitialised.includes(name)) reinitialised.push(name);
  }
  if (mismatchedHead.length > 0 && !opts.labels) {
    notes.push(
      `The checkpoint's ${listNames(mismatchedHead)} did not match config.json and were re-initialised.`,
    );
  }

  const isFixedPositions = (name: string) =>
    name.endsWith('position_embeddings.weight') && config.sinusoidalPosEmbds;
  const absentEncoder = [...shapes.keys()].filter(
    (name) => !loaded.has(name) && !isHead(name) && !isFixedPositions(name),
  );
  const chunked = [...loaded].flatMap(([name, value]) =>
    Array.isArray(value) ? [[name, value.length] as const] : [],
  );
  const random = seededRandom(opts.seed ?? 0);
  const missing: string[] = [];
  const params: Params = {};
  try {
    for (const [name, shape] of shapes) {
      const isPositions = name.endsWith('position_embeddings.weight');
      let tensor = loaded.get(name);
      if (!tensor) {
        const optional = isHead(name) || (isPositions && config.sinusoidalPosEmbds);
        if (!optional) {
          throw new Error(
            `the checkpoint lacks ${absentEncoder.length} encoder weight(s): ${listNames(absentEncoder)} (is it a ${architecture.displayName} checkpoint?)`,
          );
        }
        if (!reinitialised.includes(name)) missing.push(name);
        tensor = tf.tensor(initialValue(name, shape, config, random), shape, 'float32');
      }
      loaded.delete(name);
      if (Array.isArray(tensor)) {
        for (const [index, part] of tensor.entries()) {
          params[rowChunkName(name, index)] = tf.variable(part, true);
          part.dispose();
        }
        continue;
      }
      // Sinusoidal position embeddings are fixed in transformers (requires_grad=False).
      params[name] = tf.variable(tensor, !(isPositions && config.sinusoidalPosEmbds));
      tensor.dispose();
    }
  } catch (error) {
    disposeParams(params);
    throw error;
  }

  for (const [name, parts] of chunked) {
    notes.push(
      `${name} is larger than this GPU binds in one buffer (${megabytes(opts.maxBufferBytes ?? 0)}) and is held in ${parts} row chunks.`,
    );
  }
  const newHead = missing.filter(isHead);
  if (newHead.length > 0) {
    notes.push(
      `${listNames(newHead)} ${newHead.length === 1 ? 'was' : 'were'} not in the checkpoint and ` +
        `${newHead.length === 1 ? 'was' : 'were'} initialised for ${labels.length} labels (${listNames(labels)}); train before use.`,
    );
  }
  const otherMissing = missing.filter((name) => !isHead(name));
  if (otherMissing.length > 0) notes.push(`Computed ${listNames(otherMissing)} (sinusoidal positions).`);
  if (unexpected.length > 0) {
    notes.push(
      `Ignored ${unexpected.length} checkpoint tensor(s) the classifier does not use: ${listNames(unexpected)}.`,
    );
  }
  if (notes.length === 0) notes.push('All weights loaded from the checkpoint.');
  return {
    config,
    params,
    report: { missing, unexpected, reinitialised, message: notes.join(' ') },
    tokenizerFiles,
  };
}

/** Every parameter freshly initialised as transformers does (benchmarks, tests, from-scratch). */
export function initParams(config: ModelConfig, seed = 0): Params {
  const random = seededRandom(seed);
  const params: Params = {};
  for (const [name, shape] of parameterShapes(config)) {
    const value = tf.tensor(initialValue(name, shape, config, random), shape, 'float32');
    const fixed = name.endsWith('position_embeddings.weight') && config.sinusoidalPosEmbds;
    params[name] = tf.variable(value, !fixed);
    value.dispose();
  }
  return params;
}

/**
 * The parameters as a float32 safetensors file with Hugging Face names, loadable by transformers'
 * DistilBertForSequenceClassification. Builds the file in one buffer, reading one tensor at a time.
 */
export async function paramsToSafetensors(
  params: Params,
  metadata?: Record<string, string>,
): Promise<Uint8Array<ArrayBuffer>> {
  const tensors = new Map(mergedParams(params).map((tensor) => [tensor.name, tensor]));
  const layout = safetensorsLayout(
    [...tensors.values()].map(({ name, shape }) => ({ name, shape })),
    metadata,
  );
  const out = new Uint8Array(layout.byteLength);
  out.set(layout.prefix, 0);
  for (const { name, offset } of layout.entries) {
    const data = await tensors.get(name)!.read();
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
  }
  return out;
}

export function disposeParams(params: Params): void {
  for (const variable of Object.values(params)) variable.dispose();
}

export function countParameters(params: Params, trainableOnly = false): number {
  return Object.values(params).reduce((sum, v) => sum + (trainableOnly && !v.trainable ? 0 : v.size), 0);
}
