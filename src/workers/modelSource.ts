// Opens a ModelSourceSpec as core/model's ModelFileSource inside a worker: the Hub through the
// browser Cache API (a second visit loads offline) with byte progress per downloaded file, or the
// files the user dropped. Also turns loading failures into plain words with what to do next.
import {
  blobModelSource,
  hubModelSource,
  type CacheLike,
  type ModelFileSource,
} from '../core/model/index.ts';
import type { FileProgress, ModelSourceSpec, WorkerError } from './protocol.ts';
import { errorMessage } from './protocol.ts';

export const HUB_CACHE_NAME = 'finetune-studio-hub-v1';
const PROGRESS_INTERVAL_MS = 100;

async function openCache(): Promise<CacheLike | undefined> {
  try {
    if (typeof caches === 'undefined') return undefined;
    const cache = await caches.open(HUB_CACHE_NAME);
    return {
      match: (url) => cache.match(url),
      // A full quota only means the next visit downloads again; the model still loads now.
      put: (url, response) => cache.put(url, response).catch(() => undefined),
    };
  } catch {
    return undefined; // Storage refused (private window): downloading still works.
  }
}

/** A fetch whose response body reports bytes as the loader consumes them. */
function progressFetch(onProgress: (progress: FileProgress) => void): (url: string) => Promise<Response> {
  return async (url) => {
    const response = await fetch(url, { credentials: 'omit' });
    if (!response.ok || !response.body) return response;
    const file = decodeURIComponent(
      new URL(url).pathname.split('/resolve/')[1]?.split('/').slice(1).join('/') ?? url,
    );
    const header = Number(response.headers.get('content-length'));
    const total = Number.isFinite(header) && header > 0 ? header : null;
    let loaded = 0;
    let last = 0;
    onProgress({ file, loaded: 0, total, fromCache: false });
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        loaded += chunk.byteLength;
        const now = performance.now();
        if (now - last >= PROGRESS_INTERVAL_MS) {
          last = now;
          onProgress({ file, loaded, total, fromCache: false });
        }
        controller.enqueue(chunk);
      },
      flush() {
        onProgress({ file, loaded, total: total ?? loaded, fromCache: false });
      },
    });
    return new Response(response.body.pipeThrough(counter), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

export async function openModelSource(
  spec: ModelSourceSpec,
  onProgress: (progress: FileProgress) => void = () => undefined,
): Promise<ModelFileSource> {
  if (spec.kind === 'files') {
    return blobModelSource(
      spec.files.map(
        (file) =>
          [(file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name, file] as const,
      ),
      `the folder ${spec.label}`,
    );
  }
  const cache = await openCache();
  return hubModelSource(spec.repo, {
    hubUrl: spec.baseUrl,
    revision: spec.revision,
    fetch: progressFetch(onProgress),
    ...(cache ? { cache } : {}),
  });
}

/** A loading failure in plain words, with the next thing to try. */
export function explainModelError(error: unknown): WorkerError {
  const message = errorMessage(error);
  const lower = message.toLowerCase();
  const sentence = message.charAt(0).toUpperCase() + message.slice(1).replace(/\.?$/, '.');
  if (lower.includes('could not reach')) {
    return {
      message: sentence,
      hint: 'Check the internet connection (or the Hub address) and try again. Models loaded before also work offline.',
    };
  }
  if (
    lower.includes('private or gated') ||
    lower.includes('was not found') ||
    lower.includes('not a hugging face repo id')
  ) {
    return {
      message: sentence,
      hint: 'Check the repository id (owner/name, as on its Hub page), or pick a public model.',
    };
  }
  if (lower.includes('no config.json') || lower.includes('not a model repo')) {
    return {
      message: sentence,
      hint: 'Pick a model repository (it holds config.json and model.safetensors), e.g. distilbert/distilbert-base-uncased.',
    };
  }
  if (lower.includes('model_type') || lower.includes('architecture') || lower.includes('distilbert')) {
    return {
      message: sentence,
      hint: 'The studio trains DistilBERT models; choose a DistilBERT checkpoint.',
    };
  }
  if (lower.includes('maxstoragebufferbindingsize') || lower.includes('more than this gpu allows')) {
    return {
      message: sentence,
      hint: 'Choose a smaller model, or switch the compute backend to WASM in settings.',
    };
  }
  if (lower.includes('safetensors')) {
    return {
      message: sentence,
      hint: 'The studio reads safetensors weights; choose a repository that has model.safetensors.',
    };
  }
  return { message: sentence, hint: 'Check the model source and try again.' };
}
