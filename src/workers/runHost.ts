// Training runs inside the train worker: each run trains its own copy of the model the Model step
// loaded (so runs never disturb each other or the base), or of a student model loaded for it,
// streams the loop's events tagged with its id, sends checkpoints out for persistence, and keeps
// every finished run's trained weights so the playground and the export can use any run.
import * as tf from '@tensorflow/tfjs-core';
import {
  buildExportZipChunks,
  buildRunFolderZipChunks,
  namedTensorsFromParams,
  type ExportInput,
  type QuantizationCheck,
  mappedColumnsJson,
} from '../core/export/index.ts';
import {
  evaluateQuantization,
  engineOpener,
  modelGraphs,
  tfjsEngine,
  type ForwardEngine,
} from '../core/infer/index.ts';
import {
  checkDistillationSettings,
  checkSameRows,
  computeTeacherLogits,
  distillationTrainingLoss,
  studentConfig,
  studentFromTeacher,
} from '../core/distill/index.ts';
import { dataReadingJson } from '../core/dataset/index.ts';
import { greaterIsBetter } from '../core/metrics/index.ts';
import {
  classify,
  countParameters,
  disposeParams,
  loadModel,
  parseConfig,
  type ModelConfig,
  headMadeAtLoad,
  type LoadedModel,
  type Params,
  readSafetensors,
  writeSafetensors,
  parameterShapes,
  runModelCopy,
} from '../core/model/index.ts';
import {
  metricKey,
  toTrainingArguments,
  type LiveSettings,
  type TrainConfig,
  splitSize,
  type BestCheckpoint,
  type TrainResult,
  TrainController,
  watchCheckpoints,
  type ResumeState,
  type FeatureEngineFactory,
  type TrainingLoss,
} from '../core/train/index.ts';
import type { EncodedDataset } from '../core/tokenize/index.ts';
import type { BackendName } from '../core/backend/index.ts';
import { currentGpuDevice, wasmThreadCount } from './backend.ts';
import { browserFeatureCache } from './featureCacheSpill.ts';
import { loadWebOrt } from './ort-runtime.ts';
import { runCaches, type RunCaches } from './featureStore.ts';
import { currentModel, currentModelSource } from './modelHost.ts';
import { explainModelError, openModelSource } from './modelSource.ts';
import { freshOptimizerState, readResumeCheckpoint, resumeCheckpointBlob } from './resume.ts';
import {
  errorMessage,
  type PredictionSpeedRun,
  type RunDistillation,
  type RunExportRequest,
  type RunModelFiles,
  type RunOutcome,
  type TrainCommand,
  type TrainEvent,
} from './protocol.ts';

type Post = (event: TrainEvent) => void;
type TrainRequest = Extract<TrainCommand, { type: 'train' }>;

/**
 * A run's own model when it is not the loaded one (a student of another model, or one taken from
 * such a run's blocks): its parsed config and the files its export and tokenizer need.
 */
interface RunModel {
  config: ModelConfig;
  files: RunModelFiles;
}

/** A run's trained weights on the CPU: only the parameters it trained (the rest are the base's). */
interface RunWeights {
  labels: string[];
  multiLabel: boolean;
  config: TrainConfig;
  weights: Map<string, Float32Array>;
  /**
   * A distilled run's block count. Its `weights` hold every parameter, since its blocks come from
   * its teacher's trained ones, not from the loaded model.
   */
  layers?: number;
  /** The run's own model: its weights then hold every parameter, and its tokenizer is its own. */
  model?: RunModel;
}

interface DeviceModel {
  runId: string;
  config: ModelConfig;
  params: Params;
  /** The finished run's classifier on ONNX Runtime, opened on first use and released with the model. */
  classifier?: Promise<ForwardEngine>;
}

const finished = new Map<string, RunWeights>();
let training: {
  runId: string;
  controller: TrainController;
  model: DeviceModel;
  config: TrainConfig;
  layers?: number;
  own?: RunModel;
} | null = null;
/** Students loaded for a distillation about to start (`loadStudent`), by the run they are for. */
const pendingStudents = new Map<string, LoadedModel>();
/** The run whose weights are on the device for predictions and export (not training). */
let resident: DeviceModel | null = null;
/** Another job on the device (a label-issue search): no run starts until it ends. */
let borrowedBy: string | null = null;

/**
 * The device for another job than a run (the resident model freed); refused while a run trains
 * or another job holds it. Returns the release.
 */
export function borrowDevice(job: string): () => void {
  if (training) throw new Error('A run is still training: stop it first, or wait until it finishes.');
  if (borrowedBy) throw new Error(`The ${borrowedBy} is still running.`);
  disposeModel(resident);
  resident = null;
  borrowedBy = job;
  return () => {
    borrowedBy = null;
  };
}

export function baseModel(): LoadedModel {
  const base = currentModel();
  if (!base) throw new Error('No model is loaded. Load one in the Model step first.');
  return base;
}

/**
 * A fresh set of variables for a run over the loaded base model (see `runModelCopy`), with
 * `overrides` (a run's trained weights) on top; `layers` shapes a distilled run's model. A run
 * with its own model takes nothing from the loaded one: its overrides hold every parameter.
 */
function buildModel(
  runId: string,
  labels: string[],
  multiLabel: boolean,
  seed: number,
  overrides?: Map<string, Float32Array>,
  layers?: number,
  own?: RunModel,
): DeviceModel {
  if (own)
    return {
      runId,
      ...runModelCopy({ config: own.config, params: {} }, labels, multiLabel, seed, overrides),
    };
  const base = baseModel();
  const shaped =
    layers === undefined ? base : { config: studentConfig(base.config, layers), params: base.params };
  return { runId, ...runModelCopy(shaped, labels, multiLabel, seed, overrides) };
}

/**
 * Refuses to score a loaded model whose classifier was made at load (the checkpoint had none, or
 * one for other labels): its predictions would be those of random weights.
 */
function checkTrainedClassifier(base: LoadedModel, labels: readonly string[]): void {
  const made = headMadeAtLoad(base.config, base.report);
  if (made.length > 0) {
    throw new Error(
      `the loaded model has no trained classifier for these labels (${made.join(', ')} ${made.length === 1 ? 'was' : 'were'} initialised at load); train it, or load a model fine-tuned on ${labels.join(', ')}`,
    );
  }
  const own = base.config.id2label;
  if (own.length !== labels.length || own.some((label, i) => label !== labels[i])) {
    throw new Error(
      `the loaded model classifies ${own.join(', ')}, not the data's ${labels.join(', ')}: load it again now that the data is confirmed`,
    );
  }
}

/** Every parameter's values, for a run whose weights cannot be rebuilt from the loaded model. */
async function allWeights(params: Params): Promise<Record<string, Float32Array>> {
  const entries = await Promise.all(
    Object.entries(params).map(
      async ([name, variable]) => [name, (await variable.data()) as Float32Array] as const,
    ),
  );
  return Object.fromEntries(entries);
}

/** A finished run's model rebuilt on the device from its kept weights. */
function buildFinishedModel(runId: string, run: RunWeights): DeviceModel {
  return buildModel(runId, run.labels, run.multiLabel, run.config.seed, run.weights, run.layers, run.model);
}

/**
 * A distilled run's student and loss: the teacher run rebuilt from its weights, its logits of every
 * row computed once on its own tokenization and kept for every epoch, and the student: the
 * teacher's blocks spread over fewer (sharing its tokenizer), or the model `loadStudent` loaded
 * for this run, whose tokenization is the run's data. The teacher is freed after.
 */
async function distillationStudent(
  runId: string,
  distill: RunDistillation,
  data: EncodedDataset,
  notify: (message: string) => void,
): Promise<{ model: DeviceModel; loss: TrainingLoss; layers?: number; own?: RunModel }> {
  const loadedStudent = distill.student.kind === 'model' ? pendingStudents.get(runId) : undefined;
  pendingStudents.delete(runId);
  try {
    const problems = checkDistillationSettings(distill);
    if (problems.length > 0) throw new Error(problems.join('; '));
    const teacherRun = finished.get(distill.teacherRunId);
    if (!teacherRun) {
      throw new Error(
        'The teacher run has no trained weights in memory: open it in Evaluate, then distil it.',
      );
    }
    const teacherLayers = teacherRun.model?.config.nLayers ?? teacherRun.layers ?? baseModel().config.nLayers;
    const { student } = distill;
    if (student.kind === 'layers') {
      if (!Number.isInteger(student.layers) || student.layers < 1 || student.layers >= teacherLayers) {
        throw new Error(
          `A student of this ${teacherLayers}-layer teacher has 1 to ${teacherLayers - 1} layers.`,
        );
      }
    } else {
      if (!loadedStudent) throw new Error('The student model is not loaded: start the distillation again.');
      checkSameRows(student.teacherData, data);
      const own = loadedStudent.config;
      if (
        own.id2label.length !== data.labels.length ||
        own.id2label.some((label, i) => label !== data.labels[i]) ||
        (own.problemType === 'multi_label_classification') !== data.multiLabel
      ) {
        throw new Error('The student model was loaded for other labels: start the distillation again.');
      }
    }
    const teacher = buildFinishedModel(distill.teacherRunId, teacherRun);
    try {
      const teacherData = student.kind === 'model' ? student.teacherData : data;
      const started = performance.now();
      const logits = await computeTeacherLogits(teacher, teacherData);
      notify(
        `The teacher's outputs of ${splitSize(teacherData.train)} training rows were computed in ${((performance.now() - started) / 1000).toFixed(1)} s${student.kind === 'model' ? ' on its own tokenization' : ''} and are kept for every epoch.`,
      );
      const loss = distillationTrainingLoss(logits.train, data.labels.length, distill);
      if (student.kind === 'model') {
        notify(
          `The student is ${loadedStudent!.config.modelType} with ${loadedStudent!.config.nLayers} layers, trained on its own tokenization of the same rows.`,
        );
        const own: RunModel = {
          config: loadedStudent!.config,
          files: { config: loadedStudent!.config.raw, tokenizerFiles: loadedStudent!.tokenizerFiles },
        };
        return { model: { runId, config: loadedStudent!.config, params: loadedStudent!.params }, loss, own };
      }
      const taken = studentFromTeacher(teacher, student.layers);
      notify(
        `The student starts from the teacher's blocks ${taken.teacherLayers.join(', ')} of ${teacherLayers}, its embeddings and its head.`,
      );
      const model = { runId, config: taken.config, params: taken.params };
      if (teacherRun.model) {
        // A student of a run with its own model shares that model's tokenizer.
        const files = { config: taken.config.raw, tokenizerFiles: teacherRun.model.files.tokenizerFiles };
        return { model, loss, own: { config: taken.config, files } };
      }
      return { model, loss, layers: student.layers };
    } finally {
      disposeModel(teacher);
    }
  } catch (error) {
    if (loadedStudent) disposeParams(loadedStudent.params);
    throw error;
  }
}

/**
 * Loads another model as the student of the run about to be distilled: the data's labels with a
 * fresh head, kept until that run's `train` takes it (one at a time: a newer load replaces it).
 */
export async function loadStudent(
  command: Extract<TrainCommand, { type: 'loadStudent' }>,
  post: Post,
): Promise<void> {
  const { requestId, runId } = command;
  try {
    const source = await openModelSource(command.source, (progress) =>
      post({ type: 'download', requestId, progress }),
    );
    const device = currentGpuDevice();
    const model = await loadModel(source, {
      labels: command.labels,
      problemType: command.multiLabel ? 'multi_label_classification' : 'single_label_classification',
      seed: command.seed,
      ...(device ? { maxBufferBytes: device.limits.maxStorageBufferBindingSize } : {}),
    });
    for (const pending of pendingStudents.values()) disposeParams(pending.params);
    pendingStudents.clear();
    pendingStudents.set(runId, model);
    post({
      type: 'studentLoaded',
      requestId,
      runId,
      summary: {
        source: source.describe(),
        modelType: model.config.modelType,
        layers: model.config.nLayers,
        parameters: countParameters(model.params),
        maxPositionEmbeddings: model.config.maxPositionEmbeddings,
        message: model.report.message,
      },
      files: { config: model.config.raw, tokenizerFiles: model.tokenizerFiles },
    });
  } catch (error) {
    const { message, hint } = explainModelError(error);
    post({
      type: 'error',
      requestId,
      message: `The student model could not be loaded: ${message.charAt(0).toLowerCase()}${message.slice(1)}`,
      ...(hint ? { hint } : {}),
    });
  }
}

/**
 * The data worker's tokenizer that encodes a run's rows: undefined for the loaded model's, the
 * run's id for a run with its own model.
 */
function runTokenizer(runId: string): string | undefined {
  const own = training?.runId === runId ? training.own : finished.get(runId)?.model;
  return own ? runId : undefined;
}

/** Refuses token ids of another tokenizer than the run's: its predictions would be of other tokens. */
function checkTokenizer(runId: string, tokenizer: string | undefined): void {
  const expected = runTokenizer(runId);
  if (tokenizer === expected) return;
  throw new Error(
    expected === undefined
      ? "these rows were encoded with another run's tokenizer, but this run reads the loaded model's"
      : "this run has its own model and tokenizer: encode the rows with the run's tokenizer, not the loaded model's",
  );
}

function disposeModel(model: DeviceModel | null): void {
  if (!model) return;
  void model.classifier?.then((engine) => engine.dispose()).catch(() => undefined);
  tf.dispose(Object.values(model.params));
}

/** The ONNX Runtime the studio infers on: WebGPU provider when WebGPU trains, else wasm on the chosen threads. */
function webOrt() {
  return loadWebOrt({ backend: tf.getBackend() as BackendName, threads: wasmThreadCount() });
}

/**
 * A finished run's classifier for the playground and predictions: ONNX Runtime over the run's
 * classifier graph, written once from its weights and kept with its model on the device (tfjs
 * where onnxruntime-web does not load). A run still training answers on tfjs: its weights change.
 */
function classifierEngine(model: DeviceModel, live: boolean): Promise<ForwardEngine> {
  const output = { kind: 'logits' } as const;
  if (live) return Promise.resolve(tfjsEngine(model.params, model.config, output));
  if (!model.classifier) {
    const opening = webOrt().then((ort) => engineOpener(ort.runtime)(model, output));
    opening.catch(() => {
      if (model.classifier === opening) delete model.classifier;
    });
    model.classifier = opening;
  }
  return model.classifier;
}

/** Safetensors bytes of a run's weights, shaped by the run's own model (its head has its labels). */
function encodeWeights(
  weights: Map<string, Float32Array> | Record<string, Float32Array>,
  config: ModelConfig,
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
 * The frozen part's forward pass for head-only and top-k feature caching: onnxruntime-web, with
 * the WebGPU provider when WebGPU is the training backend, else wasm on the chosen threads.
 */
export function ortFeatureEngine(
  notify: (message: string, level: 'info' | 'warning') => void,
): FeatureEngineFactory {
  return async (frozen, output) => {
    const ort = await webOrt();
    if (ort.fallback) notify(`${ort.fallback}; tfjs computes the features.`, 'warning');
    return engineOpener(ort.runtime)(frozen, output);
  };
}

/**
 * What a run finished with, its kept weights recorded for predictions and export (also for a
 * search's best trial, which becomes a run this way).
 */
function finishedOutcome(
  runId: string,
  data: Pick<EncodedDataset, 'labels' | 'multiLabel'>,
  result: TrainResult,
  model: DeviceModel,
  student?: { layers?: number; own?: RunModel; weights: Record<string, Float32Array> },
): RunOutcome {
  const kept = result.checkpoint ? (student?.weights ?? result.checkpoint) : null;
  const weights = kept ? new Map(Object.entries(kept)) : null;
  if (weights) {
    finished.set(runId, {
      labels: data.labels,
      multiLabel: data.multiLabel,
      config: result.config,
      weights,
      ...(student?.layers !== undefined ? { layers: student.layers } : {}),
      ...(student?.own ? { model: student.own } : {}),
    });
  }
  const outcome: RunOutcome = {
    reason: result.reason,
    message: result.message,
    best: result.best,
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
    weights: weights ? new Blob([encodeWeights(weights, model.config) as Uint8Array<ArrayBuffer>]) : null,
    config: result.config,
    notices: result.notices,
    ...(student?.own ? { model: student.own.files } : {}),
  };
  return outcome;
}

/** A model trained elsewhere in the worker (a search's best trial) as the finished run `runId`. */
export function adoptTrainedModel(
  runId: string,
  data: Pick<EncodedDataset, 'labels' | 'multiLabel'>,
  result: TrainResult,
  trained: { config: ModelConfig; params: Params },
): RunOutcome {
  const model: DeviceModel = { runId, config: trained.config, params: trained.params };
  const outcome = finishedOutcome(runId, data, result, model);
  disposeModel(resident);
  resident = model;
  return outcome;
}

export async function startRun(command: TrainRequest, post: Post): Promise<void> {
  const { runId, data, resume } = command;
  if (borrowedBy) {
    post({
      type: 'error',
      runId,
      message: `The ${borrowedBy} is still running.`,
      hint: 'Wait until it ends.',
    });
    return;
  }
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
  let caches: RunCaches | null = null;
  try {
    // Free the device for training: a resident model for predictions is rebuilt when needed.
    disposeModel(resident);
    resident = null;
    const config = command.config;
    const resumed = resume ? await resumeStateOf(resume, config, splitSize(data.train)) : null;
    const notify = (message: string, level: 'info' | 'warning' = 'info') =>
      post({ type: 'run', runId, event: { type: 'notice', level, step: resume?.step ?? 0, message } });
    let loss: TrainingLoss | undefined;
    let layers: number | undefined;
    let own: RunModel | undefined;
    if (command.distill) {
      // The loaded model's frozen features are not the student's: a student caches none across runs.
      ({ model, loss, layers, own } = await distillationStudent(runId, command.distill, data, notify));
    } else if (command.evaluateOnly) {
      checkTrainedClassifier(baseModel(), data.labels);
      model = buildModel(runId, data.labels, data.multiLabel, config.seed);
    } else {
      caches = await runCaches(baseModel(), currentModelSource(), data, config);
      model = buildModel(runId, data.labels, data.multiLabel, config.seed);
    }
    const controller = new TrainController({
      model: { config: model.config, params: model.params },
      data,
      config,
      ...(resumed ? { resume: resumed.state } : {}),
      ...(caches ? { featureCaches: caches.given, keepCaches: true } : {}),
      ...(command.evaluateOnly ? { evaluateOnly: true } : {}),
      featureCache: browserFeatureCache(runId, notify),
      callbacks: { featureEngine: ortFeatureEngine(notify), ...(loss ? { loss } : {}) },
    });
    training = {
      runId,
      controller,
      model,
      config,
      ...(layers !== undefined ? { layers } : {}),
      ...(own ? { own } : {}),
    };
    const running = model;
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
    watchCheckpoints(controller, running, config, {
      best: ({ step, epoch, weights }) =>
        post({
          type: 'checkpoint',
          runId,
          checkpoint: {
            kind: 'best',
            step,
            epoch,
            file: new Blob([encodeWeights(weights, running.config) as Uint8Array<ArrayBuffer>]),
          },
        }),
      epoch: (state) =>
        post({
          type: 'checkpoint',
          runId,
          checkpoint: {
            kind: 'epoch',
            step: state.step,
            epoch: state.step / state.stepsPerEpoch,
            file: resumeCheckpointBlob(state, running.config),
          },
        }),
      failed: checkpointFailed,
    });
    controller.on((event) => {
      if (event.type === 'done' || event.type === 'error') return; // reported below, with the outcome
      post({ type: 'run', runId, event });
    });
    if (resume && resumed) {
      post({
        type: 'run',
        runId,
        event: {
          type: 'notice',
          level: resumed.freshOptimizer ? 'warning' : 'info',
          step: resumed.state.step,
          message: resumed.freshOptimizer
            ? `Resumed from the checkpoint at step ${resumed.state.step} (epoch ${resume.epoch}) with a fresh optimizer, because ${resumed.freshOptimizer}: the weights, schedule and data order continue, but the optimizer's moments start from zero, so the remaining steps differ from an uninterrupted run.`
            : `Resumed from the checkpoint at step ${resumed.state.step} (epoch ${resume.epoch}) with the optimizer's state: the run continues as if it had not stopped.`,
        },
      });
    }
    if (caches?.note) notify(caches.note);
    const result = await controller.run();
    if (caches) {
      // Before `finished`, so a run started right after (or after a reload) finds them.
      for (const { message, level } of await caches.keep(result.caches)) notify(message, level);
    }
    const student =
      (layers !== undefined || own) && result.checkpoint
        ? {
            ...(layers !== undefined ? { layers } : {}),
            ...(own ? { own } : {}),
            weights: await allWeights(model.params),
          }
        : undefined;
    const outcome = finishedOutcome(runId, data, result, model, student);
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
    caches?.release();
    disposeModel(model);
    post({ type: 'error', runId, message: `Training stopped: ${errorMessage(error)}`, hint: hintFor(error) });
  }
}

/**
 * The state an interrupted run continues from: its checkpoint's own (format 2), or for a
 * checkpoint saved without the optimizer's state the weights with a fresh optimizer, and why.
 */
async function resumeStateOf(
  resume: NonNullable<TrainRequest['resume']>,
  config: TrainConfig,
  trainExamples: number,
): Promise<{ state: ResumeState; freshOptimizer: string | null }> {
  const checkpoint = readResumeCheckpoint(new Uint8Array(await resume.checkpoint.arrayBuffer()));
  if (checkpoint.state) {
    if (checkpoint.state.optimizer) return { state: checkpoint.state, freshOptimizer: null };
    return { state: checkpoint.state, freshOptimizer: 'the checkpoint holds no optimizer state' };
  }
  let best: { checkpoint: BestCheckpoint; weights: Record<string, Float32Array> } | null = null;
  if (resume.best) {
    const weights = Object.fromEntries(decodeWeights(new Uint8Array(await resume.best.file.arrayBuffer())));
    const { step, epoch, value } = resume.best;
    best = { checkpoint: { step, epoch, value, metric: metricKey(config.metricForBestModel) }, weights };
  }
  return {
    state: freshOptimizerState(
      config,
      { step: resume.step, weights: checkpoint.weights },
      trainExamples,
      best,
    ),
    freshOptimizer:
      "the checkpoint was saved by an older version of the studio, without the optimizer's state",
  };
}

function hintFor(error: unknown): string {
  const message = errorMessage(error);
  if (/out of memory/i.test(message))
    return 'Try head-only or fewer layers, a smaller batch or a shorter max length.';
  if (/labels?/i.test(message)) return 'Load the model again in the Model step after confirming the columns.';
  return 'Check the settings and start again; the earlier runs are kept.';
}

export function controlRun(
  runId: string,
  action: 'pause' | 'resume' | 'stop' | { settings: Partial<LiveSettings> },
): void {
  if (!training || training.runId !== runId) return;
  if (action === 'pause') training.controller.pause();
  else if (action === 'resume') training.controller.resume();
  else if (action === 'stop') training.controller.stop();
  else training.controller.update(action.settings);
}

export function attachRun(command: Extract<TrainCommand, { type: 'attachRun' }>): void {
  const own = command.model ? { config: parseConfig(command.model.config), files: command.model } : undefined;
  finished.set(command.runId, {
    labels: command.labels,
    multiLabel: command.multiLabel,
    config: command.config,
    weights: decodeWeights(command.weights),
    ...(command.layers !== undefined ? { layers: command.layers } : {}),
    ...(own ? { model: own } : {}),
  });
  if (resident?.runId === command.runId) {
    disposeModel(resident);
    resident = null;
  }
}

export function dropRun(runId: string): void {
  finished.delete(runId);
  const student = pendingStudents.get(runId);
  if (student) disposeParams(student.params);
  pendingStudents.delete(runId);
  if (resident?.runId === runId) {
    disposeModel(resident);
    resident = null;
  }
}

/** Runs `use` with the run's weights on the device: the training copy, the resident one, or a fresh build. */
async function withRunModel<T>(
  runId: string,
  use: (model: DeviceModel, labels: string[], multiLabel: boolean, live: boolean) => Promise<T>,
): Promise<T> {
  if (training?.runId === runId) {
    const config = training.model.config;
    return use(training.model, config.id2label, config.problemType === 'multi_label_classification', true);
  }
  const run = finished.get(runId);
  if (!run) throw new Error('This run has no trained weights in memory; open it again after it finishes.');
  if (resident?.runId !== runId) {
    const model = buildFinishedModel(runId, run);
    if (training) {
      // A training holds the device: use a temporary copy and free it straight away.
      try {
        return await use(model, run.labels, run.multiLabel, false);
      } finally {
        disposeModel(model);
      }
    }
    disposeModel(resident);
    resident = model;
  }
  return use(resident!, run.labels, run.multiLabel, false);
}

/**
 * Probabilities of rows under a run's weights. The ids must be the run's own tokenization:
 * `tokenizer` names the data worker's tokenizer that encoded them (see `runTokenizer`).
 */
export async function predict(
  runId: string,
  ids: Int32Array,
  offsets: Int32Array,
  tokenizer?: string,
): Promise<{ probabilities: Float32Array; numLabels: number }> {
  checkTokenizer(runId, tokenizer);
  return withRunModel(runId, async (model, labels, _multiLabel, live) => {
    const engine = await classifierEngine(model, live);
    const { probabilities } = await classify(
      model.config,
      { ids, offsets },
      { engine, padTokenId: model.config.padTokenId },
    );
    return { probabilities, numLabels: labels.length };
  });
}

/**
 * A run's logits and pooled-features engines over the same weights, for work that reads both (the
 * rows to label next): the classifier engine predictions use, and tfjs for the features. The rows
 * `use` runs must be encoded by `tokenizer`, as for `predict`.
 */
export async function withRunEngines<T>(
  runId: string,
  use: (engines: { logits: ForwardEngine; features: ForwardEngine }, config: ModelConfig) => Promise<T>,
  tokenizer?: string,
): Promise<T> {
  checkTokenizer(runId, tokenizer);
  return withRunModel(runId, async (model, _labels, _multiLabel, live) => {
    const features = tfjsEngine(model.params, model.config, { kind: 'features' });
    return use({ logits: await classifierEngine(model, live), features }, model.config);
  });
}

/** Each run's int8 check, so its model zip and its run folder always carry the same one. */
const quantizationChecks = new Map<string, QuantizationCheck | undefined>();

export async function exportRun(
  runId: string,
  request: RunExportRequest,
): Promise<{ zip: Blob; notes: string[] }> {
  const run = finished.get(runId);
  if (!run && training?.runId !== runId) throw new Error('This run has no trained weights to export yet.');
  const config = run?.config ?? training!.config;
  const layers = run ? run.layers : training!.layers;
  const own = run ? run.model : training!.own;
  const base = own ? null : baseModel();
  return withRunModel(runId, async (model, labels, multiLabel, live) => {
    const weights = await namedTensorsFromParams(model.params);
    const args = toTrainingArguments(config, greaterIsBetter(metricKey(config.metricForBestModel)));
    const { studio, ...trainingArgs } = args as Record<string, unknown> & {
      studio?: Record<string, unknown>;
    };
    const files = own ? own.files.tokenizerFiles : base!.tokenizerFiles;
    const parse = (name: string): Record<string, unknown> | undefined => {
      const text = files[name];
      return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    };
    const tokenizerJson = files['tokenizer.json'];
    if (!tokenizerJson) throw new Error('The model has no tokenizer.json, which the export needs.');
    const tokenizerConfig = parse('tokenizer_config.json');
    const specialTokensMap = parse('special_tokens_map.json');
    const studioSettings = {
      ...(studio ?? {}),
      ...(request.columns ? mappedColumnsJson(request.columns) : {}),
      ...(request.dataRecipe ? dataReadingJson(request.dataRecipe.reading) : {}),
      ...(request.distillation ? { distillation: request.distillation } : {}),
      ...(request.evaluatedOnly ? { evaluated_only: true } : {}),
    };
    const input: ExportInput = {
      config: own
        ? own.files.config
        : layers === undefined
          ? base!.config.raw
          : studentConfig(base!.config, layers).raw,
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
      ...(request.baseModelOrigin ? { baseModelOrigin: request.baseModelOrigin } : {}),
      trainingArgs,
      ...(Object.keys(studioSettings).length > 0 ? { studioSettings } : {}),
      metrics: request.metrics,
      dataSummary: request.dataSummary,
      ...(multiLabel && request.thresholds ? { thresholds: request.thresholds } : {}),
      ...(request.dataRecipe?.splitFile ? { splitFile: request.dataRecipe.splitFile } : {}),
    };
    const validation = request.validation;
    if (validation && !quantizationChecks.has(runId)) {
      quantizationChecks.set(
        runId,
        await evaluateQuantization(model, validation.split, {
          multiLabel,
          // Both exported graphs on ONNX Runtime, once the weights no longer change.
          runtime: live ? null : (await webOrt()).runtime,
          padTokenId: validation.padTokenId,
          maxLength: validation.maxLength,
          ...(request.thresholds ? { thresholds: request.thresholds } : {}),
        }),
      );
    }
    const quantization = quantizationChecks.get(runId);
    if (quantization) input.quantization = quantization;
    // The classifier graph the run's inference runs is the export's onnx/model.onnx.
    if (!live) input.onnxModel = await modelGraphs(model).graph({ kind: 'logits' });
    const { chunks, notes } =
      request.layout === 'run'
        ? { chunks: buildRunFolderZipChunks(input), notes: [] }
        : buildExportZipChunks(input);
    const recipeNote = request.dataRecipe?.note;
    return {
      zip: new Blob(chunks as BlobPart[], { type: 'application/zip' }),
      notes: recipeNote ? [...notes, recipeNote] : notes,
    };
  });
}

/**
 * Rows per second of each run's classifier (the engine its predictions use), each on its own
 * tokenization of the same rows, after one untimed batch each so that shader compilation and
 * session start are not counted.
 */
export async function predictionSpeed(
  runs: readonly PredictionSpeedRun[],
): Promise<{ rowsPerSecond: number[]; rows: number }> {
  const rows = runs[0] ? runs[0].split.offsets.length - 1 : 0;
  if (rows < 1) throw new Error('There are no rows to time the predictions on.');
  if (runs.some((run) => run.split.offsets.length - 1 !== rows)) {
    throw new Error('The runs were given different rows to time.');
  }
  for (const run of runs) checkTokenizer(run.runId, run.tokenizer);
  const rowsPerSecond: number[] = [];
  for (const { runId, split, padTokenId, maxLength } of runs) {
    rowsPerSecond.push(
      await withRunModel(runId, async (model, _labels, _multiLabel, live) => {
        const options = { engine: await classifierEngine(model, live), padTokenId, maxLength };
        await classify(model.config, { ids: split.ids, offsets: split.offsets.subarray(0, 2) }, options);
        const started = performance.now();
        await classify(model.config, split, options);
        return rows / Math.max((performance.now() - started) / 1000, 1e-6);
      }),
    );
  }
  return { rowsPerSecond, rows };
}
