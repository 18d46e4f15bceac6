// The browser test harness: a test-only page (e2e/harness/page) that imports the model, data and
// training code directly, for parity checks and benchmarks in real Chromium. Built into
// dist-harness/, separate from the studio's build, which never contains it.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: resolve(import.meta.dirname, 'e2e/harness/page'),
  base: './',
  logLevel: 'warn',
  worker: { format: 'es' },
  build: {
    // The Node drivers pass --outDir dist-harness/<purpose> (e2e/harness/host.ts).
    outDir: resolve(import.meta.dirname, 'dist-harness/e2e'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    reportCompressedSize: false,
    // tfjs labels each WebGPU pipeline with its program's class name; kept, the GPU-count
    // benchmark's breakdown by pipeline reads as Node's does.
    rolldownOptions: { output: { keepNames: true } },
  },
  optimizeDeps: { exclude: ['@huggingface/transformers'] },
});
