// Continuing an interrupted run from an epoch-end checkpoint with the training loop as it is: the
// remaining epochs run as a new loop whose schedule picks up where the old one stopped.
import { lrMultiplier, warmupSteps } from '../core/train/schedules.ts';
import type { TrainConfig } from '../core/train/config.ts';
import type { RunResume } from './protocol.ts';

/**
 * Settings that continue a run from an epoch boundary: the remaining epochs, without warmup, from
 * the learning rate the schedule had reached. For the linear and constant schedules the resumed
 * rates equal the original schedule's step for step (a linear decay to 0 from any point of a
 * linear decay to 0 is its own tail); a cosine schedule continues as a cosine over the remaining
 * steps. The optimizer's moments start afresh, and each epoch reshuffles with its own seed.
 */
export function resumedConfig(
  config: TrainConfig,
  resume: Pick<RunResume, 'step' | 'epoch'>,
  trainExamples: number,
): TrainConfig {
  const stepsPerEpoch = Math.ceil(trainExamples / (config.batchSize * config.gradAccumSteps));
  const totalSteps = stepsPerEpoch * config.epochs;
  const schedule = {
    name: config.schedule,
    totalSteps,
    warmupSteps: warmupSteps(totalSteps, { steps: config.warmupSteps, ratio: config.warmupRatio }),
  };
  const multiplier = lrMultiplier(schedule, resume.step);
  return {
    ...config,
    epochs: Math.max(1, config.epochs - resume.epoch),
    // A run interrupted after its last update has nothing left to learn; keep the rate positive.
    learningRate: Math.max(config.learningRate * multiplier, config.learningRate * 1e-6),
    warmupSteps: 0,
    warmupRatio: 0,
    seed: config.seed + resume.epoch,
  };
}
