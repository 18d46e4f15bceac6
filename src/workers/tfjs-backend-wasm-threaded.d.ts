// The threaded build's pthread worker script, as tfjs-backend-wasm ships it (CommonJS, no types).
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js' {
  export const wasmWorkerContents: string;
}
