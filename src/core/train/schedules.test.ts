import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureModelDir } from '../../node/paths.ts';
import { lrMultiplier, warmupSteps, type ScheduleName } from './schedules.ts';

interface Reference {
  lr_schedules: Record<string, Record<string, number> | string>;
}

describe('learning-rate schedules', () => {
  for (const fixture of ['distilbert-tiny-seqcls', 'distilbert-tiny-mlm-f16'] as const) {
    it(`equal the reference multipliers of ${fixture} (total 100, warmup 10)`, () => {
      const reference = JSON.parse(
        readFileSync(join(fixtureModelDir(fixture), 'reference.json'), 'utf8'),
      ) as Reference;
      const names: Record<string, ScheduleName> = {
        linear: 'linear',
        cosine: 'cosine',
        constant_with_warmup: 'constant',
      };
      let checked = 0;
      for (const [key, name] of Object.entries(names)) {
        const table = reference.lr_schedules[key];
        if (!table || typeof table === 'string') throw new Error(`reference has no ${key} schedule`);
        for (const [step, expected] of Object.entries(table)) {
          const got = lrMultiplier({ name, totalSteps: 100, warmupSteps: 10 }, Number(step));
          expect(Math.abs(got - expected)).toBeLessThan(1e-12);
          checked++;
        }
      }
      expect(checked).toBe(24);
    });
  }

  it('computes warmup from steps or ratio like the Trainer', () => {
    expect(warmupSteps(95, { ratio: 0.1 })).toBe(10);
    expect(warmupSteps(100, { ratio: 0.1 })).toBe(10);
    expect(warmupSteps(100, { steps: 7, ratio: 0.1 })).toBe(7);
    expect(warmupSteps(100, {})).toBe(0);
    expect(lrMultiplier({ name: 'constant', totalSteps: 10, warmupSteps: 0 }, 0)).toBe(1);
    expect(lrMultiplier({ name: 'linear', totalSteps: 10, warmupSteps: 0 }, 0)).toBe(1);
    expect(() => warmupSteps(10, { ratio: 2 })).toThrow(/warmup ratio/);
  });
});
