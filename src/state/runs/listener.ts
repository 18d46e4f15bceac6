// The page's side of the train worker's run events: it keeps the event stream flowing into the
// run records (through the pure reducers of runs/events.ts), measures the pace of steps on the
// page's clock, and stores the checkpoint files the worker builds.
import type { RunCheckpoint, RunLoopEvent, RunOutcome } from '../../workers/protocol.ts';
import { coalesce } from '../coalesce.ts';
import { deleteRunBlob, isQuotaError, saveRunBlob } from '../persist.ts';
import { studio, studioApi } from '../store.ts';
import { newRequestId } from '../workerClient.ts';
import { dataWorker, trainWorker } from '../workers.ts';
import { keepRunModel } from './own-model.ts';
import {
  stepUpdate,
  testResultOf,
  withDeviceLost,
  withError,
  withLoopEvent,
  withNotice,
  withOutcome,
  withSavedCheckpoint,
  withSteps,
  type MeasuredSpeed,
  type StepUpdate,
} from './events.ts';
import { epochCheckpointFile, isRunLive, UNNAMED_EPOCH_CHECKPOINT, type RunRecord } from './record.ts';

let saveRecordsNow: () => Promise<boolean> = () => Promise.resolve(false);

/** How the project writes the run records to storage at once (state/project.ts sets it). */
export function setRecordsSaver(save: () => Promise<boolean>): void {
  saveRecordsNow = save;
}

/** Runs whose trained weights the train worker holds (trained in this page, or attached from storage). */
export const workerHeldRuns = new Set<string>();

let listening = false;

function patchRun(id: string, next: (run: RunRecord) => RunRecord): void {
  const run = studio().runs[id];
  if (run) studio().putRuns([next(run)]);
}

/** Starts feeding the train worker's run events into the store (once per page). */
export function listenToRuns(): void {
  if (listening) return;
  listening = true;
  trainWorker().subscribe((event) => {
    if (event.type !== 'run') stepUpdates.flush();
    switch (event.type) {
      case 'run':
        onLoopEvent(event.runId, event.event);
        return;
      case 'checkpoint':
        void onCheckpoint(event.runId, event.checkpoint);
        return;
      case 'finished':
        void onFinished(event.runId, event.outcome);
        return;
      case 'deviceLost': {
        const { runs, runOrder } = studio();
        const live = runOrder.flatMap((id) => (runs[id] && isRunLive(runs[id].status) ? [runs[id]] : []));
        studio().putRuns(live.map((run) => withDeviceLost(run, event.message)));
        return;
      }
      case 'error': {
        // A run's failure, or the worker itself stopping (no run id: every live run failed).
        const { runs, runOrder } = studio();
        const failed = event.runId
          ? [runs[event.runId]]
          : runOrder.map((id) => runs[id]).filter((run) => isRunLive(run?.status));
        studio().putRuns(failed.flatMap((run) => (run ? [withError(run, event.message, event.hint)] : [])));
        return;
      }
      default:
        return;
    }
  });
}

interface SpeedSample {
  at: number;
  step: number;
  stepsPerSec: number | null;
}
const speedSamples = new Map<string, SpeedSample>();

/**
 * Steps per second measured between step events on the page's clock. A GPU runs ahead of the
 * loop, so the loop's own timing can count work queued rather than done; the pace at which step
 * events arrive is what the user waits on. Smoothed, and reset by a pause.
 */
function wallClockSpeed(runId: string, step: number, effectiveBatch: number): MeasuredSpeed | null {
  const now = performance.now();
  const last = speedSamples.get(runId);
  if (!last || step <= last.step || now - last.at > 30_000) {
    speedSamples.set(runId, {
      at: now,
      step,
      stepsPerSec: last && step > last.step ? last.stepsPerSec : null,
    });
    return null;
  }
  const instant = (step - last.step) / ((now - last.at) / 1000);
  const stepsPerSec = last.stepsPerSec === null ? instant : 0.7 * last.stepsPerSec + 0.3 * instant;
  speedSamples.set(runId, { at: now, step, stepsPerSec });
  return { stepsPerSec, examplesPerSec: stepsPerSec * effectiveBatch };
}

/** Applies the queued steps of every run in one store write. */
function applyStepUpdates(batches: Map<string, StepUpdate[]>): void {
  studioApi.setState((state) => {
    let runs = state.runs;
    for (const [runId, updates] of batches) {
      const current = runs[runId];
      if (!current || updates.length === 0) continue;
      if (runs === state.runs) runs = { ...state.runs };
      runs[runId] = withSteps(current, updates);
    }
    return runs === state.runs ? {} : { runs };
  });
}

/**
 * Step events reach the store at most ten times a second: the charts and the progress bar redraw
 * once for a burst of steps. Every other event flushes them first, so a pause or an evaluation
 * never overtakes the steps before it.
 */
const stepUpdates = coalesce<string, StepUpdate>(applyStepUpdates, 100);

/** Forgets a deleted run's queued steps. */
export function dropQueuedSteps(runId: string): void {
  stepUpdates.drop(runId);
}

function onLoopEvent(runId: string, event: RunLoopEvent): void {
  if (event.type !== 'step') stepUpdates.flush();
  const run = studio().runs[runId];
  if (!run) return; // deleted while the worker still reports on it
  if (event.type === 'step') {
    const speed = wallClockSpeed(runId, event.step, run.settings.batchSize * run.settings.gradAccumSteps);
    stepUpdates.push(runId, stepUpdate(event, speed));
    return;
  }
  if (event.type === 'state' && event.state !== 'running') speedSamples.delete(runId);
  const next = withLoopEvent(run, event);
  if (next !== run) studio().putRuns([next]);
}

/** Stores a checkpoint file of the run; a failure becomes a notice on the run. */
export async function saveCheckpoint(runId: string, name: string, file: Blob | Uint8Array): Promise<boolean> {
  try {
    await saveRunBlob(runId, name, file instanceof Blob ? file : new Blob([file as Uint8Array<ArrayBuffer>]));
    return true;
  } catch (error) {
    patchRun(runId, (run) =>
      withNotice(
        run,
        isQuotaError(error)
          ? 'The browser is out of storage space: this checkpoint is not saved (the earlier ones are intact).'
          : `A checkpoint could not be saved: ${error instanceof Error ? error.message : String(error)}.`,
      ),
    );
    return false;
  }
}

async function onCheckpoint(runId: string, checkpoint: RunCheckpoint): Promise<void> {
  // The worker built the file; the page only hands it to storage.
  if (checkpoint.kind === 'best') {
    if (!(await saveCheckpoint(runId, 'best.safetensors', checkpoint.file))) return;
    patchRun(runId, (run) => withSavedCheckpoint(run, checkpoint));
    return;
  }
  // A new file beside the previous one, then the record that names it, and only once that record
  // is stored the previous file goes: a page closed at any moment leaves a record whose file exists.
  const previous = studio().runs[runId]?.saved?.epoch?.step;
  if (!(await saveCheckpoint(runId, epochCheckpointFile(checkpoint.step), checkpoint.file))) return;
  patchRun(runId, (run) => withSavedCheckpoint(run, checkpoint));
  if (!(await saveRecordsNow())) return;
  const stale = previous === undefined ? UNNAMED_EPOCH_CHECKPOINT : epochCheckpointFile(previous);
  if (previous !== checkpoint.step) await deleteRunBlob(runId, stale).catch(() => undefined);
}

async function dataRows(start: number, count: number): Promise<string[][]> {
  const answer = await dataWorker().request({ type: 'rows', requestId: newRequestId('rows'), start, count }, [
    'rows',
  ]);
  return answer.rows;
}

/** Texts of 1-based data rows, read from the data worker page by page. */
export async function textsOfRows(rows: Int32Array): Promise<string[]> {
  const mapping = studio().data.analysis?.mapping;
  if (!mapping || rows.length === 0) return [];
  const PAGE = 1000;
  const pages = new Map<number, string[][]>();
  for (const page of new Set(Array.from(rows, (r) => Math.floor((r - 1) / PAGE)))) {
    pages.set(page, await dataRows(page * PAGE, PAGE));
  }
  return Array.from(rows, (r) => {
    const row = pages.get(Math.floor((r - 1) / PAGE))?.[(r - 1) % PAGE];
    return row ? mapping.textColumns.map((c) => row[c] ?? '').join(' ') : '';
  });
}

async function onFinished(runId: string, outcome: RunOutcome): Promise<void> {
  if (!studio().runs[runId]) return;
  workerHeldRuns.add(runId);
  // Without the texts the Evaluate step still has every number; it only cannot quote examples.
  const texts = outcome.testPredictions
    ? await textsOfRows(outcome.testPredictions.rows).catch(() => [] as string[])
    : [];
  patchRun(runId, (run) => withOutcome(run, outcome, testResultOf(outcome, texts)));
  // Before the weights: a stored run with its own model is rebuilt from both.
  if (outcome.model) {
    try {
      await keepRunModel(runId, outcome.model);
    } catch (error) {
      patchRun(runId, (run) =>
        withNotice(
          run,
          `The run's model files could not be saved, so it cannot be used after a reload: ${error instanceof Error ? error.message : String(error)}.`,
        ),
      );
    }
  }
  if (outcome.weights && (await saveCheckpoint(runId, 'final.safetensors', outcome.weights))) {
    patchRun(runId, (run) => ({ ...run, saved: { ...run.saved, final: true } }));
  }
}
