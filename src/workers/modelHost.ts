// Loading a model inside the train worker for the Model step: byte progress, the summary the page
// shows (parameters, layers, labels, load report), a short forward-pass timing for the estimates,
// and the tokenizer files handed on to the data worker.
import * as tf from '@tensorflow/tfjs-core';
import {
  countParameters,
  disposeParams,
  forward,
  headMadeAtLoad,
  loadModel,
  type LoadedModel,
} from '../core/model/index.ts';
import { currentGpuDevice } from './backend.ts';
import { explainModelError, openModelSource } from './modelSource.ts';
import type { ForwardTiming, ModelSummary, TrainCommand, TrainEvent } from './protocol.ts';

type LoadCommand = Extract<TrainCommand, { type: 'loadModel' }>;

let current: LoadedModel | null = null;
let currentSource = '';

/** The model the Model step loaded, for training and prediction. */
export function currentModel(): LoadedModel | null {
  return current;
}

/** Where the current model came from, as the Model step shows it. */
export function currentModelSource(): string {
  return currentSource;
}

/**
 * Times inference passes of two sizes (after a warm-up of each) and fits seconds = a + b × tokens:
 * on software or integrated GPUs the fixed cost per pass dominates small batches, on big GPUs the
 * per-token cost dominates; the estimates need both.
 */
async function measureForward(model: LoadedModel): Promise<ForwardTiming | null> {
  const limit = model.config.maxPositionEmbeddings;
  const small = { batch: 1, length: Math.min(16, limit) };
  const large = { batch: 4, length: Math.min(64, limit) };
  const pass = async ({ batch, length }: { batch: number; length: number }): Promise<number> => {
    const ids = tf.fill([batch, length], 101, 'int32') as tf.Tensor2D;
    const mask = tf.ones([batch, length], 'int32') as tf.Tensor2D;
    const start = performance.now();
    const { lastHiddenState, logits } = forward(model.params, model.config, ids, mask, { training: false });
    await logits.data();
    const seconds = (performance.now() - start) / 1000;
    tf.dispose([ids, mask, lastHiddenState, logits]);
    return seconds;
  };
  try {
    await pass(small);
    await pass(large);
    const t1 = await pass(small);
    const t2 = await pass(large);
    const tokens1 = small.batch * small.length;
    const tokens2 = large.batch * large.length;
    const secPerToken = Math.max((t2 - t1) / (tokens2 - tokens1), t2 / tokens2 / 20, 1e-9);
    const overheadSec = Math.max(0, t1 - tokens1 * secPerToken);
    return { overheadSec, secPerToken };
  } catch {
    return null; // Estimates are optional; a backend that cannot run them still trains.
  }
}

function summarize(model: LoadedModel, source: string, forwardTiming: ForwardTiming | null): ModelSummary {
  const { config } = model;
  const architectures = config.raw.architectures;
  return {
    source,
    architecture:
      Array.isArray(architectures) && typeof architectures[0] === 'string'
        ? architectures[0]
        : 'DistilBertForSequenceClassification',
    parameters: countParameters(model.params),
    layers: config.nLayers,
    dim: config.dim,
    heads: config.nHeads,
    hiddenDim: config.hiddenDim,
    vocabSize: config.vocabSize,
    maxPositionEmbeddings: config.maxPositionEmbeddings,
    labels: config.id2label,
    multiLabel: config.problemType === 'multi_label_classification',
    weightBytes: countParameters(model.params) * 4,
    report: {
      ignored: model.report.unexpected,
      missing: model.report.missing,
      reinitialised: model.report.reinitialised,
      message: model.report.message,
    },
    headMadeAtLoad: headMadeAtLoad(config, model.report),
    forwardTiming,
  };
}

export async function handleLoadModel(
  command: LoadCommand,
  post: (event: TrainEvent) => void,
): Promise<void> {
  const { requestId } = command;
  let loaded: { model: LoadedModel; source: string };
  try {
    const source = await openModelSource(command.source, (progress) =>
      post({ type: 'download', requestId, progress }),
    );
    const device = currentGpuDevice();
    const model = await loadModel(source, {
      ...(command.labels ? { labels: command.labels } : {}),
      ...(command.multiLabel !== undefined
        ? { problemType: command.multiLabel ? 'multi_label_classification' : 'single_label_classification' }
        : {}),
      ...(device ? { maxBufferBytes: device.limits.maxStorageBufferBindingSize } : {}),
    });
    if (current) disposeParams(current.params);
    current = model;
    loaded = { model, source: source.describe() };
    currentSource = loaded.source;
  } catch (error) {
    post({ type: 'error', requestId, ...explainModelError(error) });
    return;
  }
  post({
    type: 'modelLoaded',
    requestId,
    summary: summarize(loaded.model, loaded.source, null),
    // config.json too: the tokenizer takes the model's length limit from it.
    tokenizerFiles: {
      ...loaded.model.tokenizerFiles,
      'config.json': JSON.stringify(loaded.model.config.raw),
    },
  });
  const timing = await measureForward(loaded.model);
  if (current === loaded.model) post({ type: 'modelTiming', source: loaded.source, timing });
}
