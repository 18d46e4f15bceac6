import { describe, expect, it } from 'vitest';
import { defaultWasmThreads, parseThreadCount, planWasmThreads, pthreadWorkerSource } from './threads.ts';

describe('WASM threads', () => {
  it.each([
    [undefined, 1],
    [1, 1],
    [2, 2],
    [4, 4],
    [16, 4],
  ])('defaults to min(cores, 4): %s cores -> %i', (cores, expected) => {
    expect(defaultWasmThreads(cores)).toBe(expected);
  });

  const isolated = {
    hardwareConcurrency: 8,
    crossOriginIsolated: true,
    sharedMemory: true,
    wasmThreads: true,
  };

  it('uses the default or the requested count when the page is isolated', () => {
    expect(planWasmThreads(isolated)).toEqual({ threads: 4, reason: '' });
    expect(planWasmThreads({ ...isolated, requested: 6 })).toEqual({ threads: 6, reason: '' });
    expect(planWasmThreads({ ...isolated, requested: 99 }).threads).toBe(8);
    expect(planWasmThreads({ ...isolated, requested: 1 })).toEqual({ threads: 1, reason: '' });
  });

  it.each([
    [{ crossOriginIsolated: false }, /not cross-origin isolated/],
    [{ sharedMemory: false }, /no SharedArrayBuffer/],
    [{ wasmThreads: false }, /no WebAssembly threads/],
    [{ hardwareConcurrency: 1 }, /single CPU core/],
  ])('runs on one thread and says why: %j', (change, reason) => {
    const plan = planWasmThreads({ ...isolated, ...change });
    expect(plan.threads).toBe(1);
    expect(plan.reason).toMatch(reason);
  });

  it('parses --threads and rejects what is not a count', () => {
    expect(parseThreadCount('3')).toBe(3);
    for (const bad of ['0', '9', '1.5', 'two', '']) {
      expect(() => parseThreadCount(bad)).toThrow(/--threads must be a whole number from 1 to 8/);
    }
  });

  it('builds a pthread worker that loads the unbundled factory instead of the Blob', () => {
    const contents = 'self.onmessage=e=>{seen.push(e.data.urlOrBlob)};var text="a\nb";';
    const source = pthreadWorkerSource(contents, '/assets/factory.js');
    expect(source).toContain('var text="a\\nb"');
    const seen: unknown[] = [];
    const self: { onmessage?: (e: { data: unknown }) => void } = {};
    new Function('self', 'seen', source)(self, seen);
    self.onmessage!({ data: { cmd: 'load', urlOrBlob: new Blob(['x']) } });
    self.onmessage!({ data: { cmd: 'load', urlOrBlob: 'https://example.test/main.js' } });
    self.onmessage!({ data: { cmd: 'run' } });
    expect(seen).toEqual(['/assets/factory.js', 'https://example.test/main.js', undefined]);
  });
});
