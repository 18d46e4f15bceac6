// What the studio does with runs: start, steer, continue, delete and query them in the train
// worker. Components call these; only runs/ talks to the train worker about runs.
import type { DataSummary, BaseModelOrigin, MappedColumns } from '../../core/export/index.ts';
import { metricKey, type LiveSettings, type TrainConfig } from '../../core/train/index.ts';
import type {
  EncodedDataset,
  ModelSourceSpec,
  ModelSummary,
  RunDistillation,
  RunResume,
  StudentSummary,
} from '../../workers/protocol.ts';
import { prepareTrainingData } from '../data.ts';
import { HUB_URL } from '../hub.ts';
import { reloadModelForData, startBackend } from '../model.ts';
import { deleteRunBlobs, loadRunBlob } from '../persist.ts';
import { studio } from '../store.ts';
import { RequestError, newRequestId } from '../workerClient.ts';
import { trainWorker } from '../workers.ts';
import {
  checkDistillationChoice,
  checkStudentModelChoice,
  folderName,
  parseStudentHubId,
  teacherBlocker,
  teacherDataBlocker,
  type DistillationChoice,
  type StudentModelChoice,
} from './distill.ts';
import { dropQueuedSteps, listenToRuns, workerHeldRuns } from './listener.ts';
import {
  encodeRunData,
  encodeRunTexts,
  forgetRunModel,
  keepRunModel,
  loadRunTokenizer,
  runModelFiles,
} from './own-model.ts';
import {
  currentSettings,
  emptyProgress,
  epochCheckpointFile,
  isRunLive,
  UNNAMED_EPOCH_CHECKPOINT,
  type RunDistillationRecord,
  type RunRecord,
  type RunSettings,
} from './record.ts';

export function nextRunName(): string {
  let highest = 0;
  for (const run of Object.values(studio().runs)) {
    const match = /^Run (\d+)$/.exec(run.name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return `Run ${highest + 1}`;
}

function dataSummaryNow(maxLength: number): DataSummary | undefined {
  const { analysis, tokenStats } = studio().data;
  if (!analysis) return undefined;
  const summary: DataSummary = {
    rows: analysis.kept,
    labelCounts: Object.fromEntries(analysis.labelCounts.map((c) => [c.label, c.count])),
    checks: analysis.checks.filter((c) => c.count > 0).map((c) => ({ name: c.title, count: c.count })),
    ...(analysis.unlabelled > 0 ? { unlabelledRows: analysis.unlabelled } : {}),
  };
  if (analysis.splits) summary.splits = { ...analysis.splits.sizes };
  if (tokenStats) {
    let truncated = 0;
    for (const length of tokenStats.lengths) if (length > maxLength) truncated++;
    summary.tokenLengths = { ...tokenStats.percentiles, max_length: maxLength, truncated };
  }
  return summary;
}

/** Why a run cannot start now, in plain words, or null. */
export function startBlocker(): string | null {
  const { data, model, runs, runOrder } = studio();
  if (!data.confirmed || !data.analysis) return 'Confirm the columns in the Data step first.';
  if (data.analyzing || data.tokenizing) return 'The data is being checked after a change: a moment.';
  if (model.status !== 'loaded') return 'Load a model in the Model step first.';
  const busy = runOrder.find((id) => isRunLive(runs[id]?.status));
  if (busy) return `${runs[busy]?.name ?? 'A run'} is still training: stop it first.`;
  const searching = Object.values(studio().labelIssues).find((search) => search.status === 'running');
  const search = studio().search;
  if (search?.status === 'running' || search?.status === 'paused')
    return 'A hyperparameter search is running: stop it first, or wait until it ends.';
  if (searching)
    return `Label issues of ${runs[searching.runId]?.name ?? 'a run'} are being found: wait or stop it.`;
  return null;
}

function modelOriginNow(): { modelOrigin?: BaseModelOrigin } {
  const { model } = studio();
  if (model.sourceKind === 'hub') return { modelOrigin: { kind: 'hub', url: HUB_URL } };
  if (model.sourceKind === 'files') return { modelOrigin: { kind: 'folder' } };
  return {};
}

function mappedColumnsNow(): { columns?: MappedColumns } {
  const { data } = studio();
  const mapping = data.analysis?.mapping;
  const names = data.opened?.parse.columns;
  if (!mapping || !names) return {};
  const name = (index: number) => names[index] ?? `column ${index + 1}`;
  return {
    columns: {
      textColumns: mapping.textColumns.map(name),
      // The studio's mapping has no joiner: several text columns join with core/dataset's default.
      textJoiner: '\n',
      labelColumn: name(mapping.labelColumn),
      labelSeparator: mapping.multiLabel ? (mapping.labelSeparator ?? '|') : null,
    },
  };
}

function modelName(): string {
  const { model } = studio();
  return model.sourceLabel ?? model.repoId;
}

/**
 * A new run's record (status `preparing`) for settings on the current data; returns the settings
 * with the data's max length. A search's best trial becomes a run through it too.
 */
export function addRunRecord(id: string, settings: RunSettings, name: string): TrainConfig {
  const { data } = studio();
  const maxLength = data.maxLength ?? settings.maxLength;
  const config: TrainConfig = { ...settings, maxLength };
  const analysis = data.analysis!;
  const summary = dataSummaryNow(maxLength);
  studio().addRun({
    id,
    name,
    createdAt: Date.now(),
    status: 'preparing',
    settings: config,
    liveSettings: {},
    dataVersion: analysis.dataVersion,
    modelId: modelName(),
    ...modelOriginNow(),
    ...mappedColumnsNow(),
    labels: [...analysis.labels],
    multiLabel: analysis.mapping.multiLabel,
    bestMetric: metricKey(config.metricForBestModel),
    steps: [],
    evals: [],
    progress: { ...emptyProgress, stage: 'Encoding the texts', totalEpochs: config.epochs },
    notices: [],
    ...(summary ? { dataSummary: summary } : {}),
  });
  return config;
}

/** Starts a new run with these settings; resolves with its id once the worker has it. */
export async function startRun(settings: RunSettings): Promise<string> {
  const blocker = startBlocker();
  if (blocker) throw new Error(blocker);
  listenToRuns();
  const id = newRequestId('run');
  const config = addRunRecord(id, settings, nextRunName());
  try {
    const encoded = await prepareTrainingData();
    studio().updateRun(id, { labels: [...encoded.labels], multiLabel: encoded.multiLabel });
    trainWorker().post({ type: 'train', runId: id, config, data: encoded });
  } catch (error) {
    studio().updateRun(id, { status: 'error', error: describeError(error) });
    throw error;
  }
  return id;
}

/** Whether the loaded model came with its own trained classifier (none of its head made at load). */
export function hasTrainedClassifier(summary: Pick<ModelSummary, 'headMadeAtLoad'>): boolean {
  return summary.headMadeAtLoad.length === 0;
}

/**
 * Why the loaded model cannot be scored as it is, or null: besides what blocks any run, it must
 * carry a classifier trained for the data's labels (none made at load).
 */
export function evaluationBlocker(): string | null {
  const blocker = startBlocker();
  if (blocker) return blocker;
  const { model, data } = studio();
  const summary = model.summary!;
  const labels = data.analysis!.labels;
  if (!hasTrainedClassifier(summary))
    return 'The loaded model has no classifier trained for these labels (it was made at load): train it, or load a model fine-tuned on them.';
  const same =
    summary.labels.length === labels.length && labels.every((label) => summary.labels.includes(label));
  if (!same)
    return `The loaded model classifies ${summary.labels.join(', ')}, not the data's ${labels.join(', ')}.`;
  if (summary.multiLabel !== data.analysis!.mapping.multiLabel)
    return `The loaded model is a ${summary.multiLabel ? 'multi' : 'single'}-label classifier; the data is ${summary.multiLabel ? 'single' : 'multi'}-label.`;
  return null;
}

/**
 * Scores the loaded model as it is (a model trained elsewhere: a train.py output, a Hub
 * classifier) on the run's validation and test splits, as a run of no steps: it joins the runs
 * table with its metrics, the playground and the export. Resolves with its run id.
 */
export async function evaluateLoadedModel(settings: RunSettings): Promise<string> {
  const blocker = evaluationBlocker();
  if (blocker) throw new Error(blocker);
  const { model, data } = studio();
  const labels = data.analysis!.labels;
  // Loaded before the data was confirmed: load again so its classifier rows follow the data's order.
  if (model.summary!.labels.some((label, i) => label !== labels[i])) await reloadModelForData();
  listenToRuns();
  const id = newRequestId('run');
  const config = addRunRecord(id, { ...settings, mode: 'head' }, `${modelName()} as loaded`);
  studio().updateRun(id, {
    evaluatedOnly: true,
    progress: { ...emptyProgress, stage: 'Evaluating', totalEpochs: 0 },
  });
  try {
    const encoded = await prepareTrainingData();
    studio().updateRun(id, { labels: [...encoded.labels], multiLabel: encoded.multiLabel });
    trainWorker().post({ type: 'train', runId: id, config, data: encoded, evaluateOnly: true });
  } catch (error) {
    studio().updateRun(id, { status: 'error', error: describeError(error) });
    throw error;
  }
  return id;
}

/** The block count of a run's model: a student's own, else the loaded model's. */
export function runLayers(run: RunRecord): number | null {
  return run.distillation?.layers ?? studio().model.summary?.layers ?? null;
}

/**
 * Loads a student model in the train worker for the run `runId` and its tokenizer in the data
 * worker under the run's id; resolves with what loaded, its files and its limit in tokens.
 */
async function loadStudentModel(
  runId: string,
  source: ModelSourceSpec,
  name: string,
  labels: string[],
  multiLabel: boolean,
  seed: number,
): Promise<{ summary: StudentSummary; modelMaxLength: number }> {
  let loaded;
  try {
    loaded = await trainWorker().request(
      { type: 'loadStudent', requestId: newRequestId('student'), runId, source, labels, multiLabel, seed },
      ['studentLoaded'],
    );
  } catch (error) {
    throw new Error(error instanceof Error ? error.message : String(error), { cause: error });
  }
  const modelMaxLength = await loadRunTokenizer(runId, name, loaded.files);
  await keepRunModel(runId, loaded.files);
  return { summary: loaded.summary, modelMaxLength };
}

/** The train command's distillation of a student run, with the teacher's encoding of the data for a student model. */
async function distillCommand(distillation: RunDistillationRecord): Promise<RunDistillation> {
  const { teacherRunId, layers, alpha, temperature } = distillation;
  if (!distillation.studentModel)
    return { teacherRunId, student: { kind: 'layers', layers }, alpha, temperature };
  const teacher = studio().runs[teacherRunId];
  if (!teacher) throw new Error(`The teacher ${distillation.teacherName} no longer exists.`);
  const { data: teacherData } = await encodeRunData(teacher);
  return { teacherRunId, student: { kind: 'model', teacherData }, alpha, temperature };
}

/**
 * Starts a student of the finished run `teacherId`: `choice.layers` of its blocks, or `model`
 * (another model, with its own tokenizer), trained on the labels and the teacher's softened
 * outputs with `settings` (full mode). Resolves with the student's run id once the worker has it;
 * a student model that cannot be loaded is refused before any run is made.
 */
export async function distilRun(
  teacherId: string,
  choice: DistillationChoice,
  settings: RunSettings,
  model?: StudentModelChoice,
): Promise<string> {
  const teacher = studio().runs[teacherId];
  if (!teacher) throw new Error('The teacher run no longer exists.');
  const analysis = studio().data.analysis;
  const blocker =
    startBlocker() ??
    teacherBlocker(teacher) ??
    teacherDataBlocker(teacher, { labels: analysis!.labels, multiLabel: analysis!.mapping.multiLabel });
  if (blocker) throw new Error(blocker);
  const teacherLayers = runLayers(teacher);
  if (teacherLayers === null) throw new Error('Load the model in the Model step first.');
  const problems = model
    ? [...checkStudentModelChoice(model), ...checkDistillationChoice({ ...choice, layers: 1 }, 2)]
    : checkDistillationChoice(choice, teacherLayers);
  if (problems.length > 0) throw new Error(problems.join(' '));
  await ensureWorkerHoldsRun(teacherId);
  listenToRuns();
  const id = newRequestId('run');
  let student: {
    source: ModelSourceSpec;
    record: NonNullable<RunDistillationRecord['studentModel']>;
  } | null = null;
  let loaded: { summary: StudentSummary; modelMaxLength: number } | null = null;
  if (model?.kind === 'hub') {
    const hub = parseStudentHubId(model.id) as Exclude<ReturnType<typeof parseStudentHubId>, string>;
    const { repo, revision } = hub;
    student = {
      source: { kind: 'hub', baseUrl: HUB_URL, repo, revision },
      record: { id: revision === 'main' ? repo : `${repo}@${revision}`, hub: { repo, revision } },
    };
  } else if (model) {
    const label = folderName(model.files);
    student = { source: { kind: 'files', label, files: model.files }, record: { id: label } };
  }
  if (student) {
    loaded = await loadStudentModel(
      id,
      student.source,
      student.record.id,
      [...analysis!.labels],
      analysis!.mapping.multiLabel,
      settings.seed,
    );
  }
  const config = addRunRecord(id, { ...settings, mode: 'full' }, nextRunName());
  // A student model reads at most its own limit; one taken from a teacher reads the teacher's length.
  if (loaded) config.maxLength = Math.min(config.maxLength, loaded.modelMaxLength);
  else if (teacher.ownModel) config.maxLength = teacher.settings.maxLength;
  const distillation: RunDistillationRecord = {
    teacherRunId: teacherId,
    teacherName: teacher.name,
    teacherLayers,
    ...choice,
    ...(loaded && student ? { layers: loaded.summary.layers, studentModel: student.record } : {}),
  };
  const ownModel = Boolean(loaded) || Boolean(teacher.ownModel);
  studio().updateRun(id, {
    distillation,
    settings: config,
    ...(ownModel ? { ownModel: true } : {}),
    ...(student
      ? {
          modelId: student.record.id,
          modelOrigin: student.record.hub ? { kind: 'hub', url: HUB_URL } : { kind: 'folder' },
        }
      : teacher.ownModel
        ? { modelId: teacher.modelId, ...(teacher.modelOrigin ? { modelOrigin: teacher.modelOrigin } : {}) }
        : {}),
  });
  try {
    if (!loaded && teacher.ownModel) {
      // A student of such a teacher's blocks shares its tokenizer, under its own run's id.
      await loadRunTokenizer(id, teacher.modelId, (await runModelFiles(teacher))!);
    }
    // The student's own tokenization: its model's, or its teacher's tokenizer it shares.
    const { data: encoded } = await encodeRunData(studio().runs[id]!);
    studio().updateRun(id, { labels: [...encoded.labels], multiLabel: encoded.multiLabel });
    trainWorker().post({
      type: 'train',
      runId: id,
      config,
      data: encoded,
      distill: await distillCommand(distillation),
    });
  } catch (error) {
    studio().updateRun(id, { status: 'error', error: describeError(error) });
    throw error;
  }
  return id;
}

/** A worker's or the page's error in one sentence, with its hint when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof RequestError && error.hint) return `${error.message} ${error.hint}`;
  return error instanceof Error ? error.message : String(error);
}

export function pauseRun(id: string): void {
  trainWorker().post({ type: 'control', runId: id, action: 'pause' });
}

export function resumeRun(id: string): void {
  trainWorker().post({ type: 'control', runId: id, action: 'resume' });
}

export function stopRun(id: string): void {
  studio().updateRun(id, { status: 'stopping' });
  trainWorker().post({ type: 'control', runId: id, action: 'stop' });
}

/**
 * Changes settings of the running run from its next step (a new learning rate is the peak the
 * schedule keeps shaping). The worker checks them and acknowledges; the run record takes them then.
 */
export function updateRunSettings(id: string, settings: Partial<LiveSettings>): void {
  const lr = settings.learningRate;
  if (lr !== undefined && !(lr > 0 && Number.isFinite(lr)))
    throw new Error('The learning rate must be a positive number.');
  trainWorker().post({ type: 'update', runId: id, settings });
}

/**
 * Continues an interrupted run from its last epoch checkpoint (or from the start without one).
 * The stored files go to the worker as Blobs: the page reads none of their bytes.
 */
export async function continueRun(id: string): Promise<void> {
  const run = studio().runs[id];
  if (!run) return;
  const blocker = startBlocker();
  if (blocker) throw new Error(blocker);
  listenToRuns();
  const at = run.saved?.epoch;
  let resume: RunResume | undefined;
  if (at) {
    const checkpoint =
      (await loadRunBlob(id, epochCheckpointFile(at.step))) ??
      (await loadRunBlob(id, UNNAMED_EPOCH_CHECKPOINT));
    if (checkpoint) {
      resume = { step: at.step, epoch: at.epoch, checkpoint };
      // A checkpoint with the optimizer's state carries its own best; an older one needs the stored best.
      const best =
        !at.optimizer && run.saved?.best && run.best ? await loadRunBlob(id, 'best.safetensors') : undefined;
      if (best && run.best) resume.best = { ...run.best, file: best };
    }
  }
  const keepTo = resume?.step ?? 0;
  studio().updateRun(id, {
    status: 'preparing',
    error: undefined,
    steps: run.steps.filter((p) => p.step <= keepTo),
    evals: run.evals.filter((e) => e.step <= keepTo),
    ...(resume ? {} : { best: undefined, saved: undefined }),
    progress: { ...run.progress, stage: 'Encoding the texts', work: undefined },
    notices: [
      ...run.notices,
      resume
        ? `Continuing from the checkpoint at step ${resume.step} after the page was closed.`
        : 'No checkpoint was saved before the page closed: the run starts again from the beginning.',
    ],
  });
  studio().setActiveRun(id);
  try {
    // A student continues from its teacher's outputs: the worker needs the teacher's weights.
    if (run.distillation) await ensureWorkerHoldsRun(run.distillation.teacherRunId);
    const studentModel = run.distillation?.studentModel;
    if (studentModel) {
      // The student model is loaded again: from the Hub (kept in the browser); a folder is not kept.
      if (!studentModel.hub) {
        throw new Error(
          `The student ${studentModel.id} was a folder, which the browser does not keep: distil the teacher into it again.`,
        );
      }
      const { repo, revision } = studentModel.hub;
      await loadStudentModel(
        id,
        { kind: 'hub', baseUrl: HUB_URL, repo, revision },
        studentModel.id,
        run.labels,
        run.multiLabel,
        run.settings.seed,
      );
    }
    const { data: encoded } = await encodeRunData(run);
    trainWorker().post({
      type: 'train',
      runId: id,
      config: currentSettings(run),
      data: encoded,
      ...(resume ? { resume } : {}),
      ...(run.distillation ? { distill: await distillCommand(run.distillation) } : {}),
    });
  } catch (error) {
    studio().updateRun(id, { status: 'interrupted', error: describeError(error) });
    throw error;
  }
}

export function selectRun(id: string): void {
  studio().setActiveRun(id);
}

export function toggleRunOverlay(id: string): void {
  studio().toggleOverlay(id);
}

/** Puts a run's settings into the Train step's form, to change and start as a new run. */
export function cloneRun(id: string): void {
  const run = studio().runs[id];
  if (run) studio().setDraftSettings(currentSettings(run));
}

export async function deleteRun(id: string): Promise<void> {
  const run = studio().runs[id];
  if (!run) return;
  if (isRunLive(run.status)) throw new Error('Stop the run before deleting it.');
  dropQueuedSteps(id);
  studio().removeRun(id);
  workerHeldRuns.delete(id);
  if (run.ownModel) forgetRunModel(id);
  trainWorker().post({ type: 'dropRun', runId: id });
  try {
    await deleteRunBlobs(id);
  } catch {
    // The record is gone; an orphaned checkpoint file is cleared with "New project".
  }
}

/** Replaces every run, e.g. with a restored project's or none for "New project". */
export function replaceAllRuns(runs: RunRecord[], activeRunId: string | null): void {
  workerHeldRuns.clear();
  studio().replaceRuns(runs, activeRunId);
}

/** Makes sure the worker holds the run's trained weights (after a reload they come from storage). */
export async function ensureWorkerHoldsRun(id: string): Promise<void> {
  if (workerHeldRuns.has(id)) return;
  const run = studio().runs[id];
  if (!run) throw new Error('This run no longer exists.');
  if (isRunLive(run.status)) return;
  if (!run.ownModel && studio().model.status !== 'loaded')
    throw new Error('Load the model in the Model step first: the run’s weights build on it.');
  // A run with its own model needs no loaded model, but the compute backend a load would start.
  if (studio().model.backend.status !== 'ready') await startBackend();
  const model = await runModelFiles(run);
  const blob = (await loadRunBlob(id, 'final.safetensors')) ?? (await loadRunBlob(id, 'best.safetensors'));
  if (!blob) throw new Error(`No saved weights were found for ${run.name}.`);
  listenToRuns();
  await trainWorker().request(
    {
      type: 'attachRun',
      requestId: newRequestId('attach'),
      runId: id,
      labels: run.labels,
      multiLabel: run.multiLabel,
      config: currentSettings(run),
      weights: new Uint8Array(await blob.arrayBuffer()),
      ...(run.distillation ? { layers: run.distillation.layers } : {}),
      ...(model ? { model } : {}),
    },
    ['attached'],
  );
  workerHeldRuns.add(id);
}

/**
 * Probabilities per label for each text under the run's weights, tokenized in the data worker with
 * the run's tokenizer (its own, or the loaded model's).
 */
export async function classifyTexts(id: string, texts: string[]): Promise<number[][]> {
  const run = studio().runs[id];
  if (!run) throw new Error('This run no longer exists.');
  await ensureWorkerHoldsRun(id);
  const { ids, offsets, tokenizer } = await encodeRunTexts(run, texts);
  try {
    const { probabilities, numLabels } = await trainWorker().request(
      {
        type: 'predict',
        requestId: newRequestId('predict'),
        runId: id,
        ids,
        offsets,
        ...(tokenizer !== undefined ? { tokenizer } : {}),
      },
      ['predictions'],
    );
    return texts.map((_, i) => Array.from(probabilities.subarray(i * numLabels, (i + 1) * numLabels)));
  } catch (error) {
    throw new Error(describeError(error), { cause: error });
  }
}

/**
 * Examples per second of each run's predictions on this device, timed in the worker on the same
 * rows for all (the test split, or validation without one), each run on its own tokenization.
 */
export async function measurePredictionSpeed(
  ids: string[],
): Promise<{ examplesPerSecond: number[]; rows: number; split: 'test' | 'validation' }> {
  const encodings: { runId: string; data: EncodedDataset; tokenizer?: string }[] = [];
  for (const id of ids) {
    const run = studio().runs[id];
    if (!run) throw new Error('This run no longer exists.');
    await ensureWorkerHoldsRun(id);
    encodings.push({ runId: id, ...(await encodeRunData(run)) });
  }
  const split = encodings[0] && encodings[0].data.test.rows.length > 0 ? 'test' : 'validation';
  try {
    const { rowsPerSecond, rows } = await trainWorker().request(
      {
        type: 'predictionSpeed',
        requestId: newRequestId('speed'),
        runs: encodings.map(({ runId, data, tokenizer }) => ({
          runId,
          split: data[split],
          padTokenId: data.padTokenId,
          maxLength: data.maxLength,
          ...(tokenizer !== undefined ? { tokenizer } : {}),
        })),
      },
      ['predictionSpeed'],
    );
    return { examplesPerSecond: rowsPerSecond, rows, split };
  } catch (error) {
    throw new Error(describeError(error), { cause: error });
  }
}
