// Model step actions: start the compute backend in the train worker, load a model from the Hub
// or from a dropped folder with byte progress, and pass its tokenizer to the data step.
import { isBackendName } from '../core/backend/index.ts';
import { formatHubModelId, parseHubModelId, type HubModelId } from '../core/model/index.ts';
import type { BackendName, ForwardTiming, ModelSourceSpec } from '../workers/protocol.ts';
import { useTokenizer } from './data.ts';
import { HUB_URL } from './hub.ts';
import type { MeasuredSpeed, UserMessage } from './slices.ts';
import { studio } from './store.ts';
import { RequestError, newRequestId } from './workerClient.ts';
import { trainWorker } from './workers.ts';

export { HUB_URL };

/**
 * `?backend=webgpu` (or webgl, wasm, cpu) in the page's address forces that backend for this visit
 * without changing the saved setting, as browser tests and bug reports need; a choice made in
 * Settings replaces it.
 */
let backendFromAddress: BackendName | null = (() => {
  if (typeof location === 'undefined') return null;
  const value = new URLSearchParams(location.search).get('backend');
  return isBackendName(value) ? value : null;
})();

let backendRequest: string | null = null;
let loadRequest: string | null = null;
let lastSpec: ModelSourceSpec | null = null;
let deviceListener: (() => void) | null = null;

function toMessage(error: unknown): UserMessage {
  if (error instanceof RequestError) {
    return error.hint ? { message: error.message, hint: error.hint } : { message: error.message };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

/** Starts (or restarts, after a change in settings) the compute backend in the train worker. */
export async function startBackend(): Promise<void> {
  const { ui, setBackend } = studio();
  const requestId = newRequestId('backend');
  backendRequest = requestId;
  deviceListener ??= trainWorker().subscribe((event) => {
    if (event.type === 'deviceLost') {
      studio().setBackend({ status: 'error', error: { message: event.message, hint: 'Reload the page.' } });
    }
    if (event.type === 'modelTiming') {
      const { model, setModel } = studio();
      if (model.summary?.source === event.source) {
        setModel({ summary: { ...model.summary, forwardTiming: event.timing }, timingPending: false });
        if (event.timing) recordSpeed(event.timing);
      }
    }
  });
  setBackend({ status: 'starting', error: null });
  try {
    const forced = backendFromAddress ?? ui.forcedBackend ?? undefined;
    const { backend } = await trainWorker().request(
      {
        type: 'init',
        requestId,
        ...(forced ? { backend: forced } : {}),
        ...(ui.wasmThreads ? { threads: ui.wasmThreads } : {}),
      },
      ['backend'],
    );
    if (backendRequest !== requestId) return;
    setBackend({ status: 'ready', report: backend, error: null });
  } catch (error) {
    if (backendRequest !== requestId) return;
    setBackend({ status: 'error', report: null, error: toMessage(error) });
  }
}

export async function setForcedBackend(name: BackendName | null): Promise<void> {
  backendFromAddress = null;
  studio().setUi({ forcedBackend: name });
  await startBackend();
  // Timings for the estimates belong to the backend; measure them again on the new one.
  if (studio().model.status === 'loaded' && lastSpec) await loadModel(lastSpec);
}

/** Texts of this many tokens, in batches of SPEED_BATCH, are what a measured speed counts. */
export const SPEED_TOKENS = 128;
const SPEED_BATCH = 16;

/** Texts per second of SPEED_TOKENS tokens, batch SPEED_BATCH, from a forward-pass timing. */
export function speedFromTiming(timing: ForwardTiming): number | null {
  const batchSec = timing.overheadSec + SPEED_BATCH * SPEED_TOKENS * timing.secPerToken;
  return batchSec > 0 && Number.isFinite(batchSec) ? SPEED_BATCH / batchSec : null;
}

/** Keeps the loaded Hub model's classification speed on this device, for the model catalog. */
function recordSpeed(timing: ForwardTiming): void {
  const { model, ui, setUi } = studio();
  const backend = model.backend.report;
  const textsPerSec = speedFromTiming(timing);
  if (model.sourceKind !== 'hub' || !model.sourceLabel || !backend || textsPerSec === null) return;
  const speed: MeasuredSpeed = {
    textsPerSec,
    backend: backend.adapterLabel ? `${backend.name} (${backend.adapterLabel})` : backend.name,
    measuredAt: Date.now(),
  };
  setUi({ measuredSpeeds: { ...ui.measuredSpeeds, [model.sourceLabel]: speed } });
}

export function setRepoId(repoId: string): void {
  studio().setModel({ repoId });
}

async function loadModel(spec: ModelSourceSpec): Promise<void> {
  const { setModel, data } = studio();
  if (loadRequest) trainWorker().abandon(loadRequest);
  const requestId = newRequestId('model');
  loadRequest = requestId;
  lastSpec = spec;
  setModel({
    status: 'loading',
    sourceKind: spec.kind,
    sourceLabel: spec.kind === 'hub' ? spec.repo : spec.label,
    files: {},
    startedAt: performance.now(),
    summary: null,
    error: null,
  });
  const labels = data.confirmed && data.analysis ? data.analysis.labels : undefined;
  try {
    if (studio().model.backend.status !== 'ready') await startBackend();
    const loaded = await trainWorker().request(
      {
        type: 'loadModel',
        requestId,
        source: spec,
        ...(labels ? { labels, multiLabel: data.analysis?.mapping.multiLabel ?? false } : {}),
      },
      ['modelLoaded'],
      (event) => {
        if (event.type !== 'download' || loadRequest !== requestId) return;
        const { model } = studio();
        setModel({ files: { ...model.files, [event.progress.file]: event.progress } });
      },
    );
    if (loadRequest !== requestId) return;
    loadRequest = null;
    setModel({
      status: 'loaded',
      summary: loaded.summary,
      timingPending: loaded.summary.forwardTiming === null,
    });
    if (loaded.summary.forwardTiming) recordSpeed(loaded.summary.forwardTiming);
    void useTokenizer(loaded.summary.source, loaded.tokenizerFiles);
  } catch (error) {
    if (loadRequest !== requestId) return;
    loadRequest = null;
    if (error instanceof RequestError && error.cancelled) return;
    setModel({ status: 'error', error: toMessage(error) });
  }
}

/** Loads the current model again, so that its classifier follows the confirmed data's labels. */
export async function reloadModelForData(): Promise<void> {
  if (lastSpec) await loadModel(lastSpec);
}

/** Downloads (or reads from the browser cache) a model from the Hub: `owner/name[@revision]`. */
export function loadModelFromHub(repoInput?: string): Promise<void> {
  const typed = repoInput ?? studio().model.repoId;
  let id: HubModelId;
  try {
    id = parseHubModelId(typed);
  } catch {
    studio().setModel({
      status: 'error',
      error: {
        message: `"${typed.trim()}" is not a Hub repository id.`,
        hint: 'Type it as owner/name, e.g. distilbert/distilbert-base-uncased, or owner/name@revision for another branch, tag, commit or refs/pr/N.',
      },
    });
    return Promise.resolve();
  }
  studio().setModel({ repoId: formatHubModelId(id) });
  return loadModel({ kind: 'hub', baseUrl: HUB_URL, repo: id.repo, revision: id.revision });
}

/** Loads a model from files the user picked or dropped (a folder with config.json and weights). */
export function loadModelFromFiles(files: File[], folderName?: string): Promise<void> {
  const withPath = files.map(
    (file) => (file as File & { webkitRelativePath?: string }).webkitRelativePath || '',
  );
  const folder = folderName ?? withPath.find(Boolean)?.split('/')[0];
  const label = folder || (files.length === 1 ? files[0]!.name : `${files.length} files`);
  if (!files.some((file) => file.name === 'config.json')) {
    studio().setModel({
      status: 'error',
      error: {
        message: `No config.json among ${label}.`,
        hint: 'Pick the model folder itself (it holds config.json, model.safetensors and the tokenizer files).',
      },
    });
    return Promise.resolve();
  }
  return loadModel({ kind: 'files', label, files });
}

/** Loads the project's model again after a reload, when that needs no download. */
export async function restoreModel(repoId: string): Promise<boolean> {
  try {
    const { repo, revision } = parseHubModelId(repoId);
    const base = `${HUB_URL.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/`;
    const cache = await caches.open('finetune-studio-hub-v1');
    if (!(await cache.match(`${base}config.json`))) return false;
    if (!(await cache.match(`${base}model.safetensors`))) return false;
  } catch {
    return false;
  }
  await loadModelFromHub(repoId);
  return true;
}
