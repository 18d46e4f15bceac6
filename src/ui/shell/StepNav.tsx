import type { KeyboardEvent } from 'react';
import { selectStepStatus, type StepStatus } from '../../state/steps.ts';
import { useStudio } from '../../state/store.ts';
import { goToStep } from '../../state/ui.ts';
import { STEPS, type StepId } from '../../state/slices.ts';

const TITLES: Record<StepId, string> = {
  data: 'Data',
  model: 'Model',
  train: 'Train',
  evaluate: 'Evaluate',
  export: 'Export',
};

function statusText(status: StepStatus): string {
  if (status.state === 'done') return 'done';
  if (status.state === 'blocked') return status.needs;
  return 'ready';
}

/** Data → Model → Train → Evaluate → Export, as tabs operable with arrow keys. */
export function StepNav() {
  const current = useStudio((state) => state.ui.step);
  const statuses = useStudio(selectStepStatus);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = STEPS.indexOf(current);
    let next: number;
    if (event.key === 'ArrowRight') next = (index + 1) % STEPS.length;
    else if (event.key === 'ArrowLeft') next = (index - 1 + STEPS.length) % STEPS.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = STEPS.length - 1;
    else return;
    event.preventDefault();
    const step = STEPS[next]!;
    goToStep(step);
    document.getElementById(`fs-tab-${step}`)?.focus();
  };
  return (
    <nav className="fs-steps" aria-label="Steps">
      <div role="tablist" aria-label="Steps" onKeyDown={onKeyDown}>
        {STEPS.map((step, index) => {
          const status = statuses[step];
          const selected = step === current;
          return (
            <button
              key={step}
              id={`fs-tab-${step}`}
              type="button"
              role="tab"
              aria-selected={selected}
              aria-controls="fs-step-panel"
              tabIndex={selected ? 0 : -1}
              className={`fs-step-tab fs-step-${status.state}`}
              onClick={() => goToStep(step)}
            >
              <span className="fs-step-number" aria-hidden="true">
                {status.state === 'done' ? '✓' : index + 1}
              </span>
              <span className="fs-step-name">{TITLES[step]}</span>
              <span className="fs-step-status">{statusText(status)}</span>
            </button>
          );
        })}
      </div>
    </nav>
  );
}
