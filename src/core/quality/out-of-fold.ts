// Out-of-fold probabilities: K-fold training on a run's settings, so that every labelled row gets
// predicted probabilities from a model that never saw it. Each fold model trains on K − 1 folds
// less a stratified validation slice of them, picks its checkpoint and stops early on that slice
// only, and predicts the held-out fold as its test split. The held-out fold therefore never
// touches training, checkpoint selection or early stopping.
//
// Head-only and top-k: the frozen part's output is the same for every fold (the encoder does not
// train), so the first fold's caches are kept and every later fold reads its rows from them.
// K folds then cost one frozen pass plus K small trainings.
import { gatherCsr, splitSize, type EncodedDataset, type EncodedSplit } from '../tokenize/index.ts';
import {
  TrainController,
  trainableParams,
  type FeatureCache,
  type FeatureCacheFactory,
  type FeatureEngineFactory,
  type TrainConfig,
  type TrainEvent,
  type TrainModel,
  type TrainOptions,
  type TrainResult,
} from '../train/index.ts';
import { createRng } from '../util/index.ts';
import * as tf from '@tensorflow/tfjs-core';

export const DEFAULT_FOLDS = 5;
/** Share of a fold's training rows it validates on (checkpoint choice and early stopping). */
export const DEFAULT_FOLD_VALIDATION_FRACTION = 0.1;

export interface OutOfFoldOptions {
  /** The loaded model; its trainable weights are reset before each fold and restored at the end. */
  model: TrainModel;
  /** All labelled rows, in any of its splits: the folds are drawn over all of them together. */
  data: EncodedDataset;
  config: TrainConfig;
  /** K (default 5). */
  folds?: number;
  /** Seed of the fold assignment (default: the config's seed). */
  seed?: number;
  validationFraction?: number;
  featureCache?: FeatureCacheFactory;
  /** The frozen part's forward pass when folds cache features (default: tfjs). */
  featureEngine?: FeatureEngineFactory;
  /** Each fold's training events, with the fold's index. */
  onEvent?: (fold: number, event: TrainEvent) => void;
  /** Starts the fold's run; replaces `new TrainController(options)` (tests watch what each fold sees). */
  startFold?: (fold: number, options: TrainOptions) => TrainController;
  /** Reuse the first fold's frozen-part caches in the later folds (default true). */
  reuseCaches?: boolean;
  /**
   * Head-only and top-k: frozen-part caches of `data`'s own splits (a finished run's, kept by the
   * caller): every fold reads its rows from them, none is computed, and they stay the caller's.
   */
  featureCaches?: Partial<Record<'train' | 'validation' | 'test', FeatureCache>>;
  signal?: AbortSignal;
}

export interface FoldSummary {
  fold: number;
  /** 1-based file rows each part of the fold holds. */
  trainRows: Int32Array;
  validationRows: Int32Array;
  heldOutRows: Int32Array;
  steps: number;
  best: TrainResult['best'];
  reason: TrainResult['reason'];
  seconds: number;
}

export interface OutOfFoldResult {
  labels: string[];
  multiLabel: boolean;
  /** 1-based file rows, ascending. */
  rows: Int32Array;
  /** Given labels in that order: class ids, or 0/1 per label [N × K]. */
  given: Int32Array | Uint8Array;
  /** Held-out probabilities [N × K]: softmax, or each label's sigmoid. */
  probabilities: Float32Array;
  /** The fold that held each row out. */
  foldOf: Int32Array;
  folds: FoldSummary[];
  seconds: number;
}

/** All splits of an encoded data set as one split, ordered by file row. */
export function poolSplits(data: EncodedDataset): EncodedSplit {
  const parts = [data.train, data.validation, data.test];
  const width = data.multiLabel ? data.labels.length : 1;
  const entries: { part: EncodedSplit; index: number; row: number }[] = [];
  for (const part of parts) {
    for (let i = 0; i < splitSize(part); i++) entries.push({ part, index: i, row: part.rows[i] as number });
  }
  entries.sort((a, b) => a.row - b.row);
  let total = 0;
  for (const e of entries)
    total += (e.part.offsets[e.index + 1] as number) - (e.part.offsets[e.index] as number);
  const ids = new Int32Array(total);
  const offsets = new Int32Array(entries.length + 1);
  const labels = data.multiLabel ? new Uint8Array(entries.length * width) : new Int32Array(entries.length);
  const rows = new Int32Array(entries.length);
  entries.forEach((e, k) => {
    const from = e.part.offsets[e.index] as number;
    const to = e.part.offsets[e.index + 1] as number;
    ids.set(e.part.ids.subarray(from, to), offsets[k] as number);
    offsets[k + 1] = (offsets[k] as number) + to - from;
    labels.set(e.part.labels.subarray(e.index * width, (e.index + 1) * width), k * width);
    rows[k] = e.row;
  });
  return { ids, offsets, labels, rows };
}

/** The rows at `indices` of a split, as a split of their own. */
export function subsetSplit(split: EncodedSplit, indices: Int32Array, width: number): EncodedSplit {
  const { ids, offsets } = gatherCsr(split.ids, split.offsets, indices);
  const labels =
    split.labels instanceof Uint8Array
      ? new Uint8Array(indices.length * width)
      : new Int32Array(indices.length);
  indices.forEach((i, k) => labels.set(split.labels.subarray(i * width, (i + 1) * width), k * width));
  return { ids, offsets, labels, rows: Int32Array.from(indices, (i) => split.rows[i] as number) };
}

/** A stratifying key per row: the class, or for multi-label the rarest label present (-1: none). */
function strata(labels: Int32Array | Uint8Array, multiLabel: boolean, numLabels: number): Int32Array {
  if (!multiLabel) return Int32Array.from(labels);
  const n = labels.length / numLabels;
  const counts = new Float64Array(numLabels);
  for (let i = 0; i < labels.length; i++) if (labels[i]) counts[i % numLabels]! += 1;
  const out = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < numLabels; k++) {
      if (labels[i * numLabels + k] && (out[i]! < 0 || counts[k]! < counts[out[i]!]!)) out[i] = k;
    }
  }
  return out;
}

/** Rows grouped by stratum (in stratum order), each group shuffled. */
function shuffledByStratum(indices: ArrayLike<number>, keys: Int32Array, seed: number | string): number[] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i] as number;
    const key = keys[index] as number;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(index);
  }
  const rng = createRng(seed);
  const out: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) out.push(...rng.shuffle(groups.get(key)!));
  return out;
}

/**
 * Stratified fold of each row: every stratum's rows are shuffled and dealt to the folds in turn,
 * the deal continuing across strata so the folds' sizes differ by at most one.
 */
export function assignFolds(keys: Int32Array, folds: number, seed: number): Int32Array {
  const fold = new Int32Array(keys.length);
  const order = shuffledByStratum(
    Int32Array.from({ length: keys.length }, (_, i) => i),
    keys,
    `folds:${seed}`,
  );
  order.forEach((index, position) => (fold[index] = position % folds));
  return fold;
}

/** A stratified validation slice of a fold's training rows: every m-th row of each stratum's shuffle. */
export function validationSlice(
  indices: Int32Array,
  keys: Int32Array,
  fraction: number,
  seed: string,
): { train: Int32Array; validation: Int32Array } {
  if (fraction <= 0) return { train: indices, validation: new Int32Array(0) };
  const every = Math.max(2, Math.round(1 / fraction));
  const train: number[] = [];
  const validation: number[] = [];
  shuffledByStratum(indices, keys, seed).forEach((index, position) =>
    (position % every === every - 1 ? validation : train).push(index),
  );
  const sorted = (values: number[]) => Int32Array.from(values.sort((a, b) => a - b));
  return { train: sorted(train), validation: sorted(validation) };
}

/**
 * The frozen-part output of every pooled row, held by the first fold's three caches; a fold's
 * split reads its rows through a view.
 */
class PooledFeatureCache {
  private readonly source: Int32Array;
  private readonly local: Int32Array;

  constructor(
    private readonly caches: FeatureCache[],
    parts: Int32Array[],
    rows: number,
    /** Caches handed in by the caller are theirs to release. */
    private readonly owned = true,
  ) {
    this.source = new Int32Array(rows).fill(-1);
    this.local = new Int32Array(rows);
    parts.forEach((indices, c) =>
      indices.forEach((index, i) => {
        this.source[index] = c;
        this.local[index] = i;
      }),
    );
    if (this.source.includes(-1)) throw new Error('the first fold did not cache every row');
  }

  view(indices: Int32Array): FeatureCache {
    const { caches, source, local } = this;
    const dim = caches[0]!.dim;
    const lengths = Int32Array.from(indices, (i) => caches[source[i]!]!.lengths[local[i]!] as number);
    return {
      rows: indices.length,
      dim,
      lengths,
      byteLength: 0,
      write() {
        throw new Error('a fold reads the pooled feature cache; it never writes to it');
      },
      async read(rows: ArrayLike<number>, padTo: number): Promise<Float32Array> {
        const out = new Float32Array(rows.length * padTo * dim);
        const stride = padTo * dim;
        for (let c = 0; c < caches.length; c++) {
          const positions: number[] = [];
          const localRows: number[] = [];
          for (let i = 0; i < rows.length; i++) {
            const index = indices[rows[i] as number] as number;
            if (source[index] === c) {
              positions.push(i);
              localRows.push(local[index] as number);
            }
          }
          if (positions.length === 0) continue;
          const values = await caches[c]!.read(localRows, padTo);
          positions.forEach((p, k) => out.set(values.subarray(k * stride, (k + 1) * stride), p * stride));
        }
        return out;
      },
      dispose() {},
    };
  }

  async dispose(): Promise<void> {
    if (this.owned) for (const cache of this.caches) await cache.dispose();
  }
}

/** The trainable weights' values, to reset each fold to the same start. */
function snapshotTrainable(model: TrainModel, config: TrainConfig): Map<tf.Variable, Float32Array> {
  const trainable = trainableParams(model.params, config, model.config);
  return new Map(
    Object.values(trainable).map((variable) => [
      variable as tf.Variable,
      (variable.dataSync() as Float32Array).slice(),
    ]),
  );
}

function restoreTrainable(values: Map<tf.Variable, Float32Array>): void {
  for (const [variable, initial] of values) {
    tf.tidy(() => variable.assign(tf.tensor(initial, variable.shape, 'float32')));
  }
}

/** The caller's caches of `data`'s splits as one pool, rows in the pool's (file row) order. */
function givenPool(
  data: EncodedDataset,
  pool: EncodedSplit,
  caches: NonNullable<OutOfFoldOptions['featureCaches']>,
): PooledFeatureCache {
  const indexOfRow = new Map<number, number>();
  pool.rows.forEach((row, index) => indexOfRow.set(row, index));
  const parts: Int32Array[] = [];
  const given: FeatureCache[] = [];
  for (const name of ['train', 'validation', 'test'] as const) {
    const split = data[name];
    if (splitSize(split) === 0) continue;
    const cache = caches[name];
    if (!cache || cache.rows !== splitSize(split)) {
      throw new Error(`the given feature caches do not cover the ${name} split`);
    }
    given.push(cache);
    parts.push(Int32Array.from(split.rows, (row) => indexOfRow.get(row) as number));
  }
  return new PooledFeatureCache(given, parts, splitSize(pool), false);
}

/** Trains K fold models and gathers each row's probabilities from the model that held it out. */
export async function outOfFoldProbabilities(options: OutOfFoldOptions): Promise<OutOfFoldResult> {
  const { model, data, config } = options;
  const folds = options.folds ?? DEFAULT_FOLDS;
  const seed = options.seed ?? config.seed;
  const fraction = options.validationFraction ?? DEFAULT_FOLD_VALIDATION_FRACTION;
  const numLabels = data.labels.length;
  const width = data.multiLabel ? numLabels : 1;
  const pool = poolSplits(data);
  const n = splitSize(pool);
  if (!Number.isInteger(folds) || folds < 2)
    throw new Error(`folds must be a whole number ≥ 2, got ${folds}`);
  if (n < folds) throw new Error(`${folds} folds need at least ${folds} labelled rows; the data has ${n}`);
  if (!(fraction >= 0 && fraction < 1))
    throw new Error(`the validation fraction must be in [0, 1), got ${fraction}`);

  const keys = strata(pool.labels, data.multiLabel, numLabels);
  const foldOf = assignFolds(keys, folds, seed);
  const probabilities = new Float32Array(n * numLabels);
  const summaries: FoldSummary[] = [];
  const initial = snapshotTrainable(model, config);
  const caching = config.mode !== 'full' && (options.reuseCaches ?? true);
  let pooled: PooledFeatureCache | null =
    caching && options.featureCaches ? givenPool(data, pool, options.featureCaches) : null;
  const started = performance.now();
  try {
    for (let fold = 0; fold < folds; fold++) {
      options.signal?.throwIfAborted();
      const heldOut = Int32Array.from({ length: n }, (_, i) => i).filter((i) => foldOf[i] === fold);
      const rest = Int32Array.from({ length: n }, (_, i) => i).filter((i) => foldOf[i] !== fold);
      const { train, validation } = validationSlice(rest, keys, fraction, `validation:${seed}:${fold}`);
      const foldData: EncodedDataset = {
        ...data,
        train: subsetSplit(pool, train, width),
        validation: subsetSplit(pool, validation, width),
        test: subsetSplit(pool, heldOut, width),
      };
      restoreTrainable(initial);
      const runOptions: TrainOptions = {
        model,
        data: foldData,
        config,
        ...(options.featureCache ? { featureCache: options.featureCache } : {}),
        ...(options.featureEngine ? { callbacks: { featureEngine: options.featureEngine } } : {}),
        ...(pooled
          ? {
              featureCaches: {
                train: pooled.view(train),
                validation: pooled.view(validation),
                test: pooled.view(heldOut),
              },
            }
          : { keepCaches: caching }),
      };
      const controller = options.startFold?.(fold, runOptions) ?? new TrainController(runOptions);
      const listener = options.onEvent;
      if (listener) controller.on((event) => listener(fold, event));
      const onAbort = () => controller.stop();
      options.signal?.addEventListener('abort', onAbort);
      const foldStart = performance.now();
      let result: TrainResult;
      try {
        result = await controller.run();
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
      if (!pooled && caching) {
        const parts = (
          [
            [result.caches.train, train],
            [result.caches.validation, validation],
            [result.caches.test, heldOut],
          ] as const
        ).filter(([, indices]) => indices.length > 0);
        pooled = new PooledFeatureCache(
          parts.map(([cache]) => {
            if (!cache) throw new Error('the first fold kept no feature cache');
            return cache;
          }),
          parts.map(([, indices]) => indices),
          n,
        );
      }
      options.signal?.throwIfAborted();
      if (result.reason === 'device_lost') throw new Error(result.message);
      const predictions = result.testPredictions;
      if (!predictions || predictions.rows.length !== heldOut.length) {
        throw new Error(`fold ${fold + 1} returned no predictions for its ${heldOut.length} held-out rows`);
      }
      heldOut.forEach((index, k) =>
        probabilities.set(
          predictions.probabilities.subarray(k * numLabels, (k + 1) * numLabels),
          index * numLabels,
        ),
      );
      summaries.push({
        fold,
        trainRows: foldData.train.rows,
        validationRows: foldData.validation.rows,
        heldOutRows: foldData.test.rows,
        steps: result.steps,
        best: result.best,
        reason: result.reason,
        seconds: (performance.now() - foldStart) / 1000,
      });
    }
  } finally {
    restoreTrainable(initial);
    await pooled?.dispose();
  }
  return {
    labels: [...data.labels],
    multiLabel: data.multiLabel,
    rows: pool.rows,
    given: pool.labels,
    probabilities,
    foldOf,
    folds: summaries,
    seconds: (performance.now() - started) / 1000,
  };
}
