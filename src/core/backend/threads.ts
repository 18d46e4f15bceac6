// How many threads tfjs-backend-wasm computes on, and the small pieces that let its threaded SIMD
// build start where it otherwise cannot: inside a bundle and in Node.
//
// The threaded build is an Emscripten pthreads program. Each pthread is a Web Worker (a
// worker_threads Worker in Node) that loads the "main script" (the Emscripten factory) and then
// receives the compiled module and the shared memory. tfjs hands that script to the pthreads as a
// Blob made from `factory.toString()`, and the pthread worker itself as a Blob URL:
// - in a bundle the factory's source text is the bundler's rewrite of it (minified, its
//   `typeof _scriptDir` guards folded into bare references, helpers hoisted out of the function),
//   so the pthreads throw while loading it and the backend waits for them forever;
// - in Node a worker_threads Worker cannot start from a `blob:` URL at all.
// `pthreadWorkerSource` builds the pthread worker script with one change: it loads the factory from
// the unbundled file the package ships (a URL in the browser, a path in Node) instead of the Blob.

/** tfjs-backend-wasm starts 8 pthreads and its thread pool never uses more. */
export const MAX_WASM_THREADS = 8;
/** Most of the speed-up of a transformer step is in the first few threads; more fight the page. */
export const DEFAULT_WASM_THREAD_CAP = 4;

/** min(logical cores, 4), at least 1. */
export function defaultWasmThreads(hardwareConcurrency: number | undefined): number {
  const cores = Number.isFinite(hardwareConcurrency) && hardwareConcurrency! >= 1 ? hardwareConcurrency! : 1;
  return Math.max(1, Math.min(Math.floor(cores), DEFAULT_WASM_THREAD_CAP));
}

/** Parses a thread count given by a person (CLI flag, settings field); throws a one-line message. */
export function parseThreadCount(text: string, source = '--threads'): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > MAX_WASM_THREADS) {
    throw new Error(`${source} must be a whole number from 1 to ${MAX_WASM_THREADS}, not "${text}"`);
  }
  return value;
}

export interface ThreadEnvironment {
  /** The thread count asked for (settings, --threads); undefined for the default. */
  requested?: number | undefined;
  hardwareConcurrency: number | undefined;
  /** Browsers: `crossOriginIsolated`; Node: true (it shares memory without isolation). */
  crossOriginIsolated: boolean;
  /** Whether SharedArrayBuffer exists and can be posted to a worker. */
  sharedMemory: boolean;
  /** Whether WebAssembly threads (atomics) validate here. */
  wasmThreads: boolean;
}

export interface ThreadPlan {
  threads: number;
  /** Why fewer threads than asked for (or than the default) are used; '' when none are lost. */
  reason: string;
}

/** The thread count the WASM backend will start with, and why it is 1 when it has to be. */
export function planWasmThreads(env: ThreadEnvironment): ThreadPlan {
  const wanted =
    env.requested === undefined
      ? defaultWasmThreads(env.hardwareConcurrency)
      : Math.max(1, Math.min(Math.floor(env.requested), MAX_WASM_THREADS));
  if (wanted === 1) {
    return { threads: 1, reason: env.requested === 1 ? '' : 'this device reports a single CPU core' };
  }
  if (!env.crossOriginIsolated) {
    return {
      threads: 1,
      reason:
        'the page is not cross-origin isolated (its server does not send Cross-Origin-Opener-Policy and Cross-Origin-Embedder-Policy), so it cannot share memory between threads',
    };
  }
  if (!env.sharedMemory) return { threads: 1, reason: 'this browser offers no SharedArrayBuffer' };
  if (!env.wasmThreads) return { threads: 1, reason: 'this browser has no WebAssembly threads' };
  return { threads: wanted, reason: '' };
}

/** "WASM · 4 threads", "WASM · 1 thread". */
export function describeThreads(threads: number): string {
  return `${threads} thread${threads === 1 ? '' : 's'}`;
}

/**
 * The logical core count to show the threaded module while it starts. Its thread pool takes
 * min(requested, logical cores / 2) threads (it assumes two hardware threads per core), which on
 * a machine without SMT would halve the count the user chose; twice the chosen count lets the
 * chosen count through.
 */
export function logicalCoresFor(threads: number): number {
  return Math.max(2, threads * 2);
}

/**
 * The pthread worker script: tfjs' own (`wasmWorkerContents`, a template string whose `\n`
 * escapes have become newlines, so they are escaped back as tfjs does), followed by a wrapper
 * of its message handler that swaps the factory Blob for `factoryUrl`, an unbundled copy of
 * `tfjs-backend-wasm-threaded-simd.js`.
 */
export function pthreadWorkerSource(workerContents: string, factoryUrl: string): string {
  const escaped = workerContents.replace(/\n/g, '\\n');
  const swap = [
    ';(function () {',
    '  var handle = self.onmessage;',
    '  self.onmessage = function (e) {',
    '    if (e.data && e.data.cmd === "load" && typeof e.data.urlOrBlob !== "string") {',
    `      e.data.urlOrBlob = ${JSON.stringify(factoryUrl)};`,
    '    }',
    '    return handle(e);',
    '  };',
    '})();',
    '',
  ].join('\n');
  return `${escaped}\n${swap}`;
}
