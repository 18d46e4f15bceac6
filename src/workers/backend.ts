/// <reference types="@webgpu/types" />
// tfjs backends inside the worker that trains: WebGPU (with the adapter's higher buffer limits),
// then WebGL on an OffscreenCanvas, then the single-threaded WASM build, then plain CPU. The
// order and the fallback reasons come from core/backend/select.ts; this module only knows how to
// probe and start each backend in a browser worker.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import {
  BACKEND_ORDER,
  chooseBackend,
  describeAdapter,
  fallbackMessage,
  type AdapterInfo,
  type BackendEnvironment,
  type BackendName,
  type ProbeResult,
} from '../core/backend/select.ts';
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
  const text =
    `${info.vendor} ${info.architecture} ${info.device ?? ''} ${info.description ?? ''}`.toLowerCase();
  const fallback = (adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return Boolean(fallback) || text.includes('swiftshader') || text.includes('llvmpipe');
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
  return { available: true, adapter: info };
}

function probeWebGl(): ProbeResult {
  if (typeof OffscreenCanvas === 'undefined') {
    return { available: false, reason: 'no OffscreenCanvas in workers here' };
  }
  try {
    const context = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!context) return { available: false, reason: 'WebGL 2 is not available' };
    return { available: true };
  } catch (error) {
    return { available: false, reason: `WebGL 2 failed to start (${String(error)})` };
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
      registerWebGpu(gpu);
      break;
    case 'wasm': {
      // The threaded build needs cross-origin isolation; one single-threaded build works everywhere.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmPlainUrl,
        'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
        // Required in the map, never fetched: multithreading is off above.
        'tfjs-backend-wasm-threaded-simd.wasm': wasmSimdUrl,
      });
      break;
    }
    case 'webgl':
    case 'cpu':
      break;
  }
  const ok = await tf.setBackend(name);
  if (!ok) return false;
  await tf.ready();
  return tf.getBackend() === name;
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
  };
}

/** Picks and starts the backend (the user's forced choice first), and describes it for the header. */
export async function initWorkerBackend(forced?: BackendName): Promise<BackendReport> {
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
  if (onGpu && gpu!.device) {
    report.limits = {
      maxStorageBufferBindingSize: gpu!.device.limits.maxStorageBufferBindingSize,
      maxBufferSize: gpu!.device.limits.maxBufferSize,
    };
  }
  return report;
}

/** Called when the GPU device is lost mid-session, so a running training can stop cleanly. */
export function onDeviceLost(listener: ((message: string) => void) | null): void {
  deviceLostListener = listener;
}

/** The WebGPU device in use, if any (for limit checks before allocating large tensors). */
export function currentGpuDevice(): GPUDevice | null {
  return gpu?.device ?? null;
}
