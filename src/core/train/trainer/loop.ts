// The epoch and step loop of one run. Each update runs in micro-batches (gradient accumulation)
// and halves its batch on out-of-memory, keeping the effective batch; commands are applied at step
// boundaries; losses stay on the device until a step event reads them. Evaluation, the trackers
// and the final report are in evaluation.ts; TrainController is the run's public face.
import * as tf from '@tensorflow/tfjs-core';
import { greaterIsBetter } from '../../metrics/index.ts';
import { createRng, permutation } from '../../util/index.ts';
import { metricKey, type TrainConfig } from '../config.ts';
import { gatherLabels, splitSize } from '../data.ts';
import type { ControlCommand, FinishReason, RunState, TrainEvent, TrainResult } from '../events.ts';
import { ensureGradients } from '../gradients.ts';
import { isHostBackend } from '../host-backend.ts';
import { classWeightsFor, lossNormalizer, posWeightsFor, type LossSettings } from '../losses.ts';
import type { AdamW } from '../adamw/index.ts';
import { lrMultiplier, warmupSteps, type Schedule } from '../schedules.ts';
import { Batcher, inEvalBatches, type Batch } from './batches.ts';
import { applyCommand } from './commands.ts';
import { errorText, isDeviceLost, isOutOfMemory } from './errors.ts';
import { evaluateAndTrack, finishRun, yieldToEventLoop } from './evaluation.ts';
import { FrozenFeatures } from './frozen-features.ts';
import type { TrainOptions } from './options.ts';
import {
  assignResumed,
  captureState,
  checkResumable,
  initialTrainerState,
  pickResumed,
  type ResumeState,
  type TrainerState,
} from './state.ts';
import { firstTrainableLayer, trainableParams } from './trainable.ts';
import { adamWHyperparameters, checkRunInputs, createOptimizer, readWeights, writeWeights } from './setup.ts';
import { DeviceLosses, LossMeters, Throughput } from './trackers.ts';
import { accumulatedGradients, halveBatch, trainableLogits } from './step.ts';

export interface StateRequest {
  resolve(state: ResumeState): void;
  reject(error: unknown): void;
}

/** How the loop talks to its controller. */
export interface RunHooks {
  emit(event: TrainEvent): void;
  setState(state: RunState): void;
  setStep(step: number): void;
  takeCommands(): ControlCommand[];
  takeStateRequests(): StateRequest[];
  takeError(): unknown;
  peekError(): unknown;
  waitForCommand(): Promise<void>;
}

/** One run; TrainController is its public face. evaluation.ts sees it as an EvaluatingRun. */
export class Run {
  readonly config: TrainConfig;
  readonly numLabels: number;
  readonly multiLabel: boolean;
  readonly firstTrainable: number;
  readonly trainable: TrainOptions['model']['params'];
  readonly now: () => number;
  readonly emitInterval: number;
  readonly notices: string[] = [];
  readonly metricName: string;
  readonly greater: boolean;
  readonly state: TrainerState;
  readonly meters: LossMeters;
  readonly features: FrozenFeatures;
  readonly batcher: Batcher;
  private readonly lossOnHost = isHostBackend();
  private readonly classWeights: Float32Array | null;
  private readonly posWeights: Float32Array | null;
  private readonly throughput = new Throughput();
  private optimizer: AdamW | null = null;
  schedule: Schedule = { name: 'linear', totalSteps: 1, warmupSteps: 0 };
  private paused = false;
  private stopRequested = false;
  // Losses and the last gradient norm stay on the device until the next emit.
  private readonly losses = new DeviceLosses();
  private lastEmit = -Infinity;
  private lastYield = 0;

  constructor(
    readonly options: TrainOptions,
    readonly hooks: RunHooks,
  ) {
    const { model, data } = options;
    this.config = { ...options.config, ...(options.resume ? pickResumed(options.resume.settings) : {}) };
    this.numLabels = data.labels.length;
    this.multiLabel = data.multiLabel;
    checkRunInputs(this.config, model, data);
    this.firstTrainable = firstTrainableLayer(this.config, model.config.nLayers);
    this.trainable = trainableParams(model.params, this.config, model.config);
    if (Object.keys(this.trainable).length === 0) throw new Error('no parameter would train in this mode');
    this.now = options.now ?? (() => performance.now());
    this.emitInterval = options.emitIntervalMs ?? 100;
    const train = data.train;
    this.classWeights = this.multiLabel
      ? null
      : classWeightsFor(this.config.classWeights, train.labels as Int32Array, data.labels);
    this.posWeights = this.multiLabel
      ? posWeightsFor(this.config.classWeights, train.labels as Uint8Array, data.labels)
      : null;
    this.metricName = metricKey(this.config.metricForBestModel);
    this.greater = greaterIsBetter(this.metricName);
    this.state = initialTrainerState(this.config.seed, splitSize(train));
    this.meters = new LossMeters(this.state.trainLoss);
    this.features = new FrozenFeatures({
      model,
      data,
      toLayer: this.firstTrainable,
      firstTokenOnly: this.config.mode === 'head',
      ...(options.featureCache ? { featureCache: options.featureCache } : {}),
      ...(options.featureCaches ? { featureCaches: options.featureCaches } : {}),
      ...(options.callbacks?.featureEngine ? { featureEngine: options.callbacks.featureEngine } : {}),
      inBatches: (rows, work) => this.inBatches(rows, work),
      progressIntervalMs: this.emitInterval,
      now: this.now,
      notice: (message) => this.notice(message),
      onProgress: async (split, done, total) => {
        this.hooks.emit({ type: 'progress', stage: 'cache', split, done, total });
        await yieldToEventLoop();
      },
    });
    this.batcher = new Batcher({
      model,
      data,
      mode: this.config.mode,
      toLayer: this.firstTrainable,
      features: this.features,
    });
  }

  notice(message: string, level: 'info' | 'warning' = 'info'): void {
    this.notices.push(message);
    this.hooks.emit({ type: 'notice', level, message, step: this.state.step });
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
    this.features.dispose(handOver);
    this.losses.dispose();
    this.optimizer?.dispose();
    this.optimizer = null;
  }

  private async train(): Promise<TrainResult> {
    const { config, state } = this;
    const { data, model } = this.options;
    const nTrain = splitSize(data.train);
    const nValidation = splitSize(data.validation);

    const evaluateOnly = this.options.evaluateOnly ?? false;
    // Cached features pay off over epochs; scoring once reads each split's forward pass directly.
    if (config.mode !== 'full' && !evaluateOnly && (this.options.cacheFrozen ?? true)) {
      for (const split of ['train', 'validation', 'test'] as const) {
        if (splitSize(data[split]) > 0) await this.features.prepare(split);
      }
      // Training reads only the caches: the engine's session and graph memory go now.
      await this.features.closeEngine();
    }

    const effectiveBatch = config.batchSize * config.gradAccumSteps;
    state.stepsPerEpoch = Math.ceil(nTrain / effectiveBatch);
    const epochs = evaluateOnly ? 0 : config.epochs;
    const totalSteps = state.stepsPerEpoch * epochs;
    this.schedule = {
      name: config.schedule,
      totalSteps,
      warmupSteps: warmupSteps(totalSteps, { steps: config.warmupSteps, ratio: config.warmupRatio }),
    };
    this.optimizer = createOptimizer(this.trainable, config, model.config.nLayers);
    const resume = this.options.resume;
    if (resume) {
      checkResumable(resume, state, totalSteps, this.trainable);
      if (resume.optimizer) this.optimizer.setState(resume.optimizer);
      this.restore(resume.weights);
      assignResumed(state, resume);
      this.hooks.setStep(state.step);
    }
    const trainableCount = Object.values(this.trainable).reduce((s, v) => s + v.size, 0);
    const totalCount = Object.values(model.params).reduce((s, v) => s + v.size, 0);
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
      stepsPerEpoch: state.stepsPerEpoch,
      epochs,
      warmupSteps: this.schedule.warmupSteps,
      effectiveBatchSize: effectiveBatch,
      trainExamples: nTrain,
      validationExamples: nValidation,
      testExamples: splitSize(data.test),
      trainableParameters: trainableCount,
      frozenParameters: totalCount - trainableCount,
      cacheBytes: this.features.byteLength,
    });
    this.hooks.setState('running');

    let reason: FinishReason = 'completed';
    let message = evaluateOnly ? 'Evaluated the model as loaded, without training.' : '';
    this.lastYield = this.now();
    try {
      const firstEpoch = Math.floor(state.step / state.stepsPerEpoch);
      outer: for (let epoch = firstEpoch; epoch < epochs; epoch++) {
        const epochStart = this.now();
        // Each epoch's order depends on the seed and the epoch alone, so a resumed run draws the same.
        const order = permutation(nTrain, createRng(`${config.seed}:shuffle:${epoch}`));
        const firstGroup = epoch === firstEpoch ? state.step % state.stepsPerEpoch : 0;
        for (let group = firstGroup; group < state.stepsPerEpoch; group++) {
          if (await this.handleCommands()) {
            reason = 'stopped';
            break outer;
          }
          // Updates keep their examples when an out-of-memory error splits them into smaller passes.
          const rows = order.subarray(group * effectiveBatch, Math.min(nTrain, (group + 1) * effectiveBatch));
          await this.optimizerStep(rows);
          const evalDue = config.evalSteps > 0 && state.step % config.evalSteps === 0;
          const epochEnd = group === state.stepsPerEpoch - 1;
          await this.maybeEmitStep(epochEnd || evalDue);
          if (epochEnd) {
            this.hooks.emit({
              type: 'epoch',
              epoch: epoch + 1,
              step: state.step,
              trainLoss: this.meters.takeEpochMean(),
              seconds: (this.now() - epochStart) / 1000,
              engineMemory: { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes },
            });
          }
          if ((evalDue || epochEnd) && state.step !== state.lastEvalStep) {
            const stop = await evaluateAndTrack(this);
            if (stop) {
              reason = stop.reason;
              message = stop.message;
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
        state.best ? ` with the best checkpoint kept (step ${state.best.checkpoint.step})` : ''
      }.`;
      this.notice(message, 'warning');
    }

    this.hooks.setState('stopping');
    if (reason !== 'device_lost') {
      await this.maybeEmitStep(true);
      await this.serveStateRequests();
    } else {
      this.losses.disposePending();
    }
    return finishRun(this, reason, message);
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
    const { applied, message } = applyCommand(command, {
      config: this.config,
      modelConfig: this.options.model.config,
      pause: () => {
        this.paused = true;
        this.hooks.setState('paused');
      },
      resume: () => {
        this.paused = false;
        this.hooks.setState('running');
        this.lastEmit = this.now();
      },
      stop: () => {
        this.stopRequested = true;
        this.hooks.setState('stopping');
      },
    });
    this.hooks.emit({
      type: 'command',
      command,
      step: this.state.step,
      applied,
      ...(message ? { message } : {}),
    });
  }

  /** One optimizer update over `rows`, in micro-batches; halves the batch on out-of-memory. */
  private async optimizerStep(rows: Int32Array): Promise<void> {
    const started = this.now();
    const groupLabels = gatherLabels(this.options.data.train, rows, this.multiLabel, this.numLabels);
    const labelsForLoss = this.multiLabel ? Uint8Array.from(groupLabels) : (groupLabels as Int32Array);
    // Every micro-batch divides by the whole update's normaliser, so the accumulated gradient is
    // exactly the gradient of the update's mean loss.
    const normalizer = Math.max(lossNormalizer(labelsForLoss, this.lossSettings()), 1e-12);
    for (;;) {
      try {
        const { grads, loss, tokens } = await accumulatedGradients({
          rows,
          step: this.state.step,
          config: this.config,
          batcher: this.batcher,
          trainable: this.trainable,
          loss: this.options.callbacks?.loss,
          lossSettings: this.lossSettings(),
          updateLabels: labelsForLoss,
          normalizer,
          onHost: this.lossOnHost,
          logits: (batch, opts) => this.logits(batch, opts.training, opts.seed),
          takeError: () => this.hooks.takeError(),
          ...(this.options.beforeMicroBatch ? { beforeMicroBatch: this.options.beforeMicroBatch } : {}),
        });
        const lr = this.config.learningRate * lrMultiplier(this.schedule, this.state.step);
        const norm = this.optimizer!.step(grads, adamWHyperparameters(this.config, lr));
        tf.dispose(Object.values(grads));
        this.losses.add(loss, norm);
        this.state.step += 1;
        this.hooks.setStep(this.state.step);
        const elapsed = this.now() - started;
        this.state.trainSeconds += elapsed / 1000;
        this.throughput.add(rows.length, tokens, elapsed);
        return;
      } catch (error) {
        if (!isOutOfMemory(error)) throw error;
        this.notice(halveBatch(this.config, error), 'warning');
      }
    }
  }

  /** Logits of the trainable part for a batch. */
  logits(batch: Batch, training: boolean, seed?: number): tf.Tensor2D {
    const opts = seed === undefined ? { training } : { training, seed };
    return trainableLogits(this.options.model, this.config, this.firstTrainable, batch, opts);
  }

  /** Calls `work` on slices of `rows` of the eval batch size, halving it on out-of-memory. */
  inBatches(rows: Int32Array, work: (rows: Int32Array) => Promise<void>): Promise<void> {
    return inEvalBatches(
      rows,
      this.config,
      (size) => this.notice(`Out of memory while evaluating: eval batch size halved to ${size}.`, 'warning'),
      work,
    );
  }

  private readPendingLosses(): Promise<void> {
    return this.losses.readInto(this.meters, this.state.step);
  }

  /** Reads pending losses and emits a step event when the emit interval has passed (or `force`). */
  private async maybeEmitStep(force: boolean): Promise<void> {
    const now = this.now();
    if (!force && now - this.lastEmit < this.emitInterval) return;
    await this.readPendingLosses();
    const gradNorm = await this.losses.gradNorm();
    if (this.meters.windowEmpty) return;
    const { step } = this.state;
    const msPerStep = (this.state.trainSeconds * 1000) / Math.max(1, step);
    this.hooks.emit({
      type: 'step',
      step,
      totalSteps: this.schedule.totalSteps,
      epoch: step / this.state.stepsPerEpoch,
      loss: this.meters.takeWindowMean(),
      lr: this.config.learningRate * lrMultiplier(this.schedule, Math.max(0, step - 1)),
      gradNorm,
      ...this.throughput.take(),
      etaSec: ((this.schedule.totalSteps - step) * msPerStep) / 1000,
    });
    this.lastEmit = now;
  }

  /** Answers the pending resumeState() requests with the state at this step boundary. */
  async serveStateRequests(): Promise<void> {
    const requests = this.hooks.takeStateRequests();
    if (requests.length === 0) return;
    try {
      // Every caller gets arrays of its own: they may be transferred to another thread.
      for (const request of requests) {
        await this.readPendingLosses();
        const device = { weights: await this.snapshot(), optimizer: await this.optimizer!.getState() };
        request.resolve(captureState(this.state, { ...device, config: this.config }));
      }
    } catch (error) {
      for (const request of requests) request.reject(error);
      throw error;
    }
  }

  snapshot(): Promise<Record<string, Float32Array>> {
    return readWeights(this.trainable);
  }

  restore(weights: Record<string, Float32Array>): void {
    writeWeights(this.trainable, weights);
  }
}
