// Which steps have their inputs: a step whose inputs are missing still opens, on an empty state
// that says what to do first.
import type { StepId } from './slices.ts';
import type { StudioState } from './store.ts';

export type StepStatus = { state: 'done' } | { state: 'ready' } | { state: 'blocked'; needs: string };

const done = { state: 'done' } as const;
const ready = { state: 'ready' } as const;

let lastKey = '';
let lastValue: Record<StepId, StepStatus> | null = null;

export function selectStepStatus(state: StudioState): Record<StepId, StepStatus> {
  const hasData = state.data.confirmed && state.data.analysis !== null;
  const hasModel = state.model.status === 'loaded';
  const active = state.activeRunId ? state.runs[state.activeRunId] : undefined;
  const hasRun = state.runOrder.some((id) => {
    const status = state.runs[id]?.status;
    return status === 'done' || status === 'stopped';
  });
  const key = `${hasData}|${hasModel}|${hasRun}|${active?.status ?? ''}`;
  if (key === lastKey && lastValue) return lastValue;
  lastKey = key;
  lastValue = {
    data: hasData ? done : ready,
    model: hasModel ? done : ready,
    train: !hasData
      ? { state: 'blocked', needs: 'needs data' }
      : !hasModel
        ? { state: 'blocked', needs: 'needs a model' }
        : hasRun
          ? done
          : ready,
    evaluate: hasRun ? ready : { state: 'blocked', needs: 'needs a run' },
    export: hasRun ? ready : { state: 'blocked', needs: 'needs a run' },
  };
  return lastValue;
}
