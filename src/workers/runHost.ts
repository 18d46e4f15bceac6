// Training runs inside the train worker: each run trains its own copy of the model the Model step
// loaded (so runs never disturb each other or the base), streams the loop's events tagged with
// its id, sends checkpoints out for persistence, and keeps every finished run's trained weights
// so the playground and the export can use any run.
import * as tf from '@tensorflow/tfjs-core';
import {
  buildExportZipChunks,
  buildRunFolderZipChunks,
  namedTensorsFromParams,
  type ExportInput,
} from '../core/export/index.ts';
import { greaterIsBetter } from '../core/metrics/index.ts';
import {
  classifierHead,
  encode,
  firstToken,
  withLabels,
  type DistilBertConfig,
  type LoadedModel,
  type Params,
} from '../core/model/index.ts';
import { readSafetensors, writeSafetensors } from '../core/model/safetensors.ts';
import { initialValue, isHeadName, parameterShapes, seededRandom } from '../core/model/weights.ts';
import { metricKey, toTrainingArguments, type TrainConfig } from '../core/train/config.ts';
import { padBatch, splitSize, type EncodedDataset } from '../core/train/data.ts';
import type { TrainEvent as LoopEvent } from '../core/train/events.ts';
import { TrainController, trainableParams } from '../core/train/trainer.ts';
import { browserFeatureCache } from './featureCacheSpill.ts';
import { currentModel } from './modelHost.ts';
import { resumedConfig } from './resume.ts';
import {
  errorMessage,
  type RunExportRequest,
  type RunOutcome,
  type TrainCommand,
  type TrainEvent,
} from './protocol.ts';

type Post = (event: TrainEvent) => void;
type TrainRequest = Extract<TrainCommand, { type: 'train' }>;

/** A run's trained weights on the CPU: only the parameters it trained (the rest are the base's). */
interface RunWeights {
  labels: string[];
  multiLabel: boolean;
  config: TrainConfig;
  weights: Map<string, Float32Array>;
}

interface DeviceModel {
  runId: string;
  config: DistilBertConfig;
  params: Params;
}

const finished = new Map<string, RunWeights>();
let training: { runId: string; controller: TrainController; model: DeviceModel; config: TrainConfig } | null =
  null;
/** The run whose weights are on the device for predictions and export (not training). */
let resident: DeviceModel | null = null;

function baseModel(): LoadedModel {
  const base = currentModel();
  if (!base) throw new Error('No model is loaded. Load one in the Model step first.');
  return base;
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, i) => label === b[i]);
}

/**
 * A fresh set of variables for a run: the base model's weights, a classification head for the
 * run's labels (the base's own when its labels match, else a new one seeded by the run's seed),
 * and `overrides` (a run's trained weights) on top.
 */
function buildModel(
  runId: string,
  labels: string[],
  multiLabel: boolean,
  seed: number,
  overrides?: Map<string, Float32Array>,
): DeviceModel {
  const base = baseModel();
  const problemType = multiLabel ? 'multi_label_classification' : 'single_label_classification';
  const config = withLabels(base.config, labels, problemType);
  const keepHead = sameLabels(base.config.id2label, labels);
  const random = seededRandom(seed);
  const params: Params = {};
  try {
    for (const [name, shape] of parameterShapes(config)) {
      const baseParam = base.params[name];
      const trainable = baseParam?.trainable ?? true;
      const override = overrides?.get(name);
      let value: tf.Tensor;
      if (override) {
        value = tf.tensor(override, shape, 'float32');
      } else if (baseParam && (keepHead || !isHeadName(name))) {
        value = tf.clone(baseParam);
      } else {
        value = tf.tensor(initialValue(name, shape, config, random), shape, 'float32');
      }
      params[name] = tf.variable(value, trainable);
      value.dispose();
    }
  } catch (error) {
    tf.dispose(Object.values(params));
    throw error;
  }
  return { runId, config, params };
}

function disposeModel(model: DeviceModel | null): void {
  if (model) tf.dispose(Object.values(model.params));
}

/** Safetensors bytes of a run's weights, shaped by the run's own model (its head has its labels). */
function encodeWeights(
  weights: Map<string, Float32Array> | Record<string, Float32Array>,
  config: DistilBertConfig,
): Uint8Array {
  const entries = weights instanceof Map ? [...weights] : Object.entries(weights);
  const shapes = parameterShapes(config);
  return writeSafetensors(
    entries.map(([name, data]) => ({ name, shape: shapes.get(name) ?? [data.length], data })),
    { format: 'pt' },
  );
}

function decodeWeights(bytes: Uint8Array): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const tensor of readSafetensors(bytes, 'run checkpoint')) {
    out.set(tensor.name, tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data));
  }
  return out;
}

/**
 * Copies the trainable variables on the device right now (a cheap GPU copy, so the loop can go
 * on at once) and reads the copies back in the background.
 */
function snapshot(model: DeviceModel, config: TrainConfig): Promise<Map<string, Float32Array>> {
  const trainable = trainableParams(model.params, config, model.config.nLayers);
  const copies = Object.entries(trainable).map(([name, variable]) => [name, tf.clone(variable)] as const);
  return (async () => {
    const out = new Map<string, Float32Array>();
    try {
      for (const [name, copy] of copies) out.set(name, (await copy.data()) as Float32Array);
    } finally {
      tf.dispose(copies.map(([, copy]) => copy));
    }
    return out;
  })();
}

/** Loop events with step and epoch shifted by where a resumed run started. */
function shifted(event: LoopEvent, steps: number, epochs: number): LoopEvent {
  if (steps === 0 && epochs === 0) return event;
  switch (event.type) {
    case 'step':
      return {
        ...event,
        step: event.step + steps,
        totalSteps: event.totalSteps + steps,
        epoch: event.epoch + epochs,
      };
    case 'eval':
      return {
        ...event,
        step: event.step + steps,
        epoch: event.epoch + epochs,
        report: { ...event.report, step: event.report.step + steps, epoch: event.report.epoch + epochs },
      };
    case 'epoch':
      return { ...event, step: event.step + steps, epoch: event.epoch + epochs };
    case 'state':
    case 'command':
    case 'notice':
      return { ...event, step: event.step + steps };
    case 'start':
      return { ...event, totalSteps: event.totalSteps + steps, epochs: event.epochs + epochs };
    case 'done':
      return {
        ...event,
        best: event.best
          ? { ...event.best, step: event.best.step + steps, epoch: event.best.epoch + epochs }
          : null,
        history: event.history.map((h) => ({ ...h, step: h.step + steps, epoch: h.epoch + epochs })),
      };
    default:
      return event;
  }
}

/** The data worker's splits in the shape the training loop reads. */
function toCoreDataset(data: TrainRequest['data']): EncodedDataset {
  return {
    labels: data.labels,
    multiLabel: data.multiLabel,
    maxLength: data.maxLength,
    padTokenId: data.padTokenId,
    train: data.splits.train,
    validation: data.splits.validation,
    test: data.splits.test,
  };
}

export async function startRun(command: TrainRequest, post: Post): Promise<void> {
  const { runId, data, resume } = command;
  if (training) {
    post({
      type: 'error',
      runId,
      message: `${training.runId === runId ? 'This run' : 'Another run'} is already training.`,
      hint: 'Stop it first, or wait until it finishes.',
    });
    return;
  }
  let model: DeviceModel | null = null;
  try {
    // Free the device for training: a resident model for predictions is rebuilt when needed.
    disposeModel(resident);
    resident = null;
    const trainExamples = splitSize(data.splits.train);
    const config = resume ? resumedConfig(command.config, resume, trainExamples) : command.config;
    model = buildModel(
      runId,
      data.labels,
      data.multiLabel,
      command.config.seed,
      resume ? decodeWeights(resume.weights) : undefined,
    );
    const controller = new TrainController({
      model: { config: model.config, params: model.params },
      data: toCoreDataset(data),
      config,
      featureCache: browserFeatureCache(runId, (message, level) =>
        post({ type: 'run', runId, event: { type: 'notice', level, step: resume?.step ?? 0, message } }),
      ),
    });
    training = { runId, controller, model, config };
    const stepOffset = resume?.step ?? 0;
    const epochOffset = resume?.epoch ?? 0;
    const running = model;
    let bestSoFar = resume?.best ? { ...resume.best } : null;
    const greater = greaterIsBetter(metricKey(config.metricForBestModel));
    const checkpointFailed = (error: unknown, step: number) =>
      post({
        type: 'run',
        runId,
        event: {
          type: 'notice',
          level: 'warning',
          step,
          message: `A checkpoint could not be taken: ${errorMessage(error)}`,
        },
      });
    controller.on((raw) => {
      const event = shifted(raw, stepOffset, epochOffset);
      if (event.type === 'eval' && event.isBest) {
        const value = event.report.metrics[metricKey(config.metricForBestModel)];
        // A resumed run's first evaluations must beat the best from before the interruption.
        const beats =
          !bestSoFar ||
          (value !== undefined && (greater ? value > bestSoFar.value : value < bestSoFar.value));
        if (beats) {
          bestSoFar = null;
          const { step, epoch } = event;
          void snapshot(running, config)
            .then((weights) =>
              post({
                type: 'checkpoint',
                runId,
                checkpoint: { kind: 'best', step, epoch, weights: encodeWeights(weights, running.config) },
              }),
            )
            .catch((error: unknown) => checkpointFailed(error, step));
        }
      }
      if (event.type === 'epoch') {
        const { step, epoch } = event;
        void snapshot(running, config)
          .then((weights) =>
            post({
              type: 'checkpoint',
              runId,
              checkpoint: { kind: 'epoch', step, epoch, weights: encodeWeights(weights, running.config) },
            }),
          )
          .catch((error: unknown) => checkpointFailed(error, step));
      }
      if (event.type === 'done' || event.type === 'error') return; // reported below, with the outcome
      post({ type: 'run', runId, event });
    });
    if (resume) {
      post({
        type: 'run',
        runId,
        event: {
          type: 'notice',
          level: 'info',
          step: resume.step,
          message: `Resumed from the checkpoint at step ${resume.step} (epoch ${resume.epoch}): weights restored; the optimizer starts afresh for the remaining ${config.epochs} epoch(s).`,
        },
      });
    }
    const result = await controller.run();
    const weights = result.checkpoint ? new Map(Object.entries(result.checkpoint)) : null;
    if (weights) {
      finished.set(runId, {
        labels: data.labels,
        multiLabel: data.multiLabel,
        config: result.config,
        weights,
      });
    }
    const outcome: RunOutcome = {
      reason: result.reason,
      message: result.message,
      best: result.best
        ? { ...result.best, step: result.best.step + stepOffset, epoch: result.best.epoch + epochOffset }
        : null,
      validation: result.validation?.metrics ?? null,
      test: result.test?.metrics ?? null,
      testPredictions: result.testPredictions
        ? {
            rows: result.testPredictions.rows,
            labels: result.testPredictions.labels,
            probabilities: result.testPredictions.probabilities,
          }
        : null,
      thresholds: result.thresholds,
      weights: weights ? encodeWeights(weights, model.config) : null,
      config: { ...result.config, epochs: command.config.epochs },
      notices: result.notices,
    };
    training = null;
    if (result.reason === 'device_lost') {
      disposeModel(model);
    } else {
      // The variables hold the kept weights: keep them on the device for the playground.
      resident = model;
    }
    model = null;
    post({ type: 'finished', runId, outcome });
  } catch (error) {
    training = null;
    disposeModel(model);
    post({ type: 'error', runId, message: `Training stopped: ${errorMessage(error)}`, hint: hintFor(error) });
  }
}

function hintFor(error: unknown): string {
  const message = errorMessage(error);
  if (/out of memory/i.test(message))
    return 'Try head-only or fewer layers, a smaller batch or a shorter max length.';
  if (/labels?/i.test(message)) return 'Load the model again in the Model step after confirming the columns.';
  return 'Check the settings and start again; the earlier runs are kept.';
}

export function controlRun(runId: string, action: 'pause' | 'resume' | 'stop' | { lr: number }): void {
  if (!training || training.runId !== runId) return;
  if (action === 'pause') training.controller.pause();
  else if (action === 'resume') training.controller.resume();
  else if (action === 'stop') training.controller.stop();
  else training.controller.setLr(action.lr);
}

export function attachRun(command: Extract<TrainCommand, { type: 'attachRun' }>): void {
  finished.set(command.runId, {
    labels: command.labels,
    multiLabel: command.multiLabel,
    config: command.config,
    weights: decodeWeights(command.weights),
  });
  if (resident?.runId === command.runId) {
    disposeModel(resident);
    resident = null;
  }
}

export function dropRun(runId: string): void {
  finished.delete(runId);
  if (resident?.runId === runId) {
    disposeModel(resident);
    resident = null;
  }
}

/** Runs `use` with the run's weights on the device: the training copy, the resident one, or a fresh build. */
async function withRunModel<T>(
  runId: string,
  use: (model: DeviceModel, labels: string[], multiLabel: boolean) => Promise<T>,
): Promise<T> {
  if (training?.runId === runId) {
    const config = training.model.config;
    return use(training.model, config.id2label, config.problemType === 'multi_label_classification');
  }
  const run = finished.get(runId);
  if (!run) throw new Error('This run has no trained weights in memory; open it again after it finishes.');
  if (resident?.runId !== runId) {
    const model = buildModel(runId, run.labels, run.multiLabel, run.config.seed, run.weights);
    if (training) {
      // A training holds the device: use a temporary copy and free it straight away.
      try {
        return await use(model, run.labels, run.multiLabel);
      } finally {
        disposeModel(model);
      }
    }
    disposeModel(resident);
    resident = model;
  }
  return use(resident!, run.labels, run.multiLabel);
}

export async function predict(
  runId: string,
  ids: Int32Array,
  offsets: Int32Array,
): Promise<{ probabilities: Float32Array; numLabels: number }> {
  return withRunModel(runId, async (model, labels, multiLabel) => {
    const n = offsets.length - 1;
    const split = { ids, offsets, labels: new Int32Array(n), rows: new Int32Array(n) };
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const padded = padBatch(split, rows, model.config.padTokenId, model.config.maxPositionEmbeddings);
    const probabilities = tf.tidy(() => {
      const inputIds = tf.tensor2d(padded.ids, [n, padded.length], 'int32');
      const mask = tf.tensor2d(padded.mask, [n, padded.length], 'int32');
      const hidden = encode(model.params, model.config, inputIds, mask, { training: false });
      const logits = classifierHead(model.params, model.config, firstToken(hidden), { training: false });
      return multiLabel ? tf.sigmoid(logits) : tf.softmax(logits);
    });
    try {
      return { probabilities: (await probabilities.data()) as Float32Array, numLabels: labels.length };
    } finally {
      probabilities.dispose();
    }
  });
}

export async function exportRun(
  runId: string,
  request: RunExportRequest,
): Promise<{ zip: Blob; notes: string[] }> {
  const base = baseModel();
  const run = finished.get(runId);
  if (!run && training?.runId !== runId) throw new Error('This run has no trained weights to export yet.');
  const config = run?.config ?? training!.config;
  return withRunModel(runId, async (model, labels, multiLabel) => {
    const weights = await namedTensorsFromParams(model.params);
    const args = toTrainingArguments(config, greaterIsBetter(metricKey(config.metricForBestModel)));
    const { studio, ...trainingArgs } = args as Record<string, unknown> & {
      studio?: Record<string, unknown>;
    };
    const files = base.tokenizerFiles;
    const parse = (name: string): Record<string, unknown> | undefined => {
      const text = files[name];
      return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    };
    const tokenizerJson = files['tokenizer.json'];
    if (!tokenizerJson) throw new Error('The model has no tokenizer.json, which the export needs.');
    const tokenizerConfig = parse('tokenizer_config.json');
    const specialTokensMap = parse('special_tokens_map.json');
    const input: ExportInput = {
      config: base.config.raw,
      weights,
      tokenizer: {
        tokenizerJson,
        ...(files['vocab.txt'] ? { vocabTxt: files['vocab.txt'] } : {}),
        ...(tokenizerConfig ? { tokenizerConfig } : {}),
        ...(specialTokensMap ? { specialTokensMap } : {}),
      },
      labels,
      problemType: multiLabel ? 'multi_label_classification' : 'single_label_classification',
      maxLength: request.maxLength,
      baseModel: request.baseModel,
      trainingArgs,
      ...(studio ? { studioSettings: studio } : {}),
      metrics: request.metrics,
      dataSummary: request.dataSummary,
      ...(multiLabel && request.thresholds ? { thresholds: request.thresholds } : {}),
    };
    const { chunks, notes } =
      request.layout === 'run'
        ? { chunks: buildRunFolderZipChunks(input), notes: [] }
        : buildExportZipChunks(input);
    return { zip: new Blob(chunks as BlobPart[], { type: 'application/zip' }), notes };
  });
}
