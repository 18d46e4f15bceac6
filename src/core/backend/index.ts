// Compute backends: choosing one (WebGPU, WebGL, WASM, CPU) with its fallbacks, WASM threads, the
// shared WebGPU kernel plumbing and the counter of what a step asks of the GPU.
export {
  countGpuWork,
  gpuWorkBetween,
  type CountOptions,
  type CountableDevice,
  type GpuWorkCounts,
} from './gpu-counter.ts';
export {
  BACKEND_ORDER,
  chooseBackend,
  describeAdapter,
  fallbackMessage,
  isBackendName,
  isSoftwareAdapter,
  type AdapterInfo,
  type BackendChoice,
  type BackendEnvironment,
  type BackendFallback,
  type BackendName,
  type BackendTimings,
  type ProbeResult,
} from './select.ts';
export { timeTestStep } from './testStep.ts';
export {
  MAX_WASM_THREADS,
  defaultWasmThreads,
  logicalCoresFor,
  parseThreadCount,
  planWasmThreads,
  pthreadWorkerSource,
  type ThreadPlan,
} from './threads.ts';
export {
  MAX_GRID,
  checkDtype,
  kernelOutput,
  kernelPipeline,
  recordDispatch,
  workgroupReduceWgsl,
  type WebGpuBackend,
} from './webgpu-backend.ts';
