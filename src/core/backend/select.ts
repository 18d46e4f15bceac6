// Picks the tfjs compute backend: WebGPU first, then WebGL, then WASM, then CPU.
// The environment-specific parts (probing navigator.gpu in a worker, the `webgpu` package in
// Node, registering backends) are passed in, so this one module decides in both places and every
// fallback carries the reason the user is shown.

export const BACKEND_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_ORDER as readonly string[]).includes(value);
}

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device?: string;
  description?: string;
}

export type ProbeResult =
  | {
      available: true;
      adapter?: AdapterInfo;
      /** A GPU implemented on the CPU (SwiftShader, llvmpipe, lavapipe, a fallback adapter). */
      software?: boolean;
    }
  | { available: false; reason: string };

/** Milliseconds per tiny representative step, per backend, as measured on this device. */
export type BackendTimings = Partial<Record<BackendName, number>>;

export interface BackendEnvironment {
  /** Backends this environment can offer at all, best first (Node has no WebGL, for instance). */
  candidates: readonly BackendName[];
  /** Whether the backend can run here, and why not. */
  probe(name: BackendName): Promise<ProbeResult>;
  /** Makes the backend current (tf.setBackend + tf.ready); throws or returns false on failure. */
  activate(name: BackendName): Promise<boolean>;
  /** Times the tiny representative step on the backend just activated: ms per step. */
  timeStep?(name: BackendName): Promise<number>;
  /** Timings measured earlier on this device (null when none), and where new ones are kept. */
  timingCache?: {
    read(): Promise<BackendTimings | null>;
    write(timings: BackendTimings): Promise<void>;
  };
}

export interface BackendFallback {
  backend: BackendName;
  reason: string;
}

export interface BackendChoice {
  name: BackendName;
  adapter?: AdapterInfo;
  /** Backends tried before this one, each with why it was not used. */
  fallbacks: BackendFallback[];
  /** True when the user asked for this backend. */
  forced: boolean;
  /** The timings Automatic compared, when it had more than one fast candidate. */
  timings?: BackendTimings;
  /** True when those timings came from an earlier measurement on this device. */
  timingsCached?: boolean;
  /** True when the chosen backend runs on a software GPU adapter. */
  software?: boolean;
}

const SOFTWARE_ADAPTER_NAMES = ['swiftshader', 'llvmpipe', 'lavapipe', 'softpipe', 'microsoft basic render'];

/**
 * Whether an adapter is a GPU implemented on the CPU: the browser says so (`isFallbackAdapter`),
 * or its description names SwiftShader, llvmpipe or lavapipe. Such adapters compute correctly,
 * but far slower than WASM on the same cores.
 */
export function isSoftwareAdapter(
  info: Partial<AdapterInfo> & { isFallbackAdapter?: boolean; renderer?: string },
): boolean {
  if (info.isFallbackAdapter) return true;
  const text = [info.vendor, info.architecture, info.device, info.description, info.renderer]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return SOFTWARE_ADAPTER_NAMES.some((name) => text.includes(name));
}

export interface Contender {
  name: BackendName;
  adapter?: AdapterInfo;
  software: boolean;
}

/**
 * Automatic's rule before any timing: while WASM is available, software GPU adapters and plain
 * JavaScript never compete with it. They stay available when forced, and as a last resort.
 */
export function excludeByRule(available: readonly Contender[]): {
  contenders: Contender[];
  excluded: Contender[];
  reasons: BackendFallback[];
} {
  const wasm = available.some((c) => c.name === 'wasm');
  if (!wasm) return { contenders: [...available], excluded: [], reasons: [] };
  const contenders: Contender[] = [];
  const excluded: Contender[] = [];
  const reasons: BackendFallback[] = [];
  for (const candidate of available) {
    if (candidate.software) {
      excluded.push(candidate);
      const label = describeAdapter(candidate.adapter);
      reasons.push({
        backend: candidate.name,
        reason: `only a software adapter${label ? ` (${label})` : ''} exists, slower than WASM on the same CPU`,
      });
    } else if (candidate.name === 'cpu') {
      excluded.push(candidate);
    } else {
      contenders.push(candidate);
    }
  }
  return { contenders, excluded, reasons };
}

/**
 * Contenders fastest first. A contender without a timing (it could not be measured) keeps its
 * place in the default order after the timed ones; ties keep the default order.
 */
export function rankByTiming(contenders: readonly BackendName[], timings: BackendTimings): BackendName[] {
  const timed = contenders.filter((name) => Number.isFinite(timings[name]));
  const untimed = contenders.filter((name) => !Number.isFinite(timings[name]));
  const position = (name: BackendName) => BACKEND_ORDER.indexOf(name);
  timed.sort((a, b) => timings[a]! - timings[b]! || position(a) - position(b));
  return [...timed, ...untimed];
}

function formatMs(ms: number): string {
  return ms >= 10 ? ms.toFixed(0) : ms.toPrecision(2);
}

/** "12 ms per test step against wasm's 3.1 ms": why a timed contender lost. */
export function slowerReason(name: BackendName, winner: BackendName, timings: BackendTimings): string {
  const mine = timings[name];
  const best = timings[winner];
  if (mine === undefined || best === undefined) return `slower than ${winner} here`;
  return `${formatMs(mine)} ms per test step against ${winner}'s ${formatMs(best)} ms`;
}

export function describeAdapter(adapter: AdapterInfo | undefined): string {
  if (!adapter) return '';
  const parts = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter(
    (part): part is string => Boolean(part && part.trim()),
  );
  return [...new Set(parts)].join(' · ');
}

/** One sentence for the user on why the chosen backend is not the best one, or '' when it is. */
export function fallbackMessage(choice: BackendChoice): string {
  if (choice.fallbacks.length === 0) return '';
  const why = choice.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  return choice.forced
    ? `Using ${choice.name} as chosen in settings (${why}).`
    : `Using ${choice.name} because ${why}.`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function tryActivate(env: BackendEnvironment, name: BackendName): Promise<string | null> {
  try {
    return (await env.activate(name)) ? null : 'failed to initialise';
  } catch (error) {
    return `failed to initialise: ${errorText(error)}`;
  }
}

/** Measures every contender with the tiny step, or reads an earlier measurement of this device. */
async function measure(
  env: BackendEnvironment,
  contenders: readonly BackendName[],
  fallbacks: BackendFallback[],
): Promise<{ timings: BackendTimings; cached: boolean; failed: Set<BackendName> }> {
  const failed = new Set<BackendName>();
  const cached = await env.timingCache?.read().catch(() => null);
  if (cached && contenders.every((name) => Number.isFinite(cached[name]))) {
    return { timings: cached, cached: true, failed };
  }
  const timings: BackendTimings = {};
  for (const name of contenders) {
    const failure = await tryActivate(env, name);
    if (failure) {
      fallbacks.push({ backend: name, reason: failure });
      failed.add(name);
      continue;
    }
    try {
      timings[name] = await env.timeStep!(name);
    } catch (error) {
      fallbacks.push({ backend: name, reason: `failed its test step: ${errorText(error)}` });
      failed.add(name);
    }
  }
  if (failed.size === 0) await env.timingCache?.write(timings).catch(() => undefined);
  return { timings, cached: false, failed };
}

/**
 * Picks and starts the backend. A forced backend is tried first. Automatic probes every
 * candidate, drops software adapters and plain JavaScript while WASM is available
 * (`excludeByRule`), times what is left with a tiny step when more than one remains (once per
 * device: the result is cached) and starts the fastest; the excluded ones are the last resort.
 */
export async function chooseBackend(env: BackendEnvironment, forced?: BackendName): Promise<BackendChoice> {
  const fallbacks: BackendFallback[] = [];
  const probes = new Map<BackendName, ProbeResult>();
  const probe = async (name: BackendName) => {
    let result = probes.get(name);
    if (!result) {
      result = await env.probe(name);
      probes.set(name, result);
    }
    return result;
  };
  const chosen = (name: BackendName, result: ProbeResult, extra: Partial<BackendChoice> = {}) => {
    const choice: BackendChoice = { name, fallbacks, forced: forced === name, ...extra };
    if (result.available && result.adapter) choice.adapter = result.adapter;
    if (result.available && result.software) choice.software = true;
    return choice;
  };

  if (forced) {
    if (!env.candidates.includes(forced)) {
      fallbacks.push({ backend: forced, reason: 'not offered in this environment' });
    } else {
      const result = await probe(forced);
      if (!result.available) fallbacks.push({ backend: forced, reason: result.reason });
      else {
        const failure = await tryActivate(env, forced);
        if (!failure) return chosen(forced, result);
        fallbacks.push({ backend: forced, reason: failure });
      }
    }
  }

  const available: Contender[] = [];
  for (const name of env.candidates) {
    if (name === forced) continue;
    const result = await probe(name);
    if (!result.available) {
      fallbacks.push({ backend: name, reason: result.reason });
      continue;
    }
    const contender: Contender = { name, software: Boolean(result.software) };
    if (result.adapter) contender.adapter = result.adapter;
    available.push(contender);
  }
  const { contenders, excluded, reasons } = excludeByRule(available);
  fallbacks.push(...reasons);

  let order = contenders.map((c) => c.name);
  let timing: Pick<BackendChoice, 'timings' | 'timingsCached'> = {};
  if (order.length > 1 && env.timeStep) {
    const measured = await measure(env, order, fallbacks);
    order = rankByTiming(
      order.filter((name) => !measured.failed.has(name)),
      measured.timings,
    );
    timing = { timings: measured.timings, timingsCached: measured.cached };
  }
  for (const [index, name] of order.entries()) {
    const failure = await tryActivate(env, name);
    if (failure) {
      fallbacks.push({ backend: name, reason: failure });
      continue;
    }
    // Faster candidates never lose silently: say what the timing showed for each one beaten.
    if (timing.timings) {
      for (const loser of order.slice(index + 1)) {
        if (BACKEND_ORDER.indexOf(loser) < BACKEND_ORDER.indexOf(name)) {
          fallbacks.push({ backend: loser, reason: slowerReason(loser, name, timing.timings) });
        }
      }
    }
    return chosen(name, probes.get(name)!, timing);
  }
  for (const { name } of excluded) {
    const failure = await tryActivate(env, name);
    if (!failure) {
      // The rule's reason no longer holds once WASM failed; keep only the real failures.
      const kept = fallbacks.filter((f) => f.backend !== name);
      fallbacks.length = 0;
      fallbacks.push(...kept);
      return chosen(name, probes.get(name)!);
    }
    fallbacks.push({ backend: name, reason: failure });
  }
  throw new Error(
    `No compute backend could start: ${fallbacks.map((f) => `${f.backend} (${f.reason})`).join(', ')}.`,
  );
}
