// The backend errors the loop handles itself: out-of-memory halves a batch, a lost device ends
// the run with the best checkpoint kept.

/** Out-of-memory errors of WebGPU, WebGL, WASM and the CPU backend. */
export function isOutOfMemory(error: unknown): boolean {
  const message = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return /out of memory|GPUOutOfMemoryError|OOM\b|failed to allocate|allocation failed|Array buffer allocation|memory access out of bounds|exceeds the maximum/i.test(
    message,
  );
}

export function isDeviceLost(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /device (was |is )?lost|device has been lost|context lost|GPUDevice.*(lost|destroyed)/i.test(
    message,
  );
}

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
