// Training settings: one typed object, its defaults per mode, a one-line help text per field for
// the UI (saying where a default differs from the Hugging Face Trainer's), validation, and the
// mapping to Hugging Face TrainingArguments names for training_args.json.
import type { ScheduleName } from './schedules.ts';
import { SCHEDULE_NAMES } from './schedules.ts';

export const TRAIN_MODES = ['head', 'top-k', 'full'] as const;
export type TrainMode = (typeof TRAIN_MODES)[number];

export type ClassWeightSetting = 'none' | 'balanced' | Record<string, number>;

export interface TrainConfig {
  mode: TrainMode;
  /** top-k: how many of the top transformer blocks train (1 … n_layers). */
  layers: number;
  /** full: keep the embeddings frozen. */
  freezeEmbeddings: boolean;
  /** full and top-k: recompute each block's activations in the backward pass instead of keeping them. */
  gradientCheckpointing: boolean;
  epochs: number;
  learningRate: number;
  /** Examples per forward/backward pass (per micro-batch). */
  batchSize: number;
  /** Micro-batches whose gradients add up to one optimizer update. */
  gradAccumSteps: number;
  evalBatchSize: number;
  /** Token limit the data was encoded with (recorded; the data step applies it). */
  maxLength: number;
  seed: number;
  schedule: ScheduleName;
  warmupRatio: number;
  /** Warmup in optimizer steps; when > 0 it overrides warmupRatio. */
  warmupSteps: number;
  weightDecay: number;
  /** Global gradient-norm clip; 0 turns clipping off. */
  maxGradNorm: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  /** Layer-wise lr decay factor; 1 = the same lr everywhere. */
  layerLrDecay: number;
  classWeights: ClassWeightSetting;
  labelSmoothing: number;
  /** Dropout while training (the model config's rates); off makes training deterministic across batchings. */
  dropout: boolean;
  /** Evaluate on validation every N optimizer steps (0: only at each epoch end). */
  evalSteps: number;
  /** Validation metric that picks the best checkpoint and drives early stopping. */
  metricForBestModel: string;
  /** Stop after this many evaluations without improvement (0: never stop early). */
  earlyStoppingPatience: number;
  /** Smallest change of the metric that counts as an improvement for early stopping. */
  earlyStoppingMinDelta: number;
  /** Multi-label: tune each label's decision threshold on validation (else 0.5). */
  tuneThresholds: boolean;
}

export function defaultTrainConfig(mode: TrainMode = 'full'): TrainConfig {
  return {
    mode,
    layers: 2,
    freezeEmbeddings: false,
    gradientCheckpointing: true,
    epochs: 3,
    learningRate: mode === 'head' ? 1e-3 : 5e-5,
    batchSize: 16,
    gradAccumSteps: 1,
    evalBatchSize: 64,
    maxLength: 128,
    seed: 42,
    schedule: 'linear',
    warmupRatio: 0.1,
    warmupSteps: 0,
    weightDecay: 0.01,
    maxGradNorm: 1,
    adamBeta1: 0.9,
    adamBeta2: 0.999,
    adamEpsilon: 1e-8,
    layerLrDecay: 1,
    classWeights: 'none',
    labelSmoothing: 0,
    dropout: true,
    evalSteps: 0,
    metricForBestModel: 'loss',
    earlyStoppingPatience: 0,
    earlyStoppingMinDelta: 0,
    tuneThresholds: true,
  };
}

/** One line per field, for the settings form. */
export const TRAIN_CONFIG_HELP: Record<keyof TrainConfig, string> = {
  mode: 'What trains: the head only (encoder frozen, features cached: fastest), the top k blocks + head, or the whole model.',
  layers:
    'Top-k mode: how many of the top transformer blocks train; the blocks below are frozen and their output cached.',
  freezeEmbeddings:
    'Full mode: keep the word and position embeddings fixed (saves memory and time, often costs little accuracy).',
  gradientCheckpointing:
    'Full and top-k: recompute each block in the backward pass instead of keeping its activations: about a third more compute for a fraction of the memory (a distilbert-base batch of 16 otherwise needs several GB). On by default; the Trainer’s default is off.',
  epochs: 'Passes over the training split. Default 3, as the Hugging Face Trainer.',
  learningRate:
    'Peak learning rate. Default 5e-5 for full and top-k (the Trainer’s default), 1e-3 for head-only, since a fresh head on frozen features needs larger steps.',
  batchSize: 'Examples per forward/backward pass. Default 16; the Hugging Face Trainer uses 8.',
  gradAccumSteps:
    'Passes whose gradients add up to one update: effective batch = batch size × this. Default 1.',
  evalBatchSize:
    'Examples per pass when evaluating (no gradients, so it can be larger). Default 64; the Trainer uses 8.',
  maxLength: 'Longest text in tokens; longer texts are truncated. Default 128 (the tokenizer allows 512).',
  seed: 'Seeds shuffling, dropout and the new head: the same seed, data and settings give the same run. Default 42, as the Trainer.',
  schedule:
    'How the learning rate changes after warmup: linear decay to 0 (default, as the Trainer), cosine, or constant.',
  warmupRatio:
    'Fraction of the updates over which the learning rate rises from 0. Default 0.1; the Trainer’s default is 0 (no warmup).',
  warmupSteps: 'Warmup length in updates; when above 0 it replaces the warmup ratio. Default 0.',
  weightDecay:
    'AdamW decoupled weight decay, not applied to biases and LayerNorm weights. Default 0.01; the Trainer’s default is 0.',
  maxGradNorm:
    'Gradients are clipped to this global L2 norm before each update (0: no clipping). Default 1.0, as the Trainer.',
  adamBeta1: 'AdamW β1 (momentum). Default 0.9, as the Trainer.',
  adamBeta2: 'AdamW β2 (second-moment decay). Default 0.999, as the Trainer.',
  adamEpsilon: 'AdamW ε added to the denominator. Default 1e-8, as the Trainer.',
  layerLrDecay:
    'Layer-wise lr decay: the head learns at the full rate, each block below at this factor times the one above (e.g. 0.9). 1 = off (default; the Trainer has no such option).',
  classWeights:
    'Single-label: weight the loss by class — none (default, as the Trainer), balanced (inverse frequency), or your own weights per label. Multi-label: per-label positive weights.',
  labelSmoothing: 'Label smoothing ε for the cross-entropy (0 = off, the Trainer’s default; 0.1 is common).',
  dropout: 'Dropout while training, at the model’s own rates. On by default; off only for exact comparisons.',
  evalSteps: 'Also evaluate on validation every N updates (0: only at the end of each epoch, the default).',
  metricForBestModel:
    'Validation metric that picks the checkpoint kept at the end (loss, accuracy, macro_f1, micro_f1, …). Default loss, as the Trainer.',
  earlyStoppingPatience:
    'Stop after this many evaluations without improvement of the metric (0 = off, the default).',
  earlyStoppingMinDelta:
    'An evaluation must improve the metric by more than this to reset the patience. Default 0.',
  tuneThresholds:
    'Multi-label: choose each label’s decision threshold to maximise its F1 on validation; the test split uses them. Otherwise 0.5.',
};

/** Settings that can change while a run is going, applied at the next step. */
export const LIVE_SETTINGS = [
  'learningRate',
  'weightDecay',
  'maxGradNorm',
  'labelSmoothing',
  'evalSteps',
  'earlyStoppingPatience',
  'earlyStoppingMinDelta',
] as const satisfies readonly (keyof TrainConfig)[];
export type LiveSettings = Pick<TrainConfig, (typeof LIVE_SETTINGS)[number]>;

const isInt = (v: number, min: number): boolean => Number.isInteger(v) && v >= min;
const isNum = (v: number, min: number, max = Infinity): boolean => Number.isFinite(v) && v >= min && v <= max;

/** Every problem with `config` as one-line messages (empty when it is valid). */
export function checkTrainConfig(config: TrainConfig, model?: { nLayers: number }): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  need(
    (TRAIN_MODES as readonly string[]).includes(config.mode),
    `mode must be head, top-k or full, got "${config.mode}"`,
  );
  need(isInt(config.layers, 1), `layers must be a whole number ≥ 1, got ${config.layers}`);
  if (model && config.mode === 'top-k') {
    need(
      config.layers <= model.nLayers,
      `layers ${config.layers} exceeds the model's ${model.nLayers} transformer blocks`,
    );
  }
  need(
    isNum(config.epochs, 0) && config.epochs > 0,
    `epochs must be a positive number, got ${config.epochs}`,
  );
  need(isInt(config.epochs, 1), `epochs must be a whole number, got ${config.epochs}`);
  need(
    isNum(config.learningRate, 0) && config.learningRate > 0,
    `learning rate must be positive, got ${config.learningRate}`,
  );
  need(isInt(config.batchSize, 1), `batch size must be a whole number ≥ 1, got ${config.batchSize}`);
  need(
    isInt(config.gradAccumSteps, 1),
    `gradient accumulation must be a whole number ≥ 1, got ${config.gradAccumSteps}`,
  );
  need(
    isInt(config.evalBatchSize, 1),
    `eval batch size must be a whole number ≥ 1, got ${config.evalBatchSize}`,
  );
  need(isInt(config.maxLength, 2), `max length must be a whole number ≥ 2, got ${config.maxLength}`);
  need(Number.isInteger(config.seed), `seed must be a whole number, got ${config.seed}`);
  need(
    (SCHEDULE_NAMES as readonly string[]).includes(config.schedule),
    `schedule must be linear, cosine or constant, got "${config.schedule}"`,
  );
  need(isNum(config.warmupRatio, 0, 1), `warmup ratio must be in [0, 1], got ${config.warmupRatio}`);
  need(isInt(config.warmupSteps, 0), `warmup steps must be a whole number ≥ 0, got ${config.warmupSteps}`);
  need(isNum(config.weightDecay, 0), `weight decay must be ≥ 0, got ${config.weightDecay}`);
  need(isNum(config.maxGradNorm, 0), `max grad norm must be ≥ 0, got ${config.maxGradNorm}`);
  need(
    isNum(config.adamBeta1, 0, 1) && config.adamBeta1 < 1,
    `adam beta1 must be in [0, 1), got ${config.adamBeta1}`,
  );
  need(
    isNum(config.adamBeta2, 0, 1) && config.adamBeta2 < 1,
    `adam beta2 must be in [0, 1), got ${config.adamBeta2}`,
  );
  need(
    isNum(config.adamEpsilon, 0) && config.adamEpsilon > 0,
    `adam epsilon must be positive, got ${config.adamEpsilon}`,
  );
  need(
    isNum(config.layerLrDecay, 0, 1) && config.layerLrDecay > 0,
    `layer lr decay must be in (0, 1], got ${config.layerLrDecay}`,
  );
  need(
    isNum(config.labelSmoothing, 0, 1) && config.labelSmoothing < 1,
    `label smoothing must be in [0, 1), got ${config.labelSmoothing}`,
  );
  need(isInt(config.evalSteps, 0), `eval steps must be a whole number ≥ 0, got ${config.evalSteps}`);
  need(
    isInt(config.earlyStoppingPatience, 0),
    `early stopping patience must be a whole number ≥ 0, got ${config.earlyStoppingPatience}`,
  );
  need(
    isNum(config.earlyStoppingMinDelta, 0),
    `early stopping min delta must be ≥ 0, got ${config.earlyStoppingMinDelta}`,
  );
  const cw = config.classWeights;
  need(
    cw === 'none' || cw === 'balanced' || (typeof cw === 'object' && cw !== null && !Array.isArray(cw)),
    'class weights must be none, balanced, or weights by label name',
  );
  return problems;
}

/** The metric name as the evaluation reports it: `eval_loss` → `loss`, `eval_accuracy` → `accuracy`. */
export function metricKey(name: string): string {
  return name.replace(/^eval_/, '');
}

/**
 * The run's settings under Hugging Face TrainingArguments names where one exists; the studio's
 * own settings (mode, layers, class weights, …) under `finetune_studio`.
 */
export function toTrainingArguments(config: TrainConfig, greaterIsBetter: boolean): Record<string, unknown> {
  const scheduler =
    config.schedule === 'constant'
      ? config.warmupSteps > 0 || config.warmupRatio > 0
        ? 'constant_with_warmup'
        : 'constant'
      : config.schedule;
  return {
    num_train_epochs: config.epochs,
    learning_rate: config.learningRate,
    per_device_train_batch_size: config.batchSize,
    per_device_eval_batch_size: config.evalBatchSize,
    gradient_accumulation_steps: config.gradAccumSteps,
    seed: config.seed,
    data_seed: config.seed,
    lr_scheduler_type: scheduler,
    warmup_ratio: config.warmupRatio,
    warmup_steps: config.warmupSteps,
    weight_decay: config.weightDecay,
    max_grad_norm: config.maxGradNorm,
    adam_beta1: config.adamBeta1,
    adam_beta2: config.adamBeta2,
    adam_epsilon: config.adamEpsilon,
    optim: 'adamw_torch',
    label_smoothing_factor: config.labelSmoothing,
    gradient_checkpointing: config.mode !== 'head' && config.gradientCheckpointing !== false,
    eval_strategy: config.evalSteps > 0 ? 'steps' : 'epoch',
    ...(config.evalSteps > 0 ? { eval_steps: config.evalSteps } : {}),
    save_strategy: config.evalSteps > 0 ? 'steps' : 'epoch',
    load_best_model_at_end: true,
    metric_for_best_model: metricKey(config.metricForBestModel),
    greater_is_better: greaterIsBetter,
    finetune_studio: {
      mode: config.mode,
      ...(config.mode === 'top-k' ? { layers: config.layers } : {}),
      ...(config.mode === 'full' ? { freeze_embeddings: config.freezeEmbeddings } : {}),
      max_length: config.maxLength,
      layer_lr_decay: config.layerLrDecay,
      class_weights: config.classWeights,
      dropout: config.dropout,
      early_stopping_patience: config.earlyStoppingPatience,
      early_stopping_threshold: config.earlyStoppingMinDelta,
      tune_thresholds: config.tuneThresholds,
    },
  };
}
