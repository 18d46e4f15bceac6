// The data map in the train worker: every row's pooled features from the loaded (frozen) model on
// the feature engine the caches use, a seeded PCA + UMAP layout of them (core/map), and the
// finished run's probabilities for every row, so the page can colour the points by prediction,
// correctness and confidence. Progress is posted per stage; a cancel lands between batches and
// between layout epochs.
import { datasetFeatures, MAP_SPLITS, mapLayout } from '../core/map/index.ts';
import { errorMessage, type MapStageName, type TrainCommand, type TrainEvent } from './protocol.ts';
import { baseModel, borrowDevice, ortFeatureEngine, predict } from './runHost.ts';

type Post = (event: TrainEvent) => void;
type MapRequest = Extract<TrainCommand, { type: 'map' }>;

const layouts = new Map<string, AbortController>();

export function cancelMap(requestId: string): void {
  layouts.get(requestId)?.abort();
}

/** Every example's token ids in the map's point order, as classify takes rows. */
function pointTokens(
  data: MapRequest['data'],
  points: { split: Uint8Array; indexInSplit: Int32Array },
): { ids: Int32Array; offsets: Int32Array } {
  const n = points.split.length;
  const offsets = new Int32Array(n + 1);
  for (let p = 0; p < n; p++) {
    const split = data[MAP_SPLITS[points.split[p]!]!];
    const i = points.indexInSplit[p]!;
    offsets[p + 1] = offsets[p]! + split.offsets[i + 1]! - split.offsets[i]!;
  }
  const ids = new Int32Array(offsets[n]!);
  for (let p = 0; p < n; p++) {
    const split = data[MAP_SPLITS[points.split[p]!]!];
    const i = points.indexInSplit[p]!;
    ids.set(split.ids.subarray(split.offsets[i]!, split.offsets[i + 1]!), offsets[p]!);
  }
  return { ids, offsets };
}

export async function computeMap(command: MapRequest, post: Post): Promise<void> {
  const { requestId, runId, data, seed } = command;
  const controller = new AbortController();
  const started = performance.now();
  let release: (() => void) | null = null;
  layouts.set(requestId, controller);
  let lastPost = 0;
  const progress = (stage: MapStageName, fraction: number) => {
    const now = performance.now();
    if (fraction < 1 && now - lastPost < 150) return;
    lastPost = now;
    post({ type: 'mapProgress', requestId, stage, fraction });
  };
  try {
    release = borrowDevice('data map');
    const base = baseModel();
    const engine = await ortFeatureEngine(() => undefined)(
      { config: base.config, params: base.params },
      { kind: 'features' },
    );
    let points;
    try {
      points = await datasetFeatures(engine, data, base.config.dim, {
        signal: controller.signal,
        onProgress: (done, total) => progress('features', done / total),
      });
    } finally {
      await engine.dispose();
    }
    const layout = await mapLayout(points.features, points.rows.length, points.dim, {
      seed,
      signal: controller.signal,
      onProgress: ({ stage, fraction }) => progress(stage, fraction),
    });
    controller.signal.throwIfAborted();
    progress('predictions', 0);
    // The run's predictions read its own tokenization when it has its own model.
    const tokens = pointTokens(command.runData?.data ?? data, points);
    const { probabilities, numLabels } = await predict(
      runId,
      tokens.ids,
      tokens.offsets,
      command.runData?.tokenizer,
    );
    post({
      type: 'map',
      requestId,
      outcome: {
        rows: points.rows,
        split: points.split,
        indexInSplit: points.indexInSplit,
        positions: layout.positions,
        probabilities,
        numLabels,
        seed: layout.seed,
        pcaComponents: layout.pcaComponents,
        neighbours: layout.neighbours,
        seconds: (performance.now() - started) / 1000,
      },
    });
  } catch (error) {
    post(
      controller.signal.aborted
        ? { type: 'error', requestId, message: 'The data map was stopped.' }
        : { type: 'error', requestId, message: `The data map failed: ${errorMessage(error)}` },
    );
  } finally {
    layouts.delete(requestId);
    release?.();
  }
}
