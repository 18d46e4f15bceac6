// tfjs backends in Node, for the CLI, benchmarks and tests: WebGPU through the `webgpu` package
// (Dawn), tfjs-backend-wasm (its threaded SIMD build when more than one thread is asked for) and
// plain CPU. Which one runs is core/backend/select.ts's choice; this module knows how to probe,
// start and time each in Node.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { availableParallelism, homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  chooseBackend,
  isSoftwareAdapter,
  type AdapterInfo,
  type BackendChoice,
  type BackendEnvironment,
  type BackendName,
  type BackendTimings,
  type ProbeResult,
  timeTestStep,
  defaultWasmThreads,
  logicalCoresFor,
  MAX_WASM_THREADS,
  pthreadWorkerSource,
} from '../core/backend/index.ts';

const require = createRequire(import.meta.url);
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface GpuLike {
  requestAdapter(
    options?: unknown,
  ): Promise<{ info?: Partial<AdapterInfo> & { isFallbackAdapter?: boolean } } | null>;
}

let nodeGpu: GpuLike | null | undefined;

/**
 * Dawn's Vulkan loader complains on stderr ("error: XDG_RUNTIME_DIR is invalid or not set") when
 * the variable is missing, as in root shells and containers; a private empty directory is all it
 * looks for.
 */
function ensureRuntimeDir(): void {
  const current = process.env.XDG_RUNTIME_DIR;
  if (current && existsSync(current)) return;
  process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'finetune-studio-runtime-'));
}

/** Loads Dawn once and exposes it as navigator.gpu, where tfjs-backend-webgpu looks for it. */
async function loadNodeGpu(): Promise<GpuLike | null> {
  if (nodeGpu !== undefined) return nodeGpu;
  // Without a GPU driver, Chromium's SwiftShader Vulkan driver is the one adapter Dawn can find;
  // Automatic never picks it over WASM (core/backend/select.ts).
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD))
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  ensureRuntimeDir();
  try {
    const dawn = (await import('webgpu')) as unknown as { create(flags: string[]): GpuLike; globals: object };
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]);
    const g = globalThis as { navigator?: { gpu?: unknown } };
    if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    nodeGpu = gpu;
  } catch {
    nodeGpu = null;
  }
  return nodeGpu;
}

async function probe(name: BackendName): Promise<ProbeResult> {
  switch (name) {
    case 'webgpu': {
      const gpu = await loadNodeGpu();
      if (!gpu) return { available: false, reason: 'the webgpu package could not load here' };
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
      if (!adapter) return { available: false, reason: 'no WebGPU adapter found' };
      const info = adapter.info ?? {};
      const adapterInfo: AdapterInfo = { vendor: info.vendor ?? '', architecture: info.architecture ?? '' };
      if (info.device) adapterInfo.device = info.device;
      if (info.description) adapterInfo.description = info.description;
      return { available: true, adapter: adapterInfo, software: isSoftwareAdapter(info) };
    }
    case 'wasm':
      try {
        require.resolve('@tensorflow/tfjs-backend-wasm');
        return { available: true };
      } catch {
        return { available: false, reason: '@tensorflow/tfjs-backend-wasm is not installed' };
      }
    case 'cpu':
      return { available: true };
    case 'webgl':
      return { available: false, reason: 'WebGL does not exist in Node' };
  }
}

/**
 * The pthread worker script for Node, written once per package version to the temporary
 * directory: a worker_threads Worker starts from a file, never from the Blob URL tfjs makes.
 */
function pthreadWorkerFile(): string {
  const { wasmWorkerContents } =
    require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as {
      wasmWorkerContents: string;
    };
  const factory =
    require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const source = pthreadWorkerSource(wasmWorkerContents, factory);
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 16);
  // .cjs: the worker script is CommonJS (it calls require), whatever the package type around it.
  const file = join(tmpdir(), `finetune-studio-wasm-pthread-${digest}.cjs`);
  if (!existsSync(file)) writeFileSync(file, source);
  return file;
}

let wasmThreads = 1;
// tf.findBackend would start the registered WASM backend with tfjs' defaults if ours has not.
let wasmStarted = false;

interface PthreadWorker {
  unref(): void;
}

/**
 * The thread pool's pthreads wait for work for as long as the module lives; unreferenced, they no
 * longer keep the process alive once the CLI or a benchmark is done.
 */
function unrefPthreads(): void {
  const backend = tf.findBackend('wasm') as unknown as {
    wasm?: { PThread?: { runningWorkers: PthreadWorker[]; unusedWorkers: PthreadWorker[] } };
  } | null;
  const pool = backend?.wasm?.PThread;
  if (!pool) return;
  for (const worker of [...pool.runningWorkers, ...pool.unusedWorkers]) worker.unref();
}

/**
 * Starts tfjs-backend-wasm with `threads` threads: the plain SIMD build for one, the threaded SIMD
 * build for more. While it starts, `URL.createObjectURL` (tfjs' way to make the pthread worker)
 * answers with the worker file, and `os.cpus()` shows the module twice the thread count (see
 * logicalCoresFor); both are restored when it has started.
 */
async function activateWasm(threads: number): Promise<boolean> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(join(distDir, '/'));
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threads > 1);
  if (threads <= 1) {
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    wasmThreads = 1;
    return ok;
  }
  wasm.setThreadsCount(threads);
  const workerFile = pthreadWorkerFile();
  const createObjectURL = URL.createObjectURL;
  const cpus = os.cpus;
  const cpu = cpus()[0]!;
  URL.createObjectURL = () => workerFile;
  os.cpus = () => Array.from({ length: logicalCoresFor(threads) }, () => cpu);
  try {
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    wasmThreads = wasm.getThreadsCount();
    unrefPthreads();
    return ok;
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
}

/** The thread count the WASM backend computes on (1 before it starts). */
export function nodeWasmThreads(): number {
  return wasmThreads;
}

async function activate(name: BackendName, threads: number): Promise<boolean> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'wasm') {
    // One WASM module per process: its build and thread count are fixed once it has started.
    if (wasmStarted) {
      const ok = await tf.setBackend('wasm');
      await tf.ready();
      return ok;
    }
    wasmStarted = true;
    return activateWasm(threads);
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok;
}

/** Automatic's timings, per machine, in the user's cache folder. */
function timingCache(key: string): NonNullable<BackendEnvironment['timingCache']> {
  const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'finetune-studio');
  const file = join(dir, 'backend-timings.json');
  const readAll = (): Record<string, BackendTimings> => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, BackendTimings>;
    } catch {
      return {};
    }
  };
  return {
    read: async () => readAll()[key] ?? null,
    write: async (timings) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(file, JSON.stringify({ ...readAll(), [key]: timings }, null, 2));
    },
  };
}

export interface NodeBackendOptions {
  /** WASM threads (default min(cores, 4)); 1 runs the single-threaded SIMD build. */
  threads?: number | undefined;
}

export interface NodeBackendChoice extends BackendChoice {
  /** WASM's thread count; undefined on other backends. */
  threads?: number;
}

export async function initNodeBackend(
  forced?: string,
  options: NodeBackendOptions = {},
): Promise<NodeBackendChoice> {
  const threads = Math.min(options.threads ?? defaultWasmThreads(availableParallelism()), MAX_WASM_THREADS);
  const deviceKey = `${os.cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, wasm ${threads} thread(s), Node ${process.versions.node}`;
  const env: BackendEnvironment = {
    candidates: ['webgpu', 'wasm', 'cpu'],
    probe,
    activate: (name) => activate(name, threads),
    timeStep: async () => (await timeTestStep()).msPerStep,
    timingCache: timingCache(deviceKey),
  };
  const choice: NodeBackendChoice = await chooseBackend(env, forced as BackendName | undefined);
  if (choice.name === 'wasm') choice.threads = wasmThreads;
  return choice;
}

/** A warning for the user when they forced a backend that runs on a software GPU, or ''. */
export function softwareAdapterWarning(choice: BackendChoice): string {
  if (!choice.forced || !choice.software) return '';
  return `warning: ${choice.name} runs on a software adapter here (a GPU emulated on the CPU); it is exact but far slower than --backend wasm`;
}
