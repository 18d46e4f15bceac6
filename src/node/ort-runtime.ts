// ONNX Runtime in Node: onnxruntime-node (native, every core) where its binding loads, else
// onnxruntime-web's wasm build run in Node. Which one is used follows core/infer's chooseEngine.
import { cpus } from 'node:os';
import type * as OrtNode from 'onnxruntime-node';
import type * as OrtWeb from 'onnxruntime-web';
import { chooseEngine, type EngineKind, type OrtRuntime } from '../core/infer/index.ts';

export interface NodeOrt {
  kind: EngineKind;
  /** null when the choice is tfjs. */
  runtime: OrtRuntime | null;
  /** Why a better engine was not used ('' when none was passed over). */
  fallback: string;
}

type OrtModule = typeof OrtNode | typeof OrtWeb;

function runtimeOf(ort: OrtModule, description: string, options: object): OrtRuntime {
  return {
    description,
    createSession: (graph) =>
      ort.InferenceSession.create(graph, {
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
        ...options,
      }) as ReturnType<OrtRuntime['createSession']>,
    int64Tensor: (values, dims) => new ort.Tensor('int64', values, dims),
  };
}

async function loadNative(threads: number): Promise<OrtRuntime> {
  const ort = await import('onnxruntime-node');
  const version = ort.env.versions?.node ?? ort.env.versions?.common ?? '';
  return runtimeOf(ort, `ONNX Runtime (onnxruntime-node ${version}, CPU, ${threads} threads)`, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
}

async function loadWasm(threads: number): Promise<OrtRuntime> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  const version = ort.env.versions?.web ?? '';
  return runtimeOf(ort, `ONNX Runtime (onnxruntime-web ${version}, wasm, ${threads} threads)`, {
    executionProviders: ['wasm'],
  });
}

/**
 * Loads the engine for this machine. `engine` forces one ('tfjs' gives the training engine's
 * forward pass); `threads` defaults to the number of cores.
 */
export async function loadNodeOrt(options: { engine?: EngineKind; threads?: number } = {}): Promise<NodeOrt> {
  const threads = Math.max(1, options.threads ?? cpus().length);
  const wanted = options.engine;
  if (wanted === 'tfjs') return { kind: 'tfjs', runtime: null, fallback: '' };
  if (wanted === 'onnxruntime-web-webgpu') {
    throw new Error(
      'onnxruntime-web with WebGPU runs in the browser only; in Node use onnxruntime-node or onnxruntime-web-wasm',
    );
  }
  const reasons: string[] = [];
  let native: OrtRuntime | null = null;
  if (wanted !== 'onnxruntime-web-wasm') {
    try {
      native = await loadNative(threads);
    } catch (error) {
      reasons.push(`onnxruntime-node did not load (${(error as Error).message.split('\n')[0]})`);
    }
  }
  let web: OrtRuntime | null = null;
  if (!native) {
    try {
      web = await loadWasm(threads);
    } catch (error) {
      reasons.push(`onnxruntime-web did not load (${(error as Error).message.split('\n')[0]})`);
    }
  }
  const kind = chooseEngine({
    platform: 'node',
    backend: 'cpu',
    ortNodeLoads: native !== null,
    ortWebLoads: web !== null,
  });
  if (wanted && wanted !== kind) {
    throw new Error(`the ${wanted} engine is not available here: ${reasons.join('; ')}`);
  }
  return { kind, runtime: native ?? web, fallback: reasons.join('; ') };
}
