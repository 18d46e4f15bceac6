/// <reference types="@webgpu/types" />
// tfjs backends inside the worker that trains: WebGPU (with the adapter's higher buffer limits),
// WebGL on an OffscreenCanvas, WASM (its threaded SIMD build when the page is cross-origin
// isolated) and plain CPU. Which one runs is core/backend/select.ts's choice; this module only
// knows how to probe, start and time each backend in a browser worker.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
// The threaded build's Emscripten factory, copied unbundled: its pthreads load it by URL.
import wasmThreadedFactoryUrl from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?url';
import { wasmWorkerContents } from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
import {
  BACKEND_ORDER,
  chooseBackend,
  describeAdapter,
  fallbackMessage,
  isSoftwareAdapter,
  type AdapterInfo,
  type BackendEnvironment,
  type BackendName,
  type BackendTimings,
  type ProbeResult,
  timeTestStep,
  logicalCoresFor,
  planWasmThreads,
  pthreadWorkerSource,
  type ThreadPlan,
} from '../core/backend/index.ts';
import type { BackendReport } from './protocol.ts';

interface GpuState {
  adapter: GPUAdapter;
  info: AdapterInfo;
  software: boolean;
  device?: GPUDevice;
}

let gpu: GpuState | null = null;
let deviceLostListener: ((message: string) => void) | null = null;

function isSoftware(info: AdapterInfo, adapter: GPUAdapter): boolean {
  const flagged = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  const fallback =
    (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter ??
    flagged.isFallbackAdapter;
  return isSoftwareAdapter({ ...info, isFallbackAdapter: Boolean(fallback) });
}

async function probeWebGpu(): Promise<ProbeResult> {
  const api = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!api) return { available: false, reason: 'this browser does not offer WebGPU' };
  let adapter: GPUAdapter | null;
  try {
    adapter = await api.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { available: false, reason: `requesting a GPU adapter failed (${String(error)})` };
  }
  if (!adapter)
    return { available: false, reason: 'no WebGPU adapter is available (GPU blocked or missing)' };
  const raw = adapter.info;
  const info: AdapterInfo = { vendor: raw?.vendor ?? '', architecture: raw?.architecture ?? '' };
  if (raw?.device) info.device = raw.device;
  if (raw?.description) info.description = raw.description;
  gpu = { adapter, info, software: isSoftware(info, adapter) };
  return { available: true, adapter: info, software: gpu.software };
}

function probeWebGl(): ProbeResult {
  if (typeof OffscreenCanvas === 'undefined') {
    return { available: false, reason: 'no OffscreenCanvas in workers here' };
  }
  try {
    const context = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!context) return { available: false, reason: 'WebGL 2 is not available' };
    const debug = context.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(
      context.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : context.RENDERER) ?? '',
    );
    context.getExtension('WEBGL_lose_context')?.loseContext();
    return { available: true, software: isSoftwareAdapter({ renderer }) };
  } catch (error) {
    return { available: false, reason: `WebGL 2 failed to start (${String(error)})` };
  }
}

/** WebAssembly threads (shared memory and atomics) as tfjs-backend-wasm tests for them. */
function wasmThreadsValidate(): boolean {
  try {
    return WebAssembly.validate(
      new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0,
        254, 16, 2, 0, 26, 11,
      ]),
    );
  } catch {
    return false;
  }
}

function sharedMemoryWorks(): boolean {
  try {
    new MessageChannel().port1.postMessage(new SharedArrayBuffer(1));
    return true;
  } catch {
    return false;
  }
}

// tf.findBackend would start a registered backend that has not started yet (with tfjs' default
// paths and devices): whether ours started is kept here instead.
let wasmStarted = false;
let webGpuRegistered = false;
let requestedThreads: number | undefined;
let threadPlan: ThreadPlan = { threads: 1, reason: '' };

/**
 * Starts tfjs-backend-wasm: the threaded SIMD build when the plan allows more than one thread,
 * else the SIMD build. While the threaded build starts, `URL.createObjectURL` (tfjs' way to make
 * the pthread worker) answers with our pthread worker, which loads the unbundled factory, and
 * `navigator.hardwareConcurrency` shows twice the thread count (see logicalCoresFor); both are
 * restored once it has started.
 */
async function activateWasm(): Promise<boolean> {
  threadPlan = planWasmThreads({
    requested: requestedThreads,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: self.crossOriginIsolated,
    sharedMemory: typeof SharedArrayBuffer === 'function' && sharedMemoryWorks(),
    wasmThreads: wasmThreadsValidate(),
  });
  const threaded = threadPlan.threads > 1;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlainUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  });
  if (!threaded) {
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    return ok && tf.getBackend() === 'wasm';
  }
  setThreadsCount(threadPlan.threads);
  const factoryUrl = new URL(wasmThreadedFactoryUrl, self.location.href).href;
  const workerUrl = URL.createObjectURL(
    new Blob([pthreadWorkerSource(wasmWorkerContents, factoryUrl)], { type: 'text/javascript' }),
  );
  const createObjectURL = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (blob: Blob | MediaSource) =>
    blob instanceof Blob && blob.type === 'application/javascript' ? workerUrl : createObjectURL(blob);
  Object.defineProperty(navigator, 'hardwareConcurrency', {
    value: logicalCoresFor(threadPlan.threads),
    configurable: true,
  });
  try {
    const ok = await tf.setBackend('wasm');
    await tf.ready();
    const actual = getThreadsCount();
    if (actual !== threadPlan.threads) {
      threadPlan = {
        threads: actual,
        reason: `the WASM module started ${actual} of ${threadPlan.threads} threads`,
      };
    }
    return ok && tf.getBackend() === 'wasm';
  } finally {
    URL.createObjectURL = createObjectURL;
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

function probeWasm(): ProbeResult {
  if (typeof WebAssembly !== 'object') return { available: false, reason: 'WebAssembly is disabled' };
  return { available: true };
}

/**
 * Registers WebGPU with a device that asks for the adapter's own limits: the defaults (128 MiB per
 * storage binding) are too tight for large embedding matrices and batch activations.
 */
function registerWebGpu(state: GpuState): void {
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const { adapter } = state;
      const limits = adapter.limits;
      const requiredFeatures: GPUFeatureName[] = [];
      if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
          maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
          maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
        },
      });
      state.device = device;
      void device.lost.then((lost) => {
        if (lost.reason === 'destroyed') return;
        deviceLostListener?.(
          `The GPU stopped responding (${lost.message || 'device lost'}). Reload the page to start it again.`,
        );
      });
      return new WebGPUBackend(device, adapter.info);
    },
    3,
  );
}

async function activate(name: BackendName): Promise<boolean> {
  switch (name) {
    case 'webgpu':
      if (!gpu) return false;
      if (!webGpuRegistered) {
        registerWebGpu(gpu);
        webGpuRegistered = true;
      }
      break;
    case 'wasm':
      if (!wasmStarted) {
        wasmStarted = true;
        return activateWasm();
      }
      break;
    case 'webgl':
    case 'cpu':
      break;
  }
  const ok = await tf.setBackend(name);
  if (!ok) return false;
  await tf.ready();
  return tf.getBackend() === name;
}

const TIMINGS_DB = 'finetune-studio-backend';
const TIMINGS_STORE = 'timings';

function timingsDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(TIMINGS_DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(TIMINGS_STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB failed'));
  });
}

async function timingsRequest<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>) {
  const db = await timingsDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = run(db.transaction(TIMINGS_STORE, mode).objectStore(TIMINGS_STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB failed'));
    });
  } finally {
    db.close();
  }
}

/**
 * Automatic's timings for this device, in IndexedDB: keyed by the browser, the cores, the thread
 * count and the GPU adapter, so a new GPU, browser or thread setting is timed again.
 */
function browserTimingCache(): NonNullable<BackendEnvironment['timingCache']> {
  const key = () =>
    [
      navigator.userAgent,
      navigator.hardwareConcurrency,
      `threads ${requestedThreads ?? 'default'}`,
      gpu ? describeAdapter(gpu.info) : 'no webgpu',
    ].join(' | ');
  return {
    read: async () =>
      (await timingsRequest<BackendTimings | undefined>('readonly', (store) => store.get(key()))) ?? null,
    write: async (timings) => {
      await timingsRequest('readwrite', (store) => store.put(timings, key()));
    },
  };
}

export function browserBackendEnvironment(): BackendEnvironment {
  return {
    candidates: BACKEND_ORDER,
    probe: async (name) => {
      switch (name) {
        case 'webgpu':
          return probeWebGpu();
        case 'webgl':
          return probeWebGl();
        case 'wasm':
          return probeWasm();
        case 'cpu':
          return { available: true };
      }
    },
    activate,
    timeStep: async () => (await timeTestStep()).msPerStep,
    timingCache: browserTimingCache(),
  };
}

/**
 * Picks and starts the backend (the user's forced choice first), and describes it for the header.
 * `threads` (WASM threads, default min(cores, 4)) takes effect when WASM first starts in this
 * worker: one WASM module lives as long as the worker.
 */
export function initWorkerBackend(forced?: BackendName, threads?: number): Promise<BackendReport> {
  // One start at a time: two overlapping starts (the page's, and a model load's) would each
  // start the same backend, and the WASM module once too often.
  const next = starting.then(() => startBackend(forced, threads));
  starting = next.catch(() => undefined);
  return next;
}

let starting: Promise<unknown> = Promise.resolve();

async function startBackend(
  forced: BackendName | undefined,
  threads: number | undefined,
): Promise<BackendReport> {
  if (!wasmStarted) requestedThreads = threads;
  const choice = await chooseBackend(browserBackendEnvironment(), forced);
  const onGpu = choice.name === 'webgpu' && gpu !== null;
  const report: BackendReport = {
    name: choice.name,
    adapterLabel: describeAdapter(choice.adapter),
    fallbacks: choice.fallbacks,
    fallbackMessage: fallbackMessage(choice),
    forced: choice.forced,
    softwareAdapter: onGpu ? gpu!.software : false,
  };
  if (choice.adapter) report.adapter = choice.adapter;
  if (choice.timings) report.timings = { ms: choice.timings, cached: Boolean(choice.timingsCached) };
  if (choice.name === 'wasm') {
    report.threads = threadPlan.threads;
    if (threadPlan.reason) report.threadsNote = threadPlan.reason;
  }
  if (onGpu && gpu!.device) {
    report.limits = {
      maxStorageBufferBindingSize: gpu!.device.limits.maxStorageBufferBindingSize,
      maxBufferSize: gpu!.device.limits.maxBufferSize,
    };
  }
  return report;
}

/** The WASM thread count: the one tfjs-backend-wasm started with, else the one asked for. */
export function wasmThreadCount(): number | undefined {
  return wasmStarted ? threadPlan.threads : requestedThreads;
}

/** Called when the GPU device is lost mid-session, so a running training can stop cleanly. */
export function onDeviceLost(listener: ((message: string) => void) | null): void {
  deviceLostListener = listener;
}

/** The WebGPU device in use, if any (for limit checks before allocating large tensors). */
export function currentGpuDevice(): GPUDevice | null {
  return gpu?.device ?? null;
}
