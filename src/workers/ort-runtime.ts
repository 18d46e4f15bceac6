// ONNX Runtime in the browser: onnxruntime-web with the WebGPU execution provider when WebGPU is
// the training backend, else its wasm build (threaded when the page is cross-origin isolated).
// Which one follows core/infer's chooseEngine. The package is imported on first use, so the
// studio's first screen never pays for it; its one wasm binary (the JSEP build, which holds both
// the wasm and the WebGPU provider) is emitted by Vite as an asset beside the worker.
import type * as OrtWeb from 'onnxruntime-web';
import jsepWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import type { BackendName } from '../core/backend/index.ts';
import { chooseEngine, type EngineKind, type OrtRuntime } from '../core/infer/index.ts';

export interface WebOrt {
  kind: EngineKind;
  /** null when the choice is tfjs. */
  runtime: OrtRuntime | null;
  /** Why a better engine was not used ('' when none was passed over). */
  fallback: string;
}

/** Threads the wasm provider may use: more than one needs SharedArrayBuffer (cross-origin isolation). */
export function wasmThreads(requested?: number): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!isolated) return 1;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Math.min(requested ?? cores ?? 1, cores ?? 1));
}

let loaded: Promise<typeof OrtWeb> | null = null;

async function ortModule(threads: number): Promise<typeof OrtWeb> {
  loaded ??= import('onnxruntime-web').then((ort) => {
    ort.env.wasm.wasmPaths = { wasm: jsepWasmUrl };
    ort.env.logLevel = 'error';
    return ort;
  });
  const ort = await loaded;
  // Read when the wasm module initialises (the first session); later changes do not apply.
  ort.env.wasm.numThreads = threads;
  return ort;
}

/**
 * Loads onnxruntime-web for the training backend `backend`. `engine` forces one ('tfjs' gives
 * the training engine's forward pass); `threads` caps the wasm provider's threads.
 */
export async function loadWebOrt(options: {
  backend: BackendName;
  engine?: EngineKind;
  threads?: number;
}): Promise<WebOrt> {
  if (options.engine === 'tfjs') return { kind: 'tfjs', runtime: null, fallback: '' };
  const threads = wasmThreads(options.threads);
  let ort: typeof OrtWeb;
  try {
    ort = await ortModule(threads);
  } catch (error) {
    return {
      kind: 'tfjs',
      runtime: null,
      fallback: `onnxruntime-web did not load (${(error as Error).message.split('\n')[0]})`,
    };
  }
  const kind = options.engine ?? chooseEngine({ platform: 'browser', backend: options.backend });
  const version = ort.env.versions?.web ?? '';
  const webgpu = kind === 'onnxruntime-web-webgpu';
  const description = webgpu
    ? `ONNX Runtime (onnxruntime-web ${version}, WebGPU)`
    : `ONNX Runtime (onnxruntime-web ${version}, wasm, ${threads} thread${threads === 1 ? '' : 's'})`;
  const runtime: OrtRuntime = {
    description,
    createSession: (graph) =>
      ort.InferenceSession.create(graph, {
        executionProviders: [webgpu ? 'webgpu' : 'wasm'],
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      }) as ReturnType<OrtRuntime['createSession']>,
    int64Tensor: (values, dims) => new ort.Tensor('int64', values, dims),
  };
  return { kind, runtime, fallback: '' };
}
