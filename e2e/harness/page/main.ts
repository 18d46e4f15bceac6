// The harness page: exposes parity checks and benchmarks to the Node drivers as window.harness.
import type { HarnessApi } from '../types.ts';
import { runDataBench } from './bench-data.ts';
import { runMapFrameBench } from './bench-map-frames.ts';
import { runHeadOnlyBench } from './bench-head-only.ts';
import { runModelBench } from './bench-model.ts';
import { runHeadEpochBench, runTrainStepBench } from './bench-train.ts';
import { runGpuCounts } from './gpu-counts.ts';
import { runOpfsCacheCheck } from './opfs-cache.ts';
import { runOrtParity } from './ort-parity.ts';
import { runParity } from './parity.ts';

declare global {
  interface Window {
    harness?: HarnessApi;
  }
}

window.harness = {
  // Loaded on demand, so the studio's styles touch the page only for this check.
  confusionMatrix: async (request) =>
    (await import('./confusion-matrix.ts')).runConfusionMatrixCheck(request),
  parity: runParity,
  benchModel: runModelBench,
  benchData: runDataBench,
  benchHeadEpoch: runHeadEpochBench,
  benchHeadOnly: runHeadOnlyBench,
  benchTrainStep: runTrainStepBench,
  gpuCounts: runGpuCounts,
  benchMapFrames: runMapFrameBench,
  opfsCache: runOpfsCacheCheck,
  ortParity: runOrtParity,
};
document.getElementById('status')!.textContent = 'ready';
