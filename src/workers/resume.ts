// The epoch checkpoint a run is resumed from after a reload, as one safetensors file: the
// trainable weights under their own names, AdamW's moments under `optimizer.exp_avg.<name>` and
// `optimizer.exp_avg_sq.<name>` (torch's names), the best weights so far under `best.<name>` when
// they are not the current ones, and the loop's bookkeeping (step, early stopping, history, …) as
// JSON in the header's metadata. One file, written in one piece, so the weights and the optimizer
// state saved together always belong together.
//
// Format 1 (older studios) held the trainable weights only: such a run resumes with a fresh
// optimizer, and says so.
import {
  type ModelConfig,
  readSafetensorsHeader,
  safetensorsLayout,
  parameterShapes,
} from '../core/model/index.ts';
import {
  type TrainConfig,
  type BestCheckpoint,
  RESUMED_SETTINGS,
  type ResumedSettings,
  type ResumeState,
} from '../core/train/index.ts';

export const CHECKPOINT_FORMAT = 2;
const FORMAT_KEY = 'finetune_studio_checkpoint';
const STATE_KEY = 'finetune_studio_resume';
const FIRST_MOMENT = 'optimizer.exp_avg.';
const SECOND_MOMENT = 'optimizer.exp_avg_sq.';
const BEST = 'best.';

/** The metadata part of a ResumeState: everything but the arrays. */
type StoredState = Omit<ResumeState, 'weights' | 'optimizer' | 'best'> & {
  optimizerStep: number | null;
  best: (Omit<NonNullable<ResumeState['best']>, 'weights'> & { atCurrentStep: boolean }) | null;
};

/**
 * The checkpoint file of a captured state, as a Blob built from the state's arrays (no combined
 * buffer is made; posted to the page it travels by reference and is written to storage as is).
 */
export function resumeCheckpointBlob(state: ResumeState, config: ModelConfig): Blob {
  const shapes = parameterShapes(config);
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  const add = (prefix: string, values: Record<string, Float32Array>) => {
    for (const [name, data] of Object.entries(values)) {
      tensors.push({ name: prefix + name, shape: shapes.get(name) ?? [data.length], data });
    }
  };
  add('', state.weights);
  if (state.optimizer) {
    add(FIRST_MOMENT, state.optimizer.m);
    add(SECOND_MOMENT, state.optimizer.v);
  }
  const atCurrentStep = state.best?.checkpoint.step === state.step;
  if (state.best && !atCurrentStep) add(BEST, state.best.weights);
  const stored: StoredState = {
    step: state.step,
    stepsPerEpoch: state.stepsPerEpoch,
    trainExamples: state.trainExamples,
    seed: state.seed,
    settings: state.settings,
    earlyStopping: state.earlyStopping,
    lastEvalStep: state.lastEvalStep,
    history: state.history,
    trainLoss: state.trainLoss,
    trainSeconds: state.trainSeconds,
    optimizerStep: state.optimizer?.step ?? null,
    best: state.best ? { checkpoint: state.best.checkpoint, report: state.best.report, atCurrentStep } : null,
  };
  const layout = safetensorsLayout(tensors, {
    format: 'pt',
    [FORMAT_KEY]: String(CHECKPOINT_FORMAT),
    [STATE_KEY]: JSON.stringify(stored),
  });
  const byName = new Map(tensors.map((tensor) => [tensor.name, tensor.data]));
  const parts: BlobPart[] = [layout.prefix as Uint8Array<ArrayBuffer>];
  for (const entry of layout.entries) parts.push(byName.get(entry.name) as Float32Array<ArrayBuffer>);
  return new Blob(parts, { type: 'application/octet-stream' });
}

export interface ReadCheckpoint {
  /** 1: weights only (older studios); 2: weights, optimizer state and the loop's bookkeeping. */
  format: number;
  /** The trainable weights. */
  weights: Record<string, Float32Array>;
  /** What the run continues from; null for format 1. */
  state: ResumeState | null;
}

/** Reads an epoch checkpoint file; its arrays are views of `bytes`, not copies. */
export function readResumeCheckpoint(bytes: Uint8Array): ReadCheckpoint {
  const header = readSafetensorsHeader(bytes, 'the run checkpoint');
  const groups = { weights: {}, m: {}, v: {}, best: {} } as Record<
    'weights' | 'm' | 'v' | 'best',
    Record<string, Float32Array>
  >;
  for (const info of header.tensors) {
    if (info.dtype !== 'F32')
      throw new Error(`the run checkpoint holds ${info.name} as ${info.dtype}, not F32`);
    const start = bytes.byteOffset + header.dataStart + info.begin;
    const count = (info.end - info.begin) / 4;
    // The data section is 8-byte aligned and every tensor a whole number of floats: views work
    // unless the bytes themselves start unaligned.
    const values =
      start % 4 === 0
        ? new Float32Array(bytes.buffer, start, count)
        : new Float32Array(
            bytes.slice(start - bytes.byteOffset, start - bytes.byteOffset + count * 4).buffer,
          );
    if (info.name.startsWith(FIRST_MOMENT)) groups.m[info.name.slice(FIRST_MOMENT.length)] = values;
    else if (info.name.startsWith(SECOND_MOMENT)) groups.v[info.name.slice(SECOND_MOMENT.length)] = values;
    else if (info.name.startsWith(BEST)) groups.best[info.name.slice(BEST.length)] = values;
    else groups.weights[info.name] = values;
  }
  const formatText = header.metadata[FORMAT_KEY];
  const format = formatText === undefined ? 1 : Number(formatText);
  if (!Number.isInteger(format) || format < 1) throw new Error('the run checkpoint has an unreadable format');
  if (format > CHECKPOINT_FORMAT) {
    throw new Error(
      `the run checkpoint comes from a newer version of the studio (format ${format}); reload the page to get it`,
    );
  }
  if (format === 1) return { format, weights: groups.weights, state: null };
  const stateText = header.metadata[STATE_KEY];
  if (stateText === undefined) throw new Error('the run checkpoint lacks the state of its training loop');
  const stored = JSON.parse(stateText) as StoredState;
  const { optimizerStep, best, ...rest } = stored;
  return {
    format,
    weights: groups.weights,
    state: {
      ...rest,
      weights: groups.weights,
      optimizer: optimizerStep === null ? null : { step: optimizerStep, m: groups.m, v: groups.v },
      best: best
        ? {
            checkpoint: best.checkpoint,
            report: best.report,
            weights: best.atCurrentStep ? groups.weights : groups.best,
          }
        : null,
    },
  };
}

/**
 * What a format-1 checkpoint (weights at an epoch's end, no optimizer state) continues from: the
 * same schedule, data order and step numbers, but zeroed moments, and no history or loss sums.
 */
export function freshOptimizerState(
  config: TrainConfig,
  checkpoint: { step: number; weights: Record<string, Float32Array> },
  trainExamples: number,
  best: { checkpoint: BestCheckpoint; weights: Record<string, Float32Array> } | null,
): ResumeState {
  return {
    step: checkpoint.step,
    stepsPerEpoch: Math.ceil(trainExamples / (config.batchSize * config.gradAccumSteps)),
    trainExamples,
    seed: config.seed,
    weights: checkpoint.weights,
    optimizer: null,
    settings: Object.fromEntries(RESUMED_SETTINGS.map((key) => [key, config[key]])) as ResumedSettings,
    best: best ? { ...best, report: null } : null,
    earlyStopping: { best: best?.checkpoint.value ?? null, badEvals: 0 },
    // An epoch checkpoint is taken after the epoch's evaluation.
    lastEvalStep: checkpoint.step,
    history: [],
    trainLoss: { sinceEvalSum: 0, sinceEvalCount: 0, epochSum: 0, epochCount: 0 },
    trainSeconds: 0,
  };
}
