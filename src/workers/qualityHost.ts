// Label issues in the train worker: K fold models trained on a run's settings from the loaded
// model (core/quality), so every row gets probabilities from a model that never saw it, then
// confident learning over them. Head-only and top-k read the kept feature caches of the data when
// a run left them (else the first fold computes them once for all folds).
import * as tf from '@tensorflow/tfjs-core';
import { runModelCopy } from '../core/model/index.ts';
import { labelIssues, outOfFoldProbabilities } from '../core/quality/index.ts';
import { browserFeatureCache } from './featureCacheSpill.ts';
import { runCaches } from './featureStore.ts';
import { currentModelSource } from './modelHost.ts';
import { errorMessage, type TrainCommand, type TrainEvent } from './protocol.ts';
import { baseModel, borrowDevice, ortFeatureEngine } from './runHost.ts';

type Post = (event: TrainEvent) => void;
type LabelIssuesRequest = Extract<TrainCommand, { type: 'labelIssues' }>;

const searches = new Map<string, AbortController>();

export function cancelLabelIssues(requestId: string): void {
  searches.get(requestId)?.abort();
}

export async function findLabelIssues(command: LabelIssuesRequest, post: Post): Promise<void> {
  const { requestId, config, data, folds, score } = command;
  const controller = new AbortController();
  let release: (() => void) | null = null;
  let caches: Awaited<ReturnType<typeof runCaches>> = null;
  let model: ReturnType<typeof runModelCopy> | null = null;
  searches.set(requestId, controller);
  try {
    release = borrowDevice('label-issue search');
    const base = baseModel();
    caches = await runCaches(base, currentModelSource(), data, config);
    const given = caches?.given;
    const complete = given && (['train', 'validation', 'test'] as const).every((s) => given[s]);
    model = runModelCopy(base, data.labels, data.multiLabel, config.seed);
    const notify = () => undefined;
    let lastPost = 0;
    const oof = await outOfFoldProbabilities({
      model: { config: model.config, params: model.params },
      data,
      config,
      folds,
      ...(complete ? { featureCaches: given } : {}),
      featureCache: browserFeatureCache(requestId, notify),
      featureEngine: ortFeatureEngine(notify),
      signal: controller.signal,
      onEvent: (fold, event) => {
        const now = performance.now();
        if (event.type !== 'step' || now - lastPost < 200) return;
        lastPost = now;
        post({
          type: 'labelIssuesProgress',
          requestId,
          fold,
          folds,
          step: event.step,
          totalSteps: event.totalSteps,
        });
      },
    });
    const report = labelIssues(oof, score);
    post({
      type: 'labelIssues',
      requestId,
      outcome: {
        labels: report.labels,
        multiLabel: report.multiLabel,
        score,
        folds,
        rows: report.rows,
        issues: report.issues,
        seconds: oof.seconds,
      },
    });
  } catch (error) {
    post(
      controller.signal.aborted
        ? { type: 'error', requestId, message: 'The label-issue search was stopped.' }
        : { type: 'error', requestId, message: `The label-issue search failed: ${errorMessage(error)}` },
    );
  } finally {
    searches.delete(requestId);
    caches?.release();
    if (model) tf.dispose(Object.values(model.params));
    release?.();
  }
}
