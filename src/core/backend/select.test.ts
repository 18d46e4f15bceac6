import { describe, expect, it } from 'vitest';
import {
  chooseBackend,
  fallbackMessage,
  type BackendEnvironment,
  type BackendName,
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
  it('prefers WebGPU and reports the adapter', async () => {
    const { env } = environment({
      webgpu: { available: true, adapter: { vendor: 'google', architecture: 'swiftshader' } },
    });
    const choice = await chooseBackend(env);
    expect(choice).toEqual({
      name: 'webgpu',
      adapter: { vendor: 'google', architecture: 'swiftshader' },
      fallbacks: [],
      forced: false,
    });
    expect(fallbackMessage(choice)).toBe('');
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
