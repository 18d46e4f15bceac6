// Runs with their own model (a student of another model, or one taken from such a run's blocks):
// the model's config and tokenizer files, stored beside the run's weights as model.json; its
// tokenizer in the data worker under the run's id; and the run's rows encoded with it. Every
// action on such a run (predictions, prediction speed, export, reattaching after a reload) reads
// its rows through here, so none of them is given the loaded model's tokenization by mistake.
import type { EncodedDataset, RunModelFiles } from '../../workers/protocol.ts';
import { encodeTexts, prepareTrainingData } from '../data.ts';
import { deleteRunBlob, loadRunBlob, saveRunBlob } from '../persist.ts';
import { newRequestId } from '../workerClient.ts';
import { dataWorker } from '../workers.ts';
import type { RunRecord } from './record.ts';

/** The stored file of a run's own model: `RunModelFiles` as JSON. */
export const RUN_MODEL_FILE = 'model.json';

/** Files of the runs' own models read or received this session. */
const known = new Map<string, RunModelFiles>();
/** The data worker's tokenizers of runs, loading or loaded this session, with their limit in tokens. */
const tokenizers = new Map<string, Promise<number>>();

/** Keeps a run's own model files for this session and in storage beside its weights. */
export async function keepRunModel(runId: string, files: RunModelFiles): Promise<void> {
  known.set(runId, files);
  await saveRunBlob(runId, RUN_MODEL_FILE, new Blob([JSON.stringify(files)], { type: 'application/json' }));
}

/** Forgets a deleted run's model (the data worker's tokenizer is replaced if the id comes back). */
export function forgetRunModel(runId: string): void {
  known.delete(runId);
  tokenizers.delete(runId);
  void deleteRunBlob(runId, RUN_MODEL_FILE).catch(() => undefined);
}

/** A run's own model files, or undefined for a run on the loaded model. */
export async function runModelFiles(run: RunRecord): Promise<RunModelFiles | undefined> {
  if (!run.ownModel) return undefined;
  const inMemory = known.get(run.id);
  if (inMemory) return inMemory;
  const blob = await loadRunBlob(run.id, RUN_MODEL_FILE);
  if (!blob) throw new Error(`The model files of ${run.name} were not found in the browser's storage.`);
  const files = JSON.parse(await blob.text()) as RunModelFiles;
  known.set(run.id, files);
  return files;
}

/** Loads a run's tokenizer into the data worker under the run's id; resolves with its limit in tokens. */
export function loadRunTokenizer(runId: string, name: string, files: RunModelFiles): Promise<number> {
  const loading = dataWorker()
    .request(
      {
        type: 'loadTokenizer',
        requestId: newRequestId('tokenizer'),
        source: name,
        // config.json too: the tokenizer takes the model's length limit from it.
        files: { ...files.tokenizerFiles, 'config.json': JSON.stringify(files.config) },
        key: runId,
      },
      ['tokenizerLoaded'],
    )
    .then(({ modelMaxLength }) => modelMaxLength);
  tokenizers.set(runId, loading);
  loading.catch(() => {
    if (tokenizers.get(runId) === loading) tokenizers.delete(runId);
  });
  return loading;
}

/**
 * The data worker's tokenizer that encodes the run's rows, loaded there first: undefined for the
 * loaded model's, the run's id for a run with its own model. Commands that carry token ids of a
 * run (`predict`, `predictionSpeed`) name it as their `tokenizer`.
 */
export async function runTokenizer(run: RunRecord): Promise<string | undefined> {
  if (!run.ownModel) return undefined;
  const loading = tokenizers.get(run.id);
  if (loading) await loading;
  else {
    const files = await runModelFiles(run);
    await loadRunTokenizer(run.id, run.modelId, files!);
  }
  return run.id;
}

/** Texts tokenized for the run: with its own tokenizer, or the loaded model's. */
export async function encodeRunTexts(
  run: RunRecord,
  texts: string[],
): Promise<{ ids: Int32Array; offsets: Int32Array; tokenizer?: string }> {
  const tokenizer = await runTokenizer(run);
  if (tokenizer === undefined) return encodeTexts(texts, run.settings.maxLength);
  const { ids, offsets } = await dataWorker().request(
    {
      type: 'encodeTexts',
      requestId: newRequestId('texts'),
      texts,
      maxLength: run.settings.maxLength,
      tokenizer,
    },
    ['encodedTexts'],
  );
  return { ids, offsets, tokenizer };
}

/**
 * The current data encoded for the run: with its own tokenizer at its max length, or as a new run
 * would encode it (the loaded model's tokenizer at the data's max length).
 */
export async function encodeRunData(run: RunRecord): Promise<{ data: EncodedDataset; tokenizer?: string }> {
  const tokenizer = await runTokenizer(run);
  if (tokenizer === undefined) return { data: await prepareTrainingData() };
  const { data } = await dataWorker().request(
    { type: 'encode', requestId: newRequestId('encode'), maxLength: run.settings.maxLength, tokenizer },
    ['encoded'],
  );
  return { data, tokenizer };
}
