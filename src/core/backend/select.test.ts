import { describe, expect, it } from 'vitest';
import {
  chooseBackend,
  excludeByRule,
  fallbackMessage,
  isSoftwareAdapter,
  rankByTiming,
  type BackendEnvironment,
  type BackendName,
  type BackendTimings,
  type ProbeResult,
} from './select.ts';

function environment(probes: Partial<Record<BackendName, ProbeResult>>, failing: BackendName[] = []) {
  const activated: BackendName[] = [];
  const env: BackendEnvironment = {
    candidates: ['webgpu', 'webgl', 'wasm', 'cpu'],
    probe: async (name) => probes[name] ?? { available: true },
    activate: async (name) => {
      activated.push(name);
      if (failing.includes(name)) throw new Error('context lost');
      return true;
    },
  };
  return { env, activated };
}

describe('chooseBackend', () => {
  it('prefers WebGPU on a hardware adapter when nothing can be timed, and reports the adapter', async () => {
    const { env } = environment({
      webgpu: { available: true, adapter: { vendor: 'nvidia', architecture: 'ada' } },
    });
    const choice = await chooseBackend(env);
    expect(choice).toEqual({
      name: 'webgpu',
      adapter: { vendor: 'nvidia', architecture: 'ada' },
      fallbacks: [],
      forced: false,
    });
    expect(fallbackMessage(choice)).toBe('');
  });

  it('never picks a software adapter over WASM, but starts it when forced', async () => {
    const swiftshader = { vendor: 'google', architecture: 'swiftshader' };
    const probes: Partial<Record<BackendName, ProbeResult>> = {
      webgpu: { available: true, adapter: swiftshader, software: true },
      webgl: { available: true, software: true },
    };
    const { env, activated } = environment(probes);
    const choice = await chooseBackend(env);
    expect(choice.name).toBe('wasm');
    expect(activated).toEqual(['wasm']);
    expect(choice.fallbacks.map((f) => f.backend)).toEqual(['webgpu', 'webgl']);
    expect(fallbackMessage(choice)).toContain('software adapter (google · swiftshader)');
    const forced = await chooseBackend(environment(probes).env, 'webgpu');
    expect(forced).toMatchObject({ name: 'webgpu', forced: true, software: true });
  });

  it('falls back to a software adapter only when WASM cannot start', async () => {
    const { env } = environment(
      { webgpu: { available: true, software: true }, webgl: { available: false, reason: 'no WebGL' } },
      ['wasm'],
    );
    const choice = await chooseBackend(env);
    expect(choice.name).toBe('webgpu');
    expect(choice.fallbacks).toEqual([
      { backend: 'webgl', reason: 'no WebGL' },
      { backend: 'wasm', reason: 'failed to initialise: context lost' },
    ]);
  });

  it('falls back in order and keeps every reason', async () => {
    const { env, activated } = environment(
      { webgpu: { available: false, reason: 'no WebGPU adapter found' } },
      ['webgl'],
    );
    const choice = await chooseBackend(env);
    expect(choice.name).toBe('wasm');
    expect(activated).toEqual(['webgl', 'wasm']);
    expect(choice.fallbacks).toEqual([
      { backend: 'webgpu', reason: 'no WebGPU adapter found' },
      { backend: 'webgl', reason: 'failed to initialise: context lost' },
    ]);
    expect(fallbackMessage(choice)).toContain('webgpu: no WebGPU adapter found');
  });

  it('honours a forced backend, and falls back from it when it cannot start', async () => {
    expect((await chooseBackend(environment({}).env, 'cpu')).name).toBe('cpu');
    const forcedFails = await chooseBackend(environment({}, ['wasm']).env, 'wasm');
    expect(forcedFails).toMatchObject({ name: 'webgpu', forced: false });
    expect(forcedFails.fallbacks[0]?.backend).toBe('wasm');
  });

  it('explains when nothing can start', async () => {
    const { env } = environment({}, ['webgpu', 'webgl', 'wasm', 'cpu']);
    await expect(chooseBackend(env)).rejects.toThrow(/No compute backend could start: webgpu/);
  });
});

function timedEnvironment(stepMs: BackendTimings, cache: { value: BackendTimings | null }) {
  const activated: BackendName[] = [];
  const timed: BackendName[] = [];
  const env: BackendEnvironment = {
    candidates: ['webgpu', 'webgl', 'wasm', 'cpu'],
    probe: async (name) =>
      name === 'webgl' ? { available: false, reason: 'no WebGL' } : { available: true },
    activate: async (name) => {
      activated.push(name);
      return true;
    },
    timeStep: async (name) => {
      timed.push(name);
      const ms = stepMs[name];
      if (ms === undefined) throw new Error('out of memory');
      return ms;
    },
    timingCache: {
      read: async () => cache.value,
      write: async (timings) => {
        cache.value = timings;
      },
    },
  };
  return { env, activated, timed };
}

describe('Automatic picks the fastest', () => {
  it.each([
    { name: 'a fast GPU', stepMs: { webgpu: 2, wasm: 30 }, expected: 'webgpu' },
    { name: 'a slow integrated GPU', stepMs: { webgpu: 45, wasm: 30 }, expected: 'wasm' },
    { name: 'a tie (default order wins)', stepMs: { webgpu: 30, wasm: 30 }, expected: 'webgpu' },
  ] as const)('times the contenders once and caches the result: $name', async ({ stepMs, expected }) => {
    const cache = { value: null as BackendTimings | null };
    const first = timedEnvironment(stepMs, cache);
    const choice = await chooseBackend(first.env);
    expect(choice.name).toBe(expected);
    expect(choice.timings).toEqual(stepMs);
    expect(choice.timingsCached).toBe(false);
    expect(first.timed).toEqual(['webgpu', 'wasm']);
    expect(cache.value).toEqual(stepMs);
    if (expected === 'wasm')
      expect(fallbackMessage(choice)).toContain("45 ms per test step against wasm's 30 ms");

    const second = timedEnvironment(stepMs, cache);
    const again = await chooseBackend(second.env);
    expect(again).toMatchObject({ name: expected, timingsCached: true });
    expect(second.timed).toEqual([]);
    expect(second.activated).toEqual([expected]);
  });

  it('drops a contender whose test step fails, and does not cache a partial measurement', async () => {
    const cache = { value: null as BackendTimings | null };
    const { env } = timedEnvironment({ wasm: 30 }, cache);
    const choice = await chooseBackend(env);
    expect(choice.name).toBe('wasm');
    expect(choice.fallbacks).toContainEqual({
      backend: 'webgpu',
      reason: 'failed its test step: out of memory',
    });
    expect(cache.value).toBeNull();
  });
});

describe('the rules', () => {
  it.each([
    [{ vendor: 'google', architecture: 'swiftshader' }, true],
    [{ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, true],
    [{ vendor: 'mesa', architecture: '', device: 'lavapipe' }, true],
    [{ vendor: 'intel', architecture: 'gen-12lp', isFallbackAdapter: true }, true],
    [
      {
        vendor: '',
        architecture: '',
        renderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)))',
      },
      true,
    ],
    [{ vendor: 'nvidia', architecture: 'ada' }, false],
    [{ vendor: 'apple', architecture: 'metal-3' }, false],
  ])('isSoftwareAdapter(%j) is %s', (info, expected) => {
    expect(isSoftwareAdapter(info)).toBe(expected);
  });

  it('excludes software adapters and plain JavaScript only while WASM is available', () => {
    const all = [
      { name: 'webgpu', software: true },
      { name: 'webgl', software: false },
      { name: 'wasm', software: false },
      { name: 'cpu', software: false },
    ] as const;
    const ruled = excludeByRule(all);
    expect(ruled.contenders.map((c) => c.name)).toEqual(['webgl', 'wasm']);
    expect(ruled.excluded.map((c) => c.name)).toEqual(['webgpu', 'cpu']);
    expect(ruled.reasons.map((r) => r.backend)).toEqual(['webgpu']);
    const withoutWasm = excludeByRule(all.filter((c) => c.name !== 'wasm'));
    expect(withoutWasm.contenders.map((c) => c.name)).toEqual(['webgpu', 'webgl', 'cpu']);
  });

  it('ranks by timing, untimed contenders last in the default order', () => {
    expect(rankByTiming(['webgpu', 'webgl', 'wasm'], { webgl: 5, wasm: 3 })).toEqual([
      'wasm',
      'webgl',
      'webgpu',
    ]);
    expect(rankByTiming(['webgpu', 'wasm'], {})).toEqual(['webgpu', 'wasm']);
  });
});
