import { describe, expect, it } from 'vitest';
import { defaultTrainConfig } from '../core/train/config.ts';
import { lrMultiplier, warmupSteps } from '../core/train/schedules.ts';
import { resumedConfig } from './resume.ts';

function rates(config: ReturnType<typeof defaultTrainConfig>, trainExamples: number): number[] {
  const perEpoch = Math.ceil(trainExamples / (config.batchSize * config.gradAccumSteps));
  const total = perEpoch * config.epochs;
  const schedule = {
    name: config.schedule,
    totalSteps: total,
    warmupSteps: warmupSteps(total, { steps: config.warmupSteps, ratio: config.warmupRatio }),
  };
  return Array.from({ length: total }, (_, s) => config.learningRate * lrMultiplier(schedule, s));
}

describe('resumedConfig', () => {
  const examples = 800;
  for (const schedule of ['linear', 'constant'] as const) {
    it(`continues a ${schedule} schedule with warmup exactly where it stopped`, () => {
      const config = {
        ...defaultTrainConfig('top-k'),
        schedule,
        epochs: 3,
        batchSize: 64,
        learningRate: 1e-3,
      };
      const original = rates(config, examples);
      const perEpoch = Math.ceil(examples / 64);
      for (const epoch of [1, 2]) {
        const resumed = resumedConfig(config, { step: epoch * perEpoch, epoch }, examples);
        expect(resumed.epochs).toBe(3 - epoch);
        expect(resumed.warmupRatio).toBe(0);
        const tail = rates(resumed, examples);
        expect(tail).toHaveLength(original.length - epoch * perEpoch);
        tail.forEach((lr, i) => expect(lr).toBeCloseTo(original[epoch * perEpoch + i]!, 15));
      }
    });
  }

  it('keeps the user’s live learning rate as the base and a positive rate at the very end', () => {
    const config = { ...defaultTrainConfig('full'), epochs: 1, batchSize: 16, learningRate: 3e-3 };
    const resumed = resumedConfig(config, { step: 50, epoch: 1 }, examples);
    expect(resumed.epochs).toBe(1);
    expect(resumed.learningRate).toBeGreaterThan(0);
    expect(resumed.learningRate).toBeLessThan(1e-8);
  });
});
