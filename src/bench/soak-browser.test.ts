import { describe, expect, it } from 'vitest';
import { soakRows, workerName, type BrowserSoakSample, type BrowserSoakSummary } from './soak-browser.ts';

const MiB = 2 ** 20;

function sample(seconds: number, patch: Partial<BrowserSoakSample> = {}): BrowserSoakSample {
  return {
    seconds,
    step: seconds * 2,
    engine: { epoch: Math.floor(seconds / 60), tensors: 200, bytes: 8 * MiB },
    pageHeapBytes: 30 * MiB,
    workerHeapBytes: { 'train.worker': 40 * MiB, 'data.worker': 10 * MiB },
    storageBytes: 5 * MiB,
    ...patch,
  };
}

function summary(samples: BrowserSoakSample[]): BrowserSoakSummary {
  return { backend: 'wasm', minutes: 5, samples, longestTaskMs: 84, longTasks: 3 };
}

describe('the browser soak’s rows', () => {
  it('measure growth from the first sample past epoch 2 to the last', () => {
    const rows = soakRows(
      summary([
        sample(30, { engine: null, pageHeapBytes: 12 * MiB }),
        sample(60, { pageHeapBytes: 20 * MiB }),
        sample(120, { pageHeapBytes: 31 * MiB }),
        sample(300, { pageHeapBytes: 32.5 * MiB, storageBytes: 5.5 * MiB }),
      ]),
    );
    const value = (name: string) => rows.find((r) => r.name === name)?.value;
    expect(value('training steps')).toBe(600);
    expect(value('engine tensors, growth after warm-up')).toBe(0);
    expect(value('page JS heap after a collection, growth after warm-up')).toBeCloseTo(1.5);
    expect(value('train.worker JS heap after a collection, growth after warm-up')).toBe(0);
    expect(value('origin storage, growth after warm-up')).toBeCloseTo(0.5);
    expect(value('longest main-thread task while training')).toBe(84);
    expect(rows.every((r) => r.suite === 'soak' && r.where === 'chromium wasm')).toBe(true);
  });

  it('fail when the engine’s tensors grow after warm-up', () => {
    const leaking = summary([
      sample(120),
      sample(300, { engine: { epoch: 5, tensors: 260, bytes: 9 * MiB } }),
    ]);
    expect(() => soakRows(leaking)).toThrow(/tensors grew from 200 at step 240 to 260 at step 600/);
  });

  it('fail when no epoch ended', () => {
    expect(() => soakRows(summary([sample(30, { engine: null })]))).toThrow(/no epoch ended/);
  });
});

describe('worker names', () => {
  it.each([
    ['http://127.0.0.1:4173/assets/train.worker-CkP3x_9a.js', 'train.worker'],
    ['http://127.0.0.1:4173/assets/data.worker-B1dd7e2f.js', 'data.worker'],
    ['blob:http://127.0.0.1:4173/4aca47ca-1775-4636-bfd9-fd59fa791691', 'blob worker'],
  ])('%s → %s', (url, name) => {
    expect(workerName(url)).toBe(name);
  });
});
