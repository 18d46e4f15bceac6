// Data step actions: open a file / pasted text / sample in the data worker, keep the mapping form
// and the analysis (checks, splits) in step, tokenize once a model's tokenizer is known, and hand
// the encoded splits to training. Components call these; only this module talks to the data worker.
import { dataVersion, effectiveEdits, emptyEditList, type EditList } from '../core/dataset/index.ts';
import type {
  ColumnMapping,
  DataEvent,
  DataInput,
  EncodedDataset,
  SplitSettings,
} from '../workers/protocol.ts';
import { resetPreviewRows } from './previewRows.ts';
import { initialData, type DataProgress, type DataSourceKind, type UserMessage } from './slices.ts';
import { studio } from './store.ts';
import { RequestError, newRequestId } from './workerClient.ts';
import { dataWorker } from './workers.ts';

export interface Sample {
  id: string;
  title: string;
  description: string;
  url: string;
  fileName: string;
}

export const SAMPLES: readonly Sample[] = [
  {
    id: 'yelp',
    title: 'Yelp review sentences',
    description: 'Sentiment, 2 classes, 1,000 rows',
    url: 'samples/yelp.csv',
    fileName: 'yelp.csv',
  },
  {
    id: 'banking77',
    title: 'Banking77 intents',
    description: 'Intent detection, 77 classes, 10,003 rows',
    url: 'samples/banking77_train.csv',
    fileName: 'banking77_train.csv',
  },
  {
    id: 'nlu-banking',
    title: 'NLU++ banking',
    description: 'Multi-label intents, 48 labels, 2,071 rows',
    url: 'samples/nlu_plus_plus_banking.csv',
    fileName: 'nlu_plus_plus_banking.csv',
  },
];

export interface RestoreSettings {
  mapping: ColumnMapping | null;
  split: SplitSettings;
  confirmed: boolean;
  maxLength: number | null;
  edits: EditList;
}

/** Called with the opened input so the project module can save it. */
type SaveHook = (input: DataInput, kind: DataSourceKind) => void;
let onOpened: SaveHook = () => undefined;
export function setDatasetSaveHook(hook: SaveHook): void {
  onOpened = hook;
}

let openRequest: string | null = null;
let analyzeRequest: string | null = null;
let tokenizeRequest: string | null = null;
/** The worker request now running for the current tokenization (loading the tokenizer, then tokenizing). */
let tokenizeWorkerRequest: string | null = null;
let analyzeTimer: ReturnType<typeof setTimeout> | null = null;
let tokenizer: { source: string; files: Record<string, string>; loaded: boolean } | null = null;

function toMessage(error: unknown): UserMessage {
  if (error instanceof RequestError) {
    return error.hint ? { message: error.message, hint: error.hint } : { message: error.message };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

function progressOf(event: DataEvent): DataProgress | null {
  if (event.type !== 'progress') return null;
  const { stage, done, total, unit, rows, ratePerSec } = event;
  return { stage, done, total, unit, rows, ratePerSec };
}

function abandon(id: string | null): void {
  if (!id) return;
  dataWorker().abandon(id);
  dataWorker().post({ type: 'cancel', requestId: id });
}

function describeInput(input: DataInput): { name: string; bytes: number } {
  switch (input.kind) {
    case 'file':
      return { name: input.file.name, bytes: input.file.size };
    case 'text':
      return { name: input.name, bytes: new Blob([input.text]).size };
    case 'url':
      return { name: input.name, bytes: 0 };
  }
}

export async function openDataset(
  input: DataInput,
  kind: DataSourceKind,
  restore?: RestoreSettings,
): Promise<void> {
  abandon(openRequest);
  abandon(analyzeRequest);
  abandon(tokenizeWorkerRequest);
  analyzeRequest = null;
  tokenizeRequest = null;
  tokenizeWorkerRequest = null;
  const requestId = newRequestId('open');
  openRequest = requestId;
  const { setData } = studio();
  const { name, bytes } = describeInput(input);
  // What was open before: restored if the new file cannot be read, so a bad drop loses nothing.
  const previous = studio().data.status === 'opened' ? studio().data : null;
  resetPreviewRows();
  setData({
    ...initialData(),
    status: 'opening',
    source: { name, kind, bytes },
    split: restore?.split ?? initialData().split,
    maxLength: restore?.maxLength ?? null,
    edits: restore?.edits ?? emptyEditList(),
  });
  try {
    const { dataset } = await dataWorker().request(
      { type: 'open', requestId, input },
      ['opened'],
      (event) => {
        if (openRequest !== requestId) return;
        const progress = progressOf(event);
        if (progress) studio().setData({ progress });
        if (event.type === 'sniffed') {
          // The first rows, guesses and label counts, while the rest of a big file is read.
          resetPreviewRows(event.dataset.head);
          studio().setData({
            opened: event.dataset,
            mapping: studio().data.mapping ?? restore?.mapping ?? event.dataset.guess,
          });
        }
      },
    );
    if (openRequest !== requestId) return;
    openRequest = null;
    resetPreviewRows(dataset.head);
    setData({
      status: 'opened',
      source: { name, kind, bytes: dataset.parse.bytes || bytes },
      opened: dataset,
      mapping: studio().data.mapping ?? restore?.mapping ?? dataset.guess,
      progress: null,
    });
    onOpened(input, kind);
    await runAnalysis();
    if (restore?.confirmed && studio().data.analysis) {
      setData({ confirmed: true });
      void tokenizeIfReady();
    }
  } catch (error) {
    if (openRequest !== requestId) return;
    openRequest = null;
    const cancelled = error instanceof RequestError && error.cancelled;
    const problem: UserMessage = cancelled
      ? { message: `Import of ${name} cancelled.`, info: true }
      : toMessage(error);
    if (previous?.opened) {
      resetPreviewRows(previous.opened.head);
      const kept = `${previous.source?.name ?? 'The previous file'} is still loaded.`;
      setData({
        ...previous,
        error: cancelled
          ? { ...problem, hint: kept }
          : { message: `${name}: ${problem.message}`, hint: problem.hint ? `${problem.hint} ${kept}` : kept },
      });
      return;
    }
    setData({
      ...initialData(),
      status: cancelled ? 'empty' : 'error',
      error: cancelled ? problem : { ...problem, message: `${name}: ${problem.message}` },
    });
  }
}

export function openFile(file: File): Promise<void> {
  return openDataset({ kind: 'file', file }, 'file');
}

export function openPastedText(text: string): Promise<void> {
  if (!text.trim()) {
    studio().setData({
      error: {
        message: 'The clipboard holds no text.',
        hint: 'Copy the rows (with their header) from a spreadsheet or text file, then paste again.',
      },
    });
    return Promise.resolve();
  }
  return openDataset({ kind: 'text', name: 'pasted text', text }, 'text');
}

export function openSample(sample: Sample): Promise<void> {
  const url = new URL(sample.url, document.baseURI).href;
  return openDataset({ kind: 'url', name: sample.fileName, url }, 'sample');
}

export function cancelImport(): void {
  const id = openRequest;
  if (!id) return;
  dataWorker().post({ type: 'cancel', requestId: id });
}

async function runAnalysis(): Promise<void> {
  const { data, setData } = studio();
  // While a file is still being read, the analysis waits: it runs once the last row is in.
  if (!data.mapping || !data.opened || data.status !== 'opened') {
    if (data.status !== 'opening' && data.analyzing) setData({ analyzing: false });
    return;
  }
  abandon(analyzeRequest);
  const requestId = newRequestId('analyze');
  analyzeRequest = requestId;
  setData({ analyzing: true, analysisError: null });
  try {
    const { analysis } = await dataWorker().request(
      {
        type: 'analyze',
        requestId,
        mapping: data.mapping,
        split: data.split,
        edits: [...effectiveEdits(data.edits).values()],
        dataVersion: dataVersion(data.edits),
      },
      ['analyzed'],
      (event) => {
        const progress = progressOf(event);
        if (progress && analyzeRequest === requestId) studio().setData({ progress });
      },
    );
    if (analyzeRequest !== requestId) return;
    analyzeRequest = null;
    setData({ analyzing: false, analysis, progress: null });
  } catch (error) {
    if (analyzeRequest !== requestId) return;
    analyzeRequest = null;
    if (error instanceof RequestError && error.cancelled) return;
    setData({ analyzing: false, analysis: null, progress: null, analysisError: toMessage(error) });
  }
}

function scheduleAnalysis(): void {
  if (analyzeTimer) clearTimeout(analyzeTimer);
  analyzeTimer = setTimeout(() => {
    analyzeTimer = null;
    void runAnalysis();
  }, 150);
}

/** Changes the column mapping; the checks and splits are recomputed and must be confirmed again. */
export function updateMapping(patch: Partial<ColumnMapping>): void {
  const { data, setData } = studio();
  if (!data.mapping) return;
  // `analyzing` at once, so nothing can confirm the old analysis during the debounce.
  setData({ mapping: { ...data.mapping, ...patch }, confirmed: false, tokenStats: null, analyzing: true });
  scheduleAnalysis();
}

export function updateSplit(patch: Partial<SplitSettings>): void {
  const { data, setData } = studio();
  setData({ split: { ...data.split, ...patch }, confirmed: false, analyzing: data.status === 'opened' });
  scheduleAnalysis();
}

/** The user accepts the mapping: the dataset is now the project's dataset. */
export function confirmMapping(): void {
  const { data, setData } = studio();
  if (!data.analysis || data.analysis.fatal || data.analyzing) return;
  setData({ confirmed: true });
  void tokenizeIfReady();
}

/**
 * The edit list changed: the rows are checked and split again with the edits applied, and stay
 * confirmed unless the edits made them unusable (e.g. one class left).
 */
export async function applyEditList(edits: EditList): Promise<void> {
  const { data, setData } = studio();
  setData({ edits, analyzing: data.status === 'opened' });
  await runAnalysis();
  const after = studio().data;
  if (!after.confirmed || after.analyzing) return;
  if (!after.analysis || after.analysis.fatal) {
    setData({ confirmed: false, tokenStats: null });
    return;
  }
  await tokenizeIfReady();
}

/** Downloads the upload with the edits applied, written as the upload was. */
export async function downloadCorrectedFile(): Promise<void> {
  try {
    const { blob, fileName } = await dataWorker().request(
      { type: 'exportCorrected', requestId: newRequestId('export'), edits: studio().data.edits },
      ['exported'],
    );
    saveBlob(blob, fileName);
  } catch (error) {
    studio().setData({ analysisError: toMessage(error) });
  }
}

export function setMaxLength(maxLength: number): void {
  const limit = studio().data.tokenStats?.modelMaxLength ?? 512;
  studio().setData({ maxLength: Math.max(8, Math.min(limit, Math.round(maxLength))) });
}

/** The model step hands over the loaded model's tokenizer files. */
export async function useTokenizer(source: string, files: Record<string, string>): Promise<void> {
  tokenizer = { source, files, loaded: false };
  studio().setData({ tokenizerSource: source, tokenStats: null });
  await tokenizeIfReady();
}

async function tokenizeIfReady(): Promise<void> {
  const { data, setData } = studio();
  if (!tokenizer || !data.confirmed || !data.analysis) return;
  abandon(tokenizeWorkerRequest);
  const requestId = newRequestId('tok');
  tokenizeRequest = requestId;
  tokenizeWorkerRequest = requestId;
  const wanted = tokenizer;
  setData({ tokenizing: true, tokenizeProgress: null, analysisError: null });
  try {
    if (!wanted.loaded) {
      await dataWorker().request(
        { type: 'loadTokenizer', requestId, source: wanted.source, files: wanted.files },
        ['tokenizerLoaded'],
      );
      wanted.loaded = true;
    }
    if (tokenizeRequest !== requestId) return;
    tokenizeWorkerRequest = newRequestId('tok');
    const { stats } = await dataWorker().request(
      { type: 'tokenize', requestId: tokenizeWorkerRequest },
      ['tokenized'],
      (event) => {
        const progress = progressOf(event);
        if (progress && tokenizeRequest === requestId) studio().setData({ tokenizeProgress: progress });
      },
    );
    if (tokenizeRequest !== requestId) return;
    tokenizeRequest = null;
    const current = studio().data.maxLength;
    setData({
      tokenizing: false,
      tokenizeProgress: null,
      tokenStats: stats,
      maxLength: current ? Math.min(current, stats.modelMaxLength) : stats.suggestedMaxLength,
    });
  } catch (error) {
    if (tokenizeRequest !== requestId) return;
    tokenizeRequest = null;
    const cancelled = error instanceof RequestError && error.cancelled;
    setData({
      tokenizing: false,
      tokenizeProgress: null,
      analysisError: cancelled ? { message: 'Token counting cancelled.', info: true } : toMessage(error),
    });
  }
}

/** Stops counting tokens; `countTokens` starts again. */
export function cancelTokenize(): void {
  if (tokenizeWorkerRequest) dataWorker().post({ type: 'cancel', requestId: tokenizeWorkerRequest });
}

/** Counts the tokens of every kept text with the loaded model's tokenizer (again). */
export function countTokens(): Promise<void> {
  return tokenizeIfReady();
}

export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads the rows a check found (or every dropped row, checkId `dropped`) as CSV. */
export async function downloadCheckRows(checkId: string): Promise<void> {
  try {
    const { blob, fileName } = await dataWorker().request(
      { type: 'exportRows', requestId: newRequestId('export'), checkId },
      ['exported'],
    );
    saveBlob(blob, fileName);
  } catch (error) {
    studio().setData({ analysisError: toMessage(error) });
  }
}

/** Token ids of the kept rows at the chosen max length, split and labelled, for the train worker. */
export async function prepareTrainingData(): Promise<EncodedDataset> {
  const { data } = studio();
  if (!data.confirmed || !data.analysis) throw new Error('Confirm the columns in the Data step first.');
  if (!data.tokenStats || !data.maxLength)
    throw new Error('Load a model first: its tokenizer encodes the texts.');
  const { data: encoded } = await dataWorker().request(
    { type: 'encode', requestId: newRequestId('encode'), maxLength: data.maxLength },
    ['encoded'],
  );
  return encoded;
}

/** Token ids of texts the user typed (the playground), with the loaded tokenizer. */
export async function encodeTexts(
  texts: string[],
  maxLength?: number,
): Promise<{ ids: Int32Array; offsets: Int32Array }> {
  const length = maxLength ?? studio().data.maxLength ?? 128;
  const { ids, offsets } = await dataWorker().request(
    { type: 'encodeTexts', requestId: newRequestId('texts'), texts, maxLength: length },
    ['encodedTexts'],
  );
  return { ids, offsets };
}

/** The current data's unlabelled rows (1-based data rows, texts) and their token ids, for ranking. */
export async function encodeUnlabelledRows(
  maxLength: number,
  tokenizer?: string,
): Promise<{
  rows: Int32Array;
  texts: string[];
  ids: Int32Array;
  offsets: Int32Array;
}> {
  const { rows, texts, ids, offsets } = await dataWorker().request(
    {
      type: 'encodeUnlabelled',
      requestId: newRequestId('unlabelled'),
      maxLength,
      ...(tokenizer !== undefined ? { tokenizer } : {}),
    },
    ['encodedUnlabelled'],
  );
  return { rows, texts, ids, offsets };
}

export function dismissDataError(): void {
  studio().setData({ error: null });
}
