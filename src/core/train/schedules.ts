// Learning-rate schedules as multipliers of the base learning rate at optimizer step s (0-based),
// with the formulas of transformers' get_{linear,cosine,constant}_schedule_with_warmup. As in the
// Hugging Face Trainer, update s uses multiplier(s): with warmup the very first update has lr 0.

export const SCHEDULE_NAMES = ['linear', 'cosine', 'constant'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export interface Schedule {
  name: ScheduleName;
  /** Optimizer updates in the whole run. */
  totalSteps: number;
  warmupSteps: number;
}

/**
 * Warmup length as the Trainer computes it: explicit steps win when positive, otherwise
 * ceil(ratio × total).
 */
export function warmupSteps(totalSteps: number, warmup: { steps?: number; ratio?: number }): number {
  if (warmup.steps !== undefined && warmup.steps > 0) return Math.floor(warmup.steps);
  const ratio = warmup.ratio ?? 0;
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`warmup ratio must be in [0, 1], got ${ratio}`);
  return Math.ceil(totalSteps * ratio);
}

export function lrMultiplier(schedule: Schedule, step: number): number {
  const { totalSteps, warmupSteps: warmup } = schedule;
  if (step < warmup) return step / Math.max(1, warmup);
  switch (schedule.name) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmup));
    case 'cosine': {
      const progress = (step - warmup) / Math.max(1, totalSteps - warmup);
      // num_cycles = 0.5: one half cosine from 1 down to 0.
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
    }
  }
}
