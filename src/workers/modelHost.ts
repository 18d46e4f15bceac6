// Loading a model inside the train worker for the Model step: byte progress, the summary the page
// shows (parameters, layers, labels, load report), a short forward-pass timing for the estimates,
// and the tokenizer files handed on to the data worker.
import * as tf from '@tensorflow/tfjs-core';
import { countParameters, disposeParams, forward, loadModel, type LoadedModel } from '../core/model/index.ts';
import { currentGpuDevice } from './backend.ts';
import { explainModelError, openModelSource } from './modelSource.ts';
import type { ModelSummary, TrainCommand, TrainEvent } from './protocol.ts';

type LoadCommand = Extract<TrainCommand, { type: 'loadModel' }>;

let current: LoadedModel | null = null;

/** The model the Model step loaded, for training and prediction. */
export function currentModel(): LoadedModel | null {
  return current;
}

/** Tokens per second of one inference forward pass at batch 2 × 32, after one warm-up pass. */
async function measureForward(model: LoadedModel): Promise<number | null> {
  const batch = 2;
  const length = Math.min(32, model.config.maxPositionEmbeddings);
  try {
    const run = async () => {
      const ids = tf.fill([batch, length], 101, 'int32') as tf.Tensor2D;
      const mask = tf.ones([batch, length], 'int32') as tf.Tensor2D;
      const { lastHiddenState, logits } = forward(model.params, model.config, ids, mask, { training: false });
      await logits.data();
      tf.dispose([ids, mask, lastHiddenState, logits]);
    };
    await run();
    const start = performance.now();
    await run();
    const seconds = (performance.now() - start) / 1000;
    return seconds > 0 ? (batch * length) / seconds : null;
  } catch {
    return null; // Estimates are optional; a backend that cannot run them still trains.
  }
}

function summarize(model: LoadedModel, source: string, forwardTokensPerSec: number | null): ModelSummary {
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
    forwardTokensPerSec,
  };
}

export async function handleLoadModel(
  command: LoadCommand,
  post: (event: TrainEvent) => void,
): Promise<void> {
  const { requestId } = command;
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
    const speed = await measureForward(model);
    post({
      type: 'modelLoaded',
      requestId,
      summary: summarize(model, source.describe(), speed),
      tokenizerFiles: model.tokenizerFiles,
    });
  } catch (error) {
    post({ type: 'error', requestId, ...explainModelError(error) });
  }
}
