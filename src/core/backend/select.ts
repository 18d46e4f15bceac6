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

export type ProbeResult = { available: true; adapter?: AdapterInfo } | { available: false; reason: string };

export interface BackendEnvironment {
  /** Backends this environment can offer at all, best first (Node has no WebGL, for instance). */
  candidates: readonly BackendName[];
  /** Whether the backend can run here, and why not. */
  probe(name: BackendName): Promise<ProbeResult>;
  /** Makes the backend current (tf.setBackend + tf.ready); throws or returns false on failure. */
  activate(name: BackendName): Promise<boolean>;
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

export async function chooseBackend(env: BackendEnvironment, forced?: BackendName): Promise<BackendChoice> {
  const fallbacks: BackendFallback[] = [];
  let order: readonly BackendName[] = env.candidates;
  if (forced) {
    if (!env.candidates.includes(forced)) {
      fallbacks.push({ backend: forced, reason: 'not offered in this environment' });
    } else {
      order = [forced, ...env.candidates.filter((name) => name !== forced)];
    }
  }
  for (const name of order) {
    const probe = await env.probe(name);
    if (!probe.available) {
      fallbacks.push({ backend: name, reason: probe.reason });
      continue;
    }
    let activated = false;
    let failure = 'failed to initialise';
    try {
      activated = await env.activate(name);
    } catch (error) {
      failure = `failed to initialise: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (!activated) {
      fallbacks.push({ backend: name, reason: failure });
      continue;
    }
    const choice: BackendChoice = { name, fallbacks, forced: forced === name };
    if (probe.adapter) choice.adapter = probe.adapter;
    // A backend tried first because the user forced it is not a "fallback" from the default order.
    if (forced === name) choice.fallbacks = fallbacks.filter((f) => f.backend !== name);
    return choice;
  }
  throw new Error(
    `No compute backend could start: ${fallbacks.map((f) => `${f.backend} (${f.reason})`).join(', ')}.`,
  );
}
