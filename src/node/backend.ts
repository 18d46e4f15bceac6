// tfjs backends in Node, for the CLI, benchmarks and tests: WebGPU through the `webgpu` package
// (Dawn) when a hardware adapter exists, else the single-threaded WASM build, else plain CPU.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  chooseBackend,
  type AdapterInfo,
  type BackendChoice,
  type BackendEnvironment,
  type BackendName,
  type ProbeResult,
} from '../core/backend/select.ts';

const require = createRequire(import.meta.url);
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface GpuLike {
  requestAdapter(
    options?: unknown,
  ): Promise<{ info?: Partial<AdapterInfo> & { isFallbackAdapter?: boolean } } | null>;
}

let nodeGpu: GpuLike | null | undefined;

/** Loads Dawn once and exposes it as navigator.gpu, where tfjs-backend-webgpu looks for it. */
async function loadNodeGpu(): Promise<GpuLike | null> {
  if (nodeGpu !== undefined) return nodeGpu;
  // Without a GPU driver, Chromium's SwiftShader Vulkan driver is the one adapter Dawn can find;
  // it is only picked when the user forces webgpu (see isSoftwareAdapter).
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD))
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
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

function isSoftwareAdapter(info: Partial<AdapterInfo> & { isFallbackAdapter?: boolean }): boolean {
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`.toLowerCase();
  return Boolean(info.isFallbackAdapter) || text.includes('swiftshader') || text.includes('llvmpipe');
}

async function probe(name: BackendName, forced: boolean): Promise<ProbeResult> {
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
      // A software adapter is ~50x slower than WASM SIMD on the same CPU: only use it when asked.
      if (!forced && isSoftwareAdapter(info)) {
        return {
          available: false,
          reason: 'only a software WebGPU adapter (SwiftShader) exists; WASM is faster',
        };
      }
      return { available: true, adapter: adapterInfo };
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

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The threaded build needs cross-origin isolation in browsers and hangs in bundles; use one build everywhere.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(join(distDir, '/'));
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  return ok;
}

export async function initNodeBackend(forced?: string): Promise<BackendChoice> {
  const forcedName = forced as BackendName | undefined;
  const env: BackendEnvironment = {
    candidates: ['webgpu', 'wasm', 'cpu'],
    probe: (name) => probe(name, forcedName === name),
    activate,
  };
  return chooseBackend(env, forcedName);
}
