// Starts a tfjs backend on the harness page through the studio's own backend code, so the page
// runs WebGPU with the same device limits and WASM with the same builds, threads and asset paths
// as the training worker.
import { initWorkerBackend } from '../../../src/workers/backend.ts';
import type { BackendInfo, HarnessBackend } from '../types.ts';

export async function useBackend(name: HarnessBackend, threads?: number): Promise<BackendInfo> {
  const report = await initWorkerBackend(name, threads);
  if (report.name !== name) {
    const why = report.fallbacks.find((f) => f.backend === name)?.reason ?? report.fallbackMessage;
    throw new Error(`the ${name} backend is not available in this browser: ${why}`);
  }
  return {
    name: report.name,
    adapter: report.adapterLabel,
    softwareAdapter: report.softwareAdapter,
    fallbackMessage: report.fallbackMessage,
    ...(report.threads !== undefined ? { threads: report.threads } : {}),
    ...(report.threadsNote ? { threadsNote: report.threadsNote } : {}),
  };
}
