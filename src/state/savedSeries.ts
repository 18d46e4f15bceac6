// A run's training-step series as it is saved: four columns in one Float64Array instead of an
// object per step. IndexedDB copies what it stores on the page's main thread; an array of 10,000
// step objects takes tens of milliseconds to copy, the same steps as one typed array a fraction
// of one, and the project is saved several times a second while a run trains.

/** One training step, as the runs slice keeps it. */
export interface SavedStepPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
}

export const STEP_COLUMNS = 'step,epoch,loss,lr';

export interface PackedSteps {
  columns: typeof STEP_COLUMNS;
  /** Row-major: step, epoch, loss, lr of the first step, then of the second, … */
  values: Float64Array;
}

export function packSteps(steps: readonly SavedStepPoint[]): PackedSteps {
  const values = new Float64Array(steps.length * 4);
  for (let i = 0; i < steps.length; i++) {
    const p = steps[i]!;
    values[4 * i] = p.step;
    values[4 * i + 1] = p.epoch;
    values[4 * i + 2] = p.loss;
    values[4 * i + 3] = p.lr;
  }
  return { columns: STEP_COLUMNS, values };
}

export function isPackedSteps(value: unknown): value is PackedSteps {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as PackedSteps).columns === STEP_COLUMNS &&
    (value as PackedSteps).values instanceof Float64Array
  );
}

/** The steps of a saved run, packed (current format) or as objects (older saves). */
export function unpackSteps(saved: unknown): SavedStepPoint[] {
  if (Array.isArray(saved)) return saved as SavedStepPoint[];
  if (!isPackedSteps(saved)) return [];
  const { values } = saved;
  const steps = new Array<SavedStepPoint>(Math.floor(values.length / 4));
  for (let i = 0; i < steps.length; i++) {
    steps[i] = {
      step: values[4 * i]!,
      epoch: values[4 * i + 1]!,
      loss: values[4 * i + 2]!,
      lr: values[4 * i + 3]!,
    };
  }
  return steps;
}
