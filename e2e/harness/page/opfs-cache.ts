// Runs the OPFS feature-cache check in a dedicated worker (OPFS sync access exists only there).
import type { OpfsCacheReport, OpfsCacheRequest } from '../types.ts';

export function runOpfsCacheCheck(request: OpfsCacheRequest): Promise<OpfsCacheReport> {
  const worker = new Worker(new URL('./opfs-cache.worker.ts', import.meta.url), { type: 'module' });
  return new Promise<OpfsCacheReport>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<{ report?: OpfsCacheReport; error?: string }>) => {
      if (event.data.report) resolve(event.data.report);
      else reject(new Error(event.data.error ?? 'the OPFS check sent nothing'));
    };
    worker.onerror = (event) => reject(new Error(`the OPFS check worker failed: ${event.message}`));
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
