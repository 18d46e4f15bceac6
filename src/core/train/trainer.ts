// One training loop for the three modes.
//
//   head   the whole encoder is frozen: first-token features of every example are computed once
//          (dropout off) and epochs run the classification head on them;
//   top-k  blocks below n_layers − k are frozen: their output [tokens, dim] per example is
//          computed once and epochs run the top k blocks and the head;
//   full   everything trains (optionally not the embeddings).
//
// The run is driven by a TrainController: events go out through listeners (at most one step
// event per emit interval), commands (pause, resume, stop, setLr, update) are queued and applied
// at the next step boundary. The loop never reads a value from a GPU except when it emits, so
// the GPU can run ahead of the host between emits. On the cpu and wasm backends, whose tensors
// live in host memory, reading is only a copy: there the loss and the optimizer update run on the
// host (hostMeanLoss, the fused AdamW pass), which spares many small kernels per step.
import * as tf from '@tensorflow/tfjs-core';
import { greaterIsBetter } from '../metrics/index.ts';
import type { DistilBertConfig } from '../model/config.ts';
import {
  checkpointedTransformerLayer,
  classifierHead,
  encode,
  firstToken,
  transformerLayer,
  type Params,
} from '../model/distilbert.ts';
import { HEAD_NAMES, layerPrefix } from '../model/weights.ts';
import { createRng, hashSeed, permutation } from '../util/random.ts';
import { checkTrainConfig, LIVE_SETTINGS, metricKey, type LiveSettings, type TrainConfig } from './config.ts';
import {
  gatherLabels,
  lengthsOf,
  padBatch,
  paddedLength,
  rowsByLength,
  splitSize,
  type EncodedDataset,
  type EncodedSplit,
  type SplitName,
} from './data.ts';
import type {
  BestCheckpoint,
  ControlCommand,
  EvalReport,
  FinishReason,
  HistoryEntry,
  RunState,
  TestPredictions,
  TrainEvent,
  TrainResult,
} from './events.ts';
import { memoryFeatureCache, type FeatureCache, type FeatureCacheFactory } from './feature-cache.ts';
import { scoreLogits } from './evaluate.ts';
import { ensureGradients, namedGradients } from './gradients.ts';
import { headLogits } from './head.ts';
import { isHostBackend } from './host-backend.ts';
import {
  classWeightsFor,
  hostMeanLoss,
  lossNormalizer,
  lossSum,
  posWeightsFor,
  type LossSettings,
  type TrainingLoss,
} from './losses.ts';
import { AdamW, type AdamWState } from './optimizer.ts';
import { layerLrScales } from './param-groups.ts';
import { lrMultiplier, warmupSteps, type Schedule } from './schedules.ts';

export interface TrainModel {
  config: DistilBertConfig;
  params: Params;
}

export interface MicroBatchInfo {
  step: number;
  microBatch: number;
  batchSize: number;
}

/**
 * Settings a run may change on its own while training (the live settings, and the batch split an
 * out-of-memory error halves): a resumed run continues with them rather than with its start's.
 */
export const RESUMED_SETTINGS = [...LIVE_SETTINGS, 'batchSize', 'gradAccumSteps', 'evalBatchSize'] as const;
export type ResumedSettings = Pick<TrainConfig, (typeof RESUMED_SETTINGS)[number]>;

/**
 * Everything a run needs to continue from a step boundary as if it had never stopped: same
 * updates, same data order, same evaluations. Plain numbers, strings and typed arrays, so it can
 * be posted between threads (its buffers transferred) and persisted.
 *
 * The data order is not stored: epoch e's shuffle is drawn from (seed, e) alone, and dropout's
 * randomness from (seed, step); the seed, the split's size and the updates per epoch are kept to
 * check that the resumed run draws the same ones.
 */
export interface ResumeState {
  /** Updates done; the resumed run's next update is step + 1. */
  step: number;
  /** Updates per epoch of the run the state comes from (the position in the epoch follows from step). */
  stepsPerEpoch: number;
  /** Training examples of the run the state comes from. */
  trainExamples: number;
  seed: number;
  /** Values of the trainable parameters at `step`. */
  weights: Record<string, Float32Array>;
  /**
   * AdamW's update count and moments per trainable parameter. null continues with zeroed moments
   * and bias correction from the start (a checkpoint saved without them): not the same updates.
   */
  optimizer: AdamWState | null;
  settings: ResumedSettings;
  /** The kept checkpoint so far; `report` may be null for a checkpoint saved without it. */
  best: {
    checkpoint: BestCheckpoint;
    report: EvalReport | null;
    weights: Record<string, Float32Array>;
  } | null;
  earlyStopping: { best: number | null; badEvals: number };
  /** Step of the last validation evaluation (-1: none). */
  lastEvalStep: number;
  history: HistoryEntry[];
  /** Training-loss sums not reported yet: since the last history entry, and in the current epoch. */
  trainLoss: { sinceEvalSum: number; sinceEvalCount: number; epochSum: number; epochCount: number };
  trainSeconds: number;
}

export interface TrainOptions {
  model: TrainModel;
  data: EncodedDataset;
  config: TrainConfig;
  /** Where frozen activations are cached (default: memory). */
  featureCache?: FeatureCacheFactory;
  /**
   * Cache the frozen part (default). false recomputes it every step instead (same numbers,
   * slower): the reference the cached path is tested against.
   */
  cacheFrozen?: boolean;
  /**
   * Frozen-part caches from an earlier run on the same weights, tokenization and mode (head, or
   * top-k with the same k): reused instead of recomputed, so retraining with other settings
   * starts at once. The caller keeps ownership.
   */
  featureCaches?: Partial<Record<SplitName, FeatureCache>>;
  /** Return the caches this run builds in the result (the caller then owns them) instead of disposing them. */
  keepCaches?: boolean;
  /** Called before each micro-batch; an error thrown here counts as a failure of that step. */
  beforeMicroBatch?: (info: MicroBatchInfo) => void;
  /** Minimum milliseconds between step events (default 100: at most 10 a second). */
  emitIntervalMs?: number;
  now?: () => number;
  /**
   * The training loss of each micro-batch (default: the label loss of the settings, `labelLoss`).
   * Evaluation always scores the labels.
   */
  loss?: TrainingLoss;
  /**
   * Continue a run from a state `TrainController.resumeState()` captured: the trainable weights,
   * the optimizer, the schedule's position and the early-stopping bookkeeping are restored, and
   * steps, epochs and history carry on from it. The settings must be the original run's.
   */
  resume?: ResumeState;
}

/** Out-of-memory errors of WebGPU, WebGL, WASM and the CPU backend. */
export function isOutOfMemory(error: unknown): boolean {
  const message = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /out of memory|GPUOutOfMemoryError|OOM\b|failed to allocate|allocation failed|Array buffer allocation|memory access out of bounds|exceeds the maximum/i.test(
    message,
  );
}

export function isDeviceLost(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /device (was |is )?lost|device has been lost|context lost|GPUDevice.*(lost|destroyed)/i.test(
    message,
  );
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The trainable parameters of a mode; everything else stays fixed. */
export function trainableParams(params: Params, config: TrainConfig, nLayers: number): Params {
  const out: Params = {};
  const firstTrainable = firstTrainableLayer(config, nLayers);
  for (const [name, variable] of Object.entries(params)) {
    if (!variable.trainable) continue;
    const isHead = (HEAD_NAMES as readonly string[]).includes(name);
    let trains = isHead;
    if (config.mode === 'top-k') {
      for (let layer = firstTrainable; layer < nLayers; layer++) {
        if (name.startsWith(layerPrefix(layer))) trains = true;
      }
    } else if (config.mode === 'full') {
      trains = !(config.freezeEmbeddings && name.includes('embeddings.'));
    }
    if (trains) out[name] = variable;
  }
  return out;
}

/** The first transformer block that trains: n_layers for head-only, n_layers − k for top-k, 0 for full. */
export function firstTrainableLayer(config: TrainConfig, nLayers: number): number {
  if (config.mode === 'head') return nLayers;
  if (config.mode === 'top-k') return nLayers - Math.min(config.layers, nLayers);
  return 0;
}

/** Yields to the event loop so queued commands (messages to a worker) get handled. */
function yieldToEventLoop(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => setTimeout(resolve, 0));
}

interface Batch {
  rows: Int32Array;
  size: number;
  /** Real tokens, for tokens/s. */
  tokens: number;
  /** Inputs of the trainable part: ids + mask (full, or recomputed frozen part), or cached activations. */
  ids?: tf.Tensor2D;
  mask?: tf.Tensor2D;
  hidden?: tf.Tensor;
  labels: tf.Tensor;
  cpuLabels: Int32Array | Uint8Array;
}

interface SplitCache {
  cache: FeatureCache;
  /** Built by this run (not passed in by the caller). */
  builtHere: boolean;
  /** Head-only on a GPU: all first-token features on the device, [n, dim]. */
  onDevice?: tf.Tensor2D;
  /** Head-only on a host backend: all first-token features, [n, dim] row-major. */
  onHost?: Float32Array;
}

export class TrainController {
  private readonly listeners = new Set<(event: TrainEvent) => void>();
  private readonly commands: ControlCommand[] = [];
  private readonly reportedErrors: unknown[] = [];
  private readonly captures: StateRequest[] = [];
  private wake: (() => void) | null = null;
  private currentState: RunState = 'idle';
  private currentStep = 0;
  private started = false;

  constructor(private readonly options: TrainOptions) {}

  get state(): RunState {
    return this.currentState;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: (event: TrainEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events as an async iterator, ending after `done` or `error`. Subscribe before run(). */
  events(): AsyncIterableIterator<TrainEvent> {
    const buffer: TrainEvent[] = [];
    let notify: (() => void) | null = null;
    let finished = false;
    const unsubscribe = this.on((event) => {
      buffer.push(event);
      if (event.type === 'done' || event.type === 'error') finished = true;
      notify?.();
    });
    const iterator: AsyncIterableIterator<TrainEvent> = {
      next: async () => {
        while (buffer.length === 0) {
          if (finished) {
            unsubscribe();
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (notify = resolve));
          notify = null;
        }
        return { value: buffer.shift() as TrainEvent, done: false };
      },
      return: async () => {
        unsubscribe();
        finished = true;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Reports an error the backend raised outside an op: WebGPU signals out-of-memory through the
   * device's uncapturederror event and a lost device through device.lost, not as exceptions.
   * The next step then handles it like a thrown one: out-of-memory halves the batch and retries
   * the step; a lost device ends the run with the best checkpoint kept.
   */
  reportError(error: unknown): void {
    this.reportedErrors.push(error);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Queues a command; it is applied, and acknowledged with a `command` event, at the next step. */
  send(command: ControlCommand): void {
    this.commands.push(command);
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  pause(): void {
    this.send({ type: 'pause' });
  }
  resume(): void {
    this.send({ type: 'resume' });
  }
  stop(): void {
    this.send({ type: 'stop' });
  }
  setLr(lr: number): void {
    this.send({ type: 'setLr', lr });
  }

  /**
   * The state to resume this run from, captured at the next step boundary (after that step's
   * evaluation, if one is due), or where the loop ends if no step follows. The caller owns the
   * arrays (they may be transferred). Pass it as `resume` to a new controller to continue.
   */
  resumeState(): Promise<ResumeState> {
    if (!this.started || this.currentState === 'finished') {
      return Promise.reject(new Error('the run is not training, so there is no state to capture'));
    }
    return new Promise<ResumeState>((resolve, reject) => {
      this.captures.push({ resolve, reject });
      const wake = this.wake;
      this.wake = null;
      wake?.();
    });
  }
  update(settings: Partial<LiveSettings>): void {
    this.send({ type: 'update', settings });
  }

  private emit(event: TrainEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private setState(state: RunState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit({ type: 'state', state, step: this.currentStep });
  }

  /** Runs the training to its end; the model's variables then hold the kept weights. */
  async run(): Promise<TrainResult> {
    if (this.started) throw new Error('a TrainController runs once; create a new one for another run');
    this.started = true;
    try {
      const result = await new Run(this.options, {
        emit: (event) => this.emit(event),
        setState: (state) => this.setState(state),
        setStep: (step) => (this.currentStep = step),
        takeCommands: () => this.commands.splice(0),
        takeStateRequests: () => this.captures.splice(0),
        takeError: () => this.reportedErrors.shift(),
        peekError: () => this.reportedErrors[0],
        waitForCommand: () =>
          this.commands.length > 0 || this.captures.length > 0
            ? Promise.resolve()
            : new Promise<void>((resolve) => (this.wake = resolve)),
      }).execute();
      this.setState('finished');
      return result;
    } catch (error) {
      this.setState('finished');
      this.emit({ type: 'error', message: errorText(error) });
      throw error;
    } finally {
      for (const request of this.captures.splice(0)) {
        request.reject(new Error('the run ended before its state could be captured'));
      }
    }
  }
}

interface StateRequest {
  resolve(state: ResumeState): void;
  reject(error: unknown): void;
}

interface RunHooks {
  emit(event: TrainEvent): void;
  setState(state: RunState): void;
  setStep(step: number): void;
  takeCommands(): ControlCommand[];
  takeStateRequests(): StateRequest[];
  takeError(): unknown;
  peekError(): unknown;
  waitForCommand(): Promise<void>;
}

/** One run's state; TrainController is its public face. */
class Run {
  private readonly config: TrainConfig;
  private readonly modelConfig: DistilBertConfig;
  private readonly params: Params;
  private readonly data: EncodedDataset;
  private readonly numLabels: number;
  /** Token limit of the encoded data: batches never pad beyond it. */
  private readonly maxLength: number;
  private readonly multiLabel: boolean;
  private readonly firstTrainable: number;
  private readonly trainable: Params;
  private readonly caching: boolean;
  /** The loss of each step is computed on the host (backends whose tensors live there). */
  private readonly lossOnHost = isHostBackend();
  private readonly now: () => number;
  private readonly emitInterval: number;
  private readonly caches = new Map<SplitName, SplitCache>();
  private readonly notices: string[] = [];
  private readonly history: HistoryEntry[] = [];
  private readonly classWeights: Float32Array | null;
  private readonly posWeights: Float32Array | null;
  private readonly metricName: string;
  private readonly greater: boolean;
  private optimizer: AdamW | null = null;
  private schedule: Schedule = { name: 'linear', totalSteps: 1, warmupSteps: 0 };
  private step = 0;
  private stepsPerEpoch = 1;
  private paused = false;
  private stopRequested = false;
  // Losses and the last gradient norm stay on the device until the next emit.
  private pendingLosses: tf.Scalar[] = [];
  private lastNorm: tf.Scalar | null = null;
  private lastNormValue = 0;
  private windowLossSum = 0;
  private windowLossCount = 0;
  private historyLossSum = 0;
  private historyLossCount = 0;
  private epochLossSum = 0;
  private epochLossCount = 0;
  private windowExamples = 0;
  private windowTokens = 0;
  private windowTrainMs = 0;
  private trainMs = 0;
  private lastEmit = -Infinity;
  private lastYield = 0;
  private best: ResumeState['best'] = null;
  private patienceBest: number | null = null;
  private badEvals = 0;
  private lastEvalStep = -1;

  private readonly options: TrainOptions;

  constructor(
    options: TrainOptions,
    private readonly hooks: RunHooks,
  ) {
    this.options = options;
    this.config = { ...options.config, ...(options.resume ? pickResumed(options.resume.settings) : {}) };
    this.modelConfig = options.model.config;
    this.params = options.model.params;
    this.data = options.data;
    this.numLabels = options.data.labels.length;
    this.multiLabel = options.data.multiLabel;
    const problems = checkTrainConfig(this.config, this.modelConfig);
    if (problems.length > 0) throw new Error(`invalid training settings: ${problems.join('; ')}`);
    if (this.numLabels !== this.modelConfig.numLabels) {
      throw new Error(
        `the model's head has ${this.modelConfig.numLabels} outputs but the data has ${this.numLabels} labels; load the model with the data's labels`,
      );
    }
    if (splitSize(this.data.train) === 0) throw new Error('the training split is empty');
    if (this.data.maxLength > this.modelConfig.maxPositionEmbeddings) {
      throw new Error(
        `the data was encoded with max length ${this.data.maxLength}, but the model has only ${this.modelConfig.maxPositionEmbeddings} positions`,
      );
    }
    this.maxLength = this.data.maxLength;
    this.firstTrainable = firstTrainableLayer(this.config, this.modelConfig.nLayers);
    this.trainable = trainableParams(this.params, this.config, this.modelConfig.nLayers);
    if (Object.keys(this.trainable).length === 0) throw new Error('no parameter would train in this mode');
    this.caching = (options.cacheFrozen ?? true) && this.config.mode !== 'full';
    this.now = options.now ?? (() => performance.now());
    this.emitInterval = options.emitIntervalMs ?? 100;
    const train = this.data.train;
    this.classWeights = this.multiLabel
      ? null
      : classWeightsFor(this.config.classWeights, train.labels as Int32Array, this.data.labels);
    this.posWeights = this.multiLabel
      ? posWeightsFor(this.config.classWeights, train.labels as Uint8Array, this.data.labels)
      : null;
    this.metricName = metricKey(this.config.metricForBestModel);
    this.greater = greaterIsBetter(this.metricName);
  }

  private notice(message: string, level: 'info' | 'warning' = 'info'): void {
    this.notices.push(message);
    this.hooks.emit({ type: 'notice', level, message, step: this.step });
  }

  private lossSettings(): LossSettings {
    return {
      multiLabel: this.multiLabel,
      numLabels: this.numLabels,
      classWeights: this.classWeights,
      posWeights: this.posWeights,
      labelSmoothing: this.config.labelSmoothing,
    };
  }

  async execute(): Promise<TrainResult> {
    this.hooks.setState('preparing');
    await ensureGradients();
    const startTensors = tf.memory().numTensors;
    let finished = false;
    try {
      const result = await this.train();
      finished = true;
      return result;
    } finally {
      // Caches the caller asked to keep are handed over only with a result.
      this.cleanup(finished && Boolean(this.options.keepCaches));
      const leaked = tf.memory().numTensors - startTensors;
      if (leaked > 0) this.notices.push(`internal: ${leaked} tensors were left after the run`);
    }
  }

  private cleanup(handOver: boolean): void {
    for (const { cache, onDevice, builtHere } of this.caches.values()) {
      onDevice?.dispose();
      if (builtHere && !handOver) void cache.dispose();
    }
    this.caches.clear();
    tf.dispose(this.pendingLosses);
    this.pendingLosses = [];
    this.lastNorm?.dispose();
    this.lastNorm = null;
    this.optimizer?.dispose();
    this.optimizer = null;
  }

  private async train(): Promise<TrainResult> {
    const config = this.config;
    const train = this.data.train;
    const nTrain = splitSize(train);
    const nValidation = splitSize(this.data.validation);
    const nTest = splitSize(this.data.test);

    if (this.caching) {
      for (const split of ['train', 'validation', 'test'] as const) {
        if (splitSize(this.data[split]) > 0) await this.buildCache(split);
      }
    }

    const effectiveBatch = config.batchSize * config.gradAccumSteps;
    this.stepsPerEpoch = Math.ceil(nTrain / effectiveBatch);
    const totalSteps = this.stepsPerEpoch * config.epochs;
    this.schedule = {
      name: config.schedule,
      totalSteps,
      warmupSteps: warmupSteps(totalSteps, { steps: config.warmupSteps, ratio: config.warmupRatio }),
    };
    const names = Object.keys(this.trainable);
    this.optimizer = new AdamW(this.trainable, {
      beta1: config.adamBeta1,
      beta2: config.adamBeta2,
      eps: config.adamEpsilon,
      weightDecay: config.weightDecay,
      maxGradNorm: config.maxGradNorm,
      ...(config.layerLrDecay < 1
        ? { lrScales: layerLrScales(names, this.modelConfig.nLayers, config.layerLrDecay) }
        : {}),
    });
    if (this.options.resume) this.applyResume(this.options.resume, nTrain, totalSteps);
    const trainableCount = Object.values(this.trainable).reduce((s, v) => s + v.size, 0);
    const totalCount = Object.values(this.params).reduce((s, v) => s + v.size, 0);
    let cacheBytes = 0;
    for (const { cache } of this.caches.values()) cacheBytes += cache.byteLength;
    if (nValidation === 0) {
      this.notice('No validation split: the final weights are kept, and early stopping is off.', 'warning');
    }
    if (this.multiLabel && config.labelSmoothing > 0) {
      this.notice(
        `Label smoothing on multi-label targets: y·(1 − ${config.labelSmoothing}) + ${config.labelSmoothing}/2.`,
      );
    }
    this.hooks.emit({
      type: 'start',
      totalSteps,
      stepsPerEpoch: this.stepsPerEpoch,
      epochs: config.epochs,
      warmupSteps: this.schedule.warmupSteps,
      effectiveBatchSize: effectiveBatch,
      trainExamples: nTrain,
      validationExamples: nValidation,
      testExamples: nTest,
      trainableParameters: trainableCount,
      frozenParameters: totalCount - trainableCount,
      cacheBytes,
    });
    this.hooks.setState('running');

    let reason: FinishReason = 'completed';
    let message = '';
    this.lastYield = this.now();
    try {
      const firstEpoch = Math.floor(this.step / this.stepsPerEpoch);
      outer: for (let epoch = firstEpoch; epoch < config.epochs; epoch++) {
        const epochStart = this.now();
        // Each epoch's order depends on the seed and the epoch alone, so a resumed run draws the same.
        const order = permutation(nTrain, createRng(`${config.seed}:shuffle:${epoch}`));
        const firstGroup = epoch === firstEpoch ? this.step % this.stepsPerEpoch : 0;
        for (let group = firstGroup; group < this.stepsPerEpoch; group++) {
          if (await this.handleCommands()) {
            reason = 'stopped';
            break outer;
          }
          // Updates keep their examples when an out-of-memory error splits them into smaller passes.
          const rows = order.subarray(group * effectiveBatch, Math.min(nTrain, (group + 1) * effectiveBatch));
          await this.optimizerStep(rows);
          const evalDue = config.evalSteps > 0 && this.step % config.evalSteps === 0;
          const epochEnd = group === this.stepsPerEpoch - 1;
          await this.maybeEmitStep(epochEnd || evalDue);
          if (epochEnd) {
            this.hooks.emit({
              type: 'epoch',
              epoch: epoch + 1,
              step: this.step,
              trainLoss: this.epochLossCount > 0 ? this.epochLossSum / this.epochLossCount : NaN,
              seconds: (this.now() - epochStart) / 1000,
            });
            this.epochLossSum = 0;
            this.epochLossCount = 0;
          }
          if ((evalDue || epochEnd) && this.step !== this.lastEvalStep) {
            const stopEarly = await this.evaluateAndTrack();
            if (stopEarly) {
              reason = 'early_stopped';
              message = `Stopped early: ${this.metricName} did not improve for ${config.earlyStoppingPatience} evaluations.`;
              break outer;
            }
          }
          if (this.now() - this.lastYield > 20) {
            await yieldToEventLoop();
            this.lastYield = this.now();
          }
        }
      }
    } catch (error) {
      if (!isDeviceLost(error)) throw error;
      reason = 'device_lost';
      message = `The GPU device was lost (${errorText(error)}). Training stopped${
        this.best ? ` with the best checkpoint kept (step ${this.best.checkpoint.step})` : ''
      }.`;
      this.notice(message, 'warning');
    }

    this.hooks.setState('stopping');
    if (reason !== 'device_lost') {
      await this.maybeEmitStep(true);
      await this.serveStateRequests();
    } else {
      this.disposePending();
    }
    return this.finish(reason, message);
  }

  private disposePending(): void {
    tf.dispose(this.pendingLosses);
    this.pendingLosses = [];
  }

  /** Applies queued commands; waits while paused. Returns true when the run should stop. */
  private async handleCommands(): Promise<boolean> {
    for (;;) {
      // A device lost while paused ends the run now rather than at the next step.
      if (isDeviceLost(this.hooks.peekError())) throw this.hooks.takeError();
      for (const command of this.hooks.takeCommands()) this.apply(command);
      await this.serveStateRequests();
      if (this.stopRequested) return true;
      if (!this.paused) return false;
      await this.hooks.waitForCommand();
    }
  }

  private apply(command: ControlCommand): void {
    const ack = (applied: boolean, message?: string) =>
      this.hooks.emit({
        type: 'command',
        command,
        step: this.step,
        applied,
        ...(message ? { message } : {}),
      });
    switch (command.type) {
      case 'pause':
        this.paused = true;
        this.hooks.setState('paused');
        ack(true);
        return;
      case 'resume':
        this.paused = false;
        this.hooks.setState('running');
        this.lastEmit = this.now();
        ack(true);
        return;
      case 'stop':
        this.stopRequested = true;
        this.hooks.setState('stopping');
        ack(true);
        return;
      case 'setLr':
        return this.applySettings({ learningRate: command.lr }, ack);
      case 'update':
        return this.applySettings(command.settings, ack);
    }
  }

  private applySettings(
    settings: Partial<LiveSettings>,
    ack: (applied: boolean, message?: string) => void,
  ): void {
    const unknown = Object.keys(settings).filter(
      (key) => !(LIVE_SETTINGS as readonly string[]).includes(key),
    );
    if (unknown.length > 0) return ack(false, `cannot change ${unknown.join(', ')} while training`);
    const next = { ...this.config, ...settings };
    const problems = checkTrainConfig(next, this.modelConfig);
    if (problems.length > 0) return ack(false, problems.join('; '));
    Object.assign(this.config, settings);
    if (this.optimizer) {
      this.optimizer.options.weightDecay = this.config.weightDecay;
      this.optimizer.options.maxGradNorm = this.config.maxGradNorm;
    }
    ack(true);
  }

  private currentLr(): number {
    return this.config.learningRate * lrMultiplier(this.schedule, this.step);
  }

  /** One optimizer update over `rows`, in micro-batches; halves the batch on out-of-memory. */
  private async optimizerStep(rows: Int32Array): Promise<void> {
    const started = this.now();
    const groupLabels = gatherLabels(this.data.train, rows, this.multiLabel, this.numLabels);
    const labelsForLoss = this.multiLabel ? Uint8Array.from(groupLabels) : (groupLabels as Int32Array);
    // Every micro-batch divides by the whole update's normaliser, so the accumulated gradient is
    // exactly the gradient of the update's mean loss.
    const groupNormalizer = Math.max(lossNormalizer(labelsForLoss, this.lossSettings()), 1e-12);
    for (;;) {
      let grads: Record<string, tf.Tensor> | null = null;
      let loss: tf.Scalar | null = null;
      let tokens = 0;
      try {
        const micro = this.config.batchSize;
        for (let m = 0, start = 0; start < rows.length; m++, start += micro) {
          const microRows = rows.subarray(start, Math.min(rows.length, start + micro));
          const reported = this.hooks.takeError();
          if (reported !== undefined) throw reported;
          this.options.beforeMicroBatch?.({ step: this.step, microBatch: m, batchSize: micro });
          const batch = await this.makeBatch('train', microRows);
          tokens += batch.tokens;
          try {
            const seed = hashSeed(`${this.config.seed}:${this.step}:${start}`);
            const settings = this.lossSettings();
            const { value, grads: microGrads } = namedGradients(
              () =>
                tf.tidy(() => {
                  const logits = this.logits(batch, this.config.dropout, seed);
                  if (this.options.loss) {
                    return this.options.loss({
                      logits,
                      rows: batch.rows,
                      labels: batch.labels,
                      cpuLabels: batch.cpuLabels,
                      updateLabels: labelsForLoss,
                      settings,
                      onHost: this.lossOnHost,
                    });
                  }
                  return this.lossOnHost
                    ? hostMeanLoss(logits, batch.cpuLabels, settings, groupNormalizer)
                    : (tf.div(lossSum(logits, batch.labels, settings), groupNormalizer) as tf.Scalar);
                }),
              this.trainable,
            );
            if (grads === null) {
              grads = microGrads;
            } else {
              const previous: Record<string, tf.Tensor> = grads;
              grads = tf.tidy(() => {
                const sum: Record<string, tf.Tensor> = {};
                for (const name of Object.keys(previous))
                  sum[name] = tf.add(previous[name]!, microGrads[name]!);
                return sum;
              });
              tf.dispose([...Object.values(previous), ...Object.values(microGrads)]);
            }
            if (loss === null) {
              loss = value;
            } else {
              const previousLoss = loss;
              loss = tf.add(previousLoss, value) as tf.Scalar;
              tf.dispose([previousLoss, value]);
            }
          } finally {
            this.disposeBatch(batch);
          }
        }
        const norm = this.optimizer!.step(grads!, this.currentLr());
        tf.dispose(Object.values(grads!));
        this.lastNorm?.dispose();
        this.lastNorm = norm;
        this.pendingLosses.push(loss!);
        this.step += 1;
        this.hooks.setStep(this.step);
        const elapsed = this.now() - started;
        this.trainMs += elapsed;
        this.windowTrainMs += elapsed;
        this.windowExamples += rows.length;
        this.windowTokens += tokens;
        return;
      } catch (error) {
        if (grads) tf.dispose(Object.values(grads));
        if (loss) loss.dispose();
        if (!isOutOfMemory(error)) throw error;
        if (this.config.batchSize === 1) {
          throw new Error(
            `out of memory even at batch size 1 (${errorText(error)}); try a shorter max length or fewer trainable layers`,
            { cause: error },
          );
        }
        this.config.batchSize = Math.ceil(this.config.batchSize / 2);
        this.config.gradAccumSteps *= 2;
        this.notice(
          `Out of memory: batch size halved to ${this.config.batchSize}, gradient accumulation doubled to ${this.config.gradAccumSteps} (same effective batch).`,
          'warning',
        );
      }
    }
  }

  /** Logits of the trainable part for a batch. */
  private logits(batch: Batch, training: boolean, seed?: number): tf.Tensor2D {
    const opts = seed === undefined ? { training } : { training, seed };
    const { config, modelConfig, params } = this;
    if (config.mode === 'head') return headLogits(params, modelConfig, batch.hidden as tf.Tensor2D, opts);
    // Settings saved before the option existed lack it; they get the default, on.
    const gradientCheckpointing = config.gradientCheckpointing !== false;
    if (config.mode === 'full') {
      const hidden = encode(params, modelConfig, batch.ids!, batch.mask!, { ...opts, gradientCheckpointing });
      return classifierHead(params, modelConfig, firstToken(hidden), opts);
    }
    const block = gradientCheckpointing ? checkpointedTransformerLayer : transformerLayer;
    let hidden = batch.hidden as tf.Tensor3D;
    for (let layer = this.firstTrainable; layer < modelConfig.nLayers; layer++) {
      hidden = block(params, modelConfig, layer, hidden, batch.mask!, opts);
    }
    return classifierHead(params, modelConfig, firstToken(hidden), opts);
  }

  /** The frozen part's output for a padded batch, dropout off: [B, D] (head) or [B, T, D] (top-k). */
  private frozenForward(ids: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor {
    return tf.tidy(() => {
      const hidden = encode(this.params, this.modelConfig, ids, mask, {
        training: false,
        toLayer: this.firstTrainable,
      });
      return this.config.mode === 'head' ? firstToken(hidden) : hidden;
    });
  }

  private async makeBatch(splitName: SplitName, rows: Int32Array): Promise<Batch> {
    const split = this.data[splitName];
    const cpuLabels = gatherLabels(split, rows, this.multiLabel, this.numLabels);
    const labels = this.multiLabel
      ? tf.tensor2d(cpuLabels as Float32Array, [rows.length, this.numLabels])
      : tf.tensor1d(cpuLabels as Int32Array, 'int32');
    const labelsForLoss = this.multiLabel ? Uint8Array.from(cpuLabels) : (cpuLabels as Int32Array);
    const limit = this.maxLength;
    const cached = this.caches.get(splitName);
    if (cached?.onDevice || cached?.onHost) {
      let tokens = 0;
      for (const r of rows) tokens += (split.offsets[r + 1] as number) - (split.offsets[r] as number);
      const hidden = cached.onHost
        ? tf.tensor2d(this.hostRows(cached.onHost, rows), [rows.length, this.modelConfig.dim])
        : tf.tidy(() => tf.gather(cached.onDevice!, tf.tensor1d(rows, 'int32')));
      return { rows, size: rows.length, tokens, hidden, labels, cpuLabels: labelsForLoss };
    }
    if (cached) {
      let longest = 1;
      let tokens = 0;
      for (const r of rows) {
        const length = cached.cache.lengths[r] as number;
        longest = Math.max(longest, length);
        tokens += length;
      }
      const length = paddedLength(longest, limit);
      const values = await cached.cache.read(rows, length);
      const maskValues = new Int32Array(rows.length * length);
      rows.forEach((r, i) =>
        maskValues.fill(1, i * length, i * length + (cached.cache.lengths[r] as number)),
      );
      return {
        rows,
        size: rows.length,
        tokens,
        hidden: tf.tensor3d(values, [rows.length, length, this.modelConfig.dim]),
        mask: tf.tensor2d(maskValues, [rows.length, length], 'int32'),
        labels,
        cpuLabels: labelsForLoss,
      };
    }
    const padded = padBatch(split, rows, this.data.padTokenId, limit);
    const ids = tf.tensor2d(padded.ids, [rows.length, padded.length], 'int32');
    const mask = tf.tensor2d(padded.mask, [rows.length, padded.length], 'int32');
    const batch: Batch = {
      rows,
      size: rows.length,
      tokens: padded.tokens,
      ids,
      mask,
      labels,
      cpuLabels: labelsForLoss,
    };
    if (this.config.mode !== 'full') {
      // Frozen part recomputed every step (no cache): same math as the cache, dropout off.
      batch.hidden = this.frozenForward(ids, mask);
    }
    return batch;
  }

  private disposeBatch(batch: Batch): void {
    tf.dispose(
      [batch.ids, batch.mask, batch.hidden, batch.labels].filter((t): t is tf.Tensor => t !== undefined),
    );
  }

  /** Runs the frozen part once over a split and keeps its output (or takes the caller's cache). */
  private async buildCache(splitName: SplitName): Promise<void> {
    const split = this.data[splitName];
    const n = splitSize(split);
    const head = this.config.mode === 'head';
    const lengths = head ? new Int32Array(n).fill(1) : lengthsOf(split);
    const given = this.options.featureCaches?.[splitName];
    if (given) {
      const matches =
        given.rows === n &&
        given.dim === this.modelConfig.dim &&
        given.lengths.every((l, i) => l === lengths[i]);
      if (!matches) {
        throw new Error(
          `the cached ${splitName} features do not fit this run (${given.rows} rows × ${given.dim}, expected ${n} × ${this.modelConfig.dim} with the split's token counts); drop the cache`,
        );
      }
      const entry: SplitCache = { cache: given, builtHere: false };
      this.caches.set(splitName, entry);
      if (head) await this.upload(entry, n);
      return;
    }
    const factory = this.options.featureCache ?? memoryFeatureCache;
    const cache = await factory(lengths, this.modelConfig.dim);
    const entry: SplitCache = { cache, builtHere: true };
    this.caches.set(splitName, entry);
    const order = rowsByLength(split);
    let done = 0;
    let lastProgress = -Infinity;
    await this.inBatches(order, async (rows) => {
      const padded = padBatch(split, rows, this.data.padTokenId, this.maxLength);
      const values = tf.tidy(() => {
        const ids = tf.tensor2d(padded.ids, [rows.length, padded.length], 'int32');
        const mask = tf.tensor2d(padded.mask, [rows.length, padded.length], 'int32');
        return this.frozenForward(ids, mask);
      });
      try {
        const data = (await values.data()) as Float32Array;
        await cache.write(rows, data, head ? 1 : padded.length);
      } finally {
        values.dispose();
      }
      done += rows.length;
      if (this.now() - lastProgress >= this.emitInterval || done === n) {
        lastProgress = this.now();
        this.hooks.emit({ type: 'progress', stage: 'cache', split: splitName, done, total: n });
        await yieldToEventLoop();
      }
    });
    if (head) await this.upload(entry, n);
  }

  /**
   * Head-only: all first-token features are read once. A GPU gets them uploaded and gathers each
   * batch on the device; a host backend copies each batch's rows (its gather kernel walks every
   * element with index arithmetic: ~0.4 ms for 16 rows on WASM, against microseconds for a copy).
   */
  private async upload(entry: SplitCache, n: number): Promise<void> {
    const all = await entry.cache.read(
      Int32Array.from({ length: n }, (_, i) => i),
      1,
    );
    if (isHostBackend()) entry.onHost = all;
    else entry.onDevice = tf.tensor2d(all, [n, this.modelConfig.dim]);
  }

  /** The given rows of a row-major [n, dim] feature matrix, as one [rows, dim] array. */
  private hostRows(features: Float32Array, rows: Int32Array): Float32Array {
    const dim = this.modelConfig.dim;
    const out = new Float32Array(rows.length * dim);
    for (let i = 0; i < rows.length; i++) {
      const start = (rows[i] as number) * dim;
      out.set(features.subarray(start, start + dim), i * dim);
    }
    return out;
  }

  /** Calls `work` on consecutive slices of `rows` of the eval batch size, halving it on out-of-memory. */
  private async inBatches(rows: Int32Array, work: (rows: Int32Array) => Promise<void>): Promise<void> {
    for (let start = 0; start < rows.length;) {
      const size = this.config.evalBatchSize;
      const slice = rows.subarray(start, Math.min(rows.length, start + size));
      try {
        await work(slice);
        start += slice.length;
      } catch (error) {
        if (!isOutOfMemory(error) || size === 1) throw error;
        this.config.evalBatchSize = Math.ceil(size / 2);
        this.notice(
          `Out of memory while evaluating: eval batch size halved to ${this.config.evalBatchSize}.`,
          'warning',
        );
      }
    }
  }

  /** Adds the losses still on the device to the running sums. */
  private async readPendingLosses(): Promise<void> {
    if (this.pendingLosses.length === 0) return;
    const stacked = tf.stack(this.pendingLosses);
    const values = (await stacked.data()) as Float32Array;
    stacked.dispose();
    this.disposePending();
    for (const value of values) {
      this.windowLossSum += value;
      this.historyLossSum += value;
      this.epochLossSum += value;
    }
    this.windowLossCount += values.length;
    this.historyLossCount += values.length;
    this.epochLossCount += values.length;
    if (!values.every(Number.isFinite)) {
      throw new Error(
        `the training loss became ${values.find((v) => !Number.isFinite(v))} at step ${this.step}; lower the learning rate`,
      );
    }
  }

  /** Reads pending losses and emits a step event when the emit interval has passed (or `force`). */
  private async maybeEmitStep(force: boolean): Promise<void> {
    const now = this.now();
    if (!force && now - this.lastEmit < this.emitInterval) return;
    await this.readPendingLosses();
    if (this.lastNorm) this.lastNormValue = (await this.lastNorm.data())[0] as number;
    if (this.windowLossCount === 0) return;
    const seconds = this.windowTrainMs / 1000;
    const msPerStep = this.trainMs / Math.max(1, this.step);
    this.hooks.emit({
      type: 'step',
      step: this.step,
      totalSteps: this.schedule.totalSteps,
      epoch: this.step / this.stepsPerEpoch,
      loss: this.windowLossSum / this.windowLossCount,
      lr: this.config.learningRate * lrMultiplier(this.schedule, Math.max(0, this.step - 1)),
      gradNorm: this.lastNormValue,
      examplesPerSec: seconds > 0 ? this.windowExamples / seconds : 0,
      tokensPerSec: seconds > 0 ? this.windowTokens / seconds : 0,
      etaSec: ((this.schedule.totalSteps - this.step) * msPerStep) / 1000,
    });
    this.lastEmit = now;
    this.windowLossSum = 0;
    this.windowLossCount = 0;
    this.windowExamples = 0;
    this.windowTokens = 0;
    this.windowTrainMs = 0;
  }

  private takeHistoryLoss(): number | null {
    const value = this.historyLossCount > 0 ? this.historyLossSum / this.historyLossCount : null;
    this.historyLossSum = 0;
    this.historyLossCount = 0;
    return value;
  }

  /** Evaluates validation, records history, keeps the best weights; true when patience ran out. */
  private async evaluateAndTrack(): Promise<boolean> {
    this.lastEvalStep = this.step;
    const epoch = this.step / this.stepsPerEpoch;
    if (splitSize(this.data.validation) === 0) {
      this.history.push({ step: this.step, epoch, train_loss: this.takeHistoryLoss() });
      return false;
    }
    const { report } = await this.evaluate('validation');
    this.history.push({ step: this.step, epoch, train_loss: this.takeHistoryLoss(), eval: report.metrics });
    const value = report.metrics[this.metricName];
    if (value === undefined) {
      throw new Error(
        `the metric "${this.config.metricForBestModel}" does not exist; choose one of ${Object.keys(report.metrics).join(', ')}`,
      );
    }
    // As the Hugging Face Trainer: the best checkpoint follows any improvement; patience only
    // resets on an improvement larger than min delta.
    const current = this.best?.checkpoint.value;
    const isBest = current === undefined || (this.greater ? value > current : value < current);
    if (isBest) {
      this.best = {
        checkpoint: { step: this.step, epoch, metric: this.metricName, value },
        report,
        weights: await this.snapshot(),
      };
    }
    this.hooks.emit({ type: 'eval', report, metrics: report.metrics, step: this.step, epoch, isBest });
    const delta = this.config.earlyStoppingMinDelta;
    const improved =
      this.patienceBest === null ||
      (this.greater ? value - this.patienceBest > delta : this.patienceBest - value > delta);
    if (improved) {
      this.patienceBest = value;
      this.badEvals = 0;
    } else {
      this.badEvals += 1;
    }
    return this.config.earlyStoppingPatience > 0 && this.badEvals >= this.config.earlyStoppingPatience;
  }

  /** Answers the pending resumeState() requests with the state at this step boundary. */
  private async serveStateRequests(): Promise<void> {
    const requests = this.hooks.takeStateRequests();
    if (requests.length === 0) return;
    try {
      // Every caller gets arrays of its own: they may be transferred to another thread.
      for (const request of requests) request.resolve(await this.captureState());
    } catch (error) {
      for (const request of requests) request.reject(error);
      throw error;
    }
  }

  private async captureState(): Promise<ResumeState> {
    await this.readPendingLosses();
    const weights = await this.snapshot();
    const best = this.best;
    const copy = (values: Record<string, Float32Array>) =>
      Object.fromEntries(Object.entries(values).map(([name, array]) => [name, array.slice()]));
    return {
      step: this.step,
      stepsPerEpoch: this.stepsPerEpoch,
      trainExamples: splitSize(this.data.train),
      seed: this.config.seed,
      weights,
      optimizer: await this.optimizer!.getState(),
      settings: pickResumed(this.config) as ResumedSettings,
      best: best
        ? {
            checkpoint: { ...best.checkpoint },
            report: best.report,
            // The best of this very step is the current weights; no second copy.
            weights: best.checkpoint.step === this.step ? weights : copy(best.weights),
          }
        : null,
      earlyStopping: { best: this.patienceBest, badEvals: this.badEvals },
      lastEvalStep: this.lastEvalStep,
      history: this.history.map((entry) => ({
        ...entry,
        ...(entry.eval ? { eval: { ...entry.eval } } : {}),
      })),
      trainLoss: {
        sinceEvalSum: this.historyLossSum,
        sinceEvalCount: this.historyLossCount,
        epochSum: this.epochLossSum,
        epochCount: this.epochLossCount,
      },
      trainSeconds: this.trainMs / 1000,
    };
  }

  /** Puts the run where `state` was captured; refuses a state that another run's data or settings gave. */
  private applyResume(state: ResumeState, trainExamples: number, totalSteps: number): void {
    const refuse = (why: string) => {
      throw new Error(`cannot resume from this checkpoint: ${why}`);
    };
    if (state.seed !== this.config.seed) {
      refuse(`it was taken with seed ${state.seed}, this run has seed ${this.config.seed}`);
    }
    if (state.trainExamples !== trainExamples) {
      refuse(`it was taken on ${state.trainExamples} training examples, this run has ${trainExamples}`);
    }
    if (state.stepsPerEpoch !== this.stepsPerEpoch) {
      refuse(
        `it was taken with ${state.stepsPerEpoch} updates per epoch, this run has ${this.stepsPerEpoch}`,
      );
    }
    if (!Number.isInteger(state.step) || state.step < 0 || state.step > totalSteps) {
      refuse(`its step ${state.step} is outside this run's ${totalSteps} steps`);
    }
    const names = Object.keys(this.trainable);
    const check = (what: string, values: Record<string, Float32Array>) => {
      const extra = Object.keys(values).filter((name) => !(name in this.trainable));
      if (extra.length > 0) refuse(`its ${what} include ${extra[0]}, which this run does not train`);
      for (const name of names) {
        const array = values[name];
        const size = (this.trainable[name] as tf.Variable).size;
        if (!array) refuse(`its ${what} lack ${name}`);
        else if (array.length !== size)
          refuse(`its ${what} for ${name} hold ${array.length} values, not ${size}`);
      }
    };
    check('weights', state.weights);
    if (state.best) check('best weights', state.best.weights);
    if (state.optimizer) {
      check('first moments', state.optimizer.m);
      check('second moments', state.optimizer.v);
      this.optimizer!.setState(state.optimizer);
    }
    this.restore(state.weights);
    this.step = state.step;
    this.hooks.setStep(this.step);
    this.best = state.best
      ? { checkpoint: { ...state.best.checkpoint }, report: state.best.report, weights: state.best.weights }
      : null;
    this.patienceBest = state.earlyStopping.best;
    this.badEvals = state.earlyStopping.badEvals;
    this.lastEvalStep = state.lastEvalStep;
    this.history.push(...state.history);
    this.historyLossSum = state.trainLoss.sinceEvalSum;
    this.historyLossCount = state.trainLoss.sinceEvalCount;
    this.epochLossSum = state.trainLoss.epochSum;
    this.epochLossCount = state.trainLoss.epochCount;
    this.trainMs = state.trainSeconds * 1000;
  }

  private keptCaches(): Partial<Record<SplitName, FeatureCache>> {
    const out: Partial<Record<SplitName, FeatureCache>> = {};
    for (const [split, entry] of this.caches) out[split] = entry.cache;
    return out;
  }

  private async snapshot(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const [name, variable] of Object.entries(this.trainable)) {
      out[name] = ((await variable.data()) as Float32Array).slice();
    }
    return out;
  }

  private restore(weights: Record<string, Float32Array>): void {
    for (const [name, variable] of Object.entries(this.trainable)) {
      const values = weights[name];
      if (!values) continue;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    }
  }

  /** Logits and probabilities of a whole split, then loss and metrics. */
  private async evaluate(
    splitName: SplitName,
    thresholds?: number[],
  ): Promise<{ report: EvalReport; probabilities: Float32Array }> {
    const split = this.data[splitName];
    const n = splitSize(split);
    const k = this.numLabels;
    const logits = new Float32Array(n * k);
    const order = rowsByLength(split);
    let done = 0;
    let lastProgress = this.now();
    await this.inBatches(order, async (rows) => {
      const batch = await this.makeBatch(splitName, rows);
      let out: tf.Tensor2D | null = null;
      try {
        out = tf.tidy(() => this.logits(batch, false));
        const values = (await out.data()) as Float32Array;
        rows.forEach((r, i) => logits.set(values.subarray(i * k, (i + 1) * k), r * k));
      } finally {
        out?.dispose();
        this.disposeBatch(batch);
      }
      done += rows.length;
      if (this.now() - lastProgress >= this.emitInterval * 5) {
        lastProgress = this.now();
        this.hooks.emit({ type: 'progress', stage: 'evaluate', split: splitName, done, total: n });
        await yieldToEventLoop();
      }
    });
    return this.reportFor(splitName, split, logits, thresholds);
  }

  private reportFor(
    splitName: SplitName,
    split: EncodedSplit,
    logits: Float32Array,
    thresholds?: number[],
  ): { report: EvalReport; probabilities: Float32Array } {
    const score = scoreLogits(logits, split.labels, {
      labels: this.data.labels,
      multiLabel: this.multiLabel,
      ...(thresholds ? { thresholds } : {}),
      tune: this.multiLabel && !thresholds && this.config.tuneThresholds && splitName === 'validation',
    });
    const report: EvalReport = {
      split: splitName,
      step: this.step,
      epoch: this.step / this.stepsPerEpoch,
      loss: score.loss,
      metrics: score.metrics,
      details: score.details,
    };
    if (score.tunedThresholds) report.tunedThresholds = score.tunedThresholds;
    if (score.tunedMetrics) report.tunedMetrics = score.tunedMetrics;
    return { report, probabilities: score.probabilities };
  }

  private async finish(reason: FinishReason, message: string): Promise<TrainResult> {
    const deviceLost = reason === 'device_lost';
    const hasValidation = splitSize(this.data.validation) > 0;
    if (!deviceLost && hasValidation && this.best === null) {
      // Stopped before the first evaluation: the current weights are the best there is.
      await this.evaluateAndTrack();
    }
    if (!deviceLost && this.best && this.best.checkpoint.step !== this.step) {
      this.restore(this.best.weights);
      this.notice(
        `Restored the best checkpoint: step ${this.best.checkpoint.step} (${this.best.checkpoint.metric} ${this.best.checkpoint.value.toFixed(4)}).`,
      );
    }
    const thresholds =
      this.multiLabel && this.best?.report?.tunedThresholds ? this.best.report.tunedThresholds : null;
    let test: EvalReport | null = null;
    let testPredictions: TestPredictions | null = null;
    const testSplit = this.data.test;
    if (!deviceLost && splitSize(testSplit) > 0) {
      const evaluated = await this.evaluate('test', this.multiLabel ? (thresholds ?? undefined) : undefined);
      test = evaluated.report;
      if (this.best) {
        test.step = this.best.checkpoint.step;
        test.epoch = this.best.checkpoint.epoch;
      }
      testPredictions = {
        rows: testSplit.rows,
        labels: testSplit.labels,
        probabilities: evaluated.probabilities,
        thresholds: this.multiLabel ? (thresholds ?? new Array<number>(this.numLabels).fill(0.5)) : null,
      };
    }
    if (!message) {
      message =
        reason === 'stopped'
          ? `Stopped at step ${this.step}${this.best ? `; kept the best checkpoint (step ${this.best.checkpoint.step})` : ''}.`
          : `Finished ${this.step} steps.`;
    }
    const best = this.best?.checkpoint ?? null;
    this.hooks.setState('finished');
    this.hooks.emit({ type: 'done', reason, message, best, test, history: this.history });
    return {
      reason,
      message,
      config: { ...this.config },
      history: this.history,
      best,
      validation: this.best?.report ?? null,
      test,
      testPredictions,
      thresholds,
      steps: this.step,
      trainSeconds: this.trainMs / 1000,
      notices: this.notices,
      checkpoint: this.best?.weights ?? (deviceLost ? null : await this.snapshot()),
      caches: this.options.keepCaches ? this.keptCaches() : {},
    };
  }
}

function pickResumed(config: Partial<ResumedSettings>): Partial<ResumedSettings> {
  return Object.fromEntries(
    RESUMED_SETTINGS.flatMap((key) => (config[key] === undefined ? [] : [[key, config[key]]])),
  ) as Partial<ResumedSettings>;
}

/** Runs training with a listener; the simple form of new TrainController(options).run(). */
export async function trainModel(
  options: TrainOptions,
  onEvent?: (event: TrainEvent) => void,
): Promise<TrainResult> {
  const controller = new TrainController(options);
  if (onEvent) controller.on(onEvent);
  return controller.run();
}
