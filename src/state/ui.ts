// Navigation and settings actions.
import type { StepId } from './slices.ts';
import { studio } from './store.ts';

export function goToStep(step: StepId): void {
  studio().setUi({ step });
}

export function openSettings(open: boolean): void {
  studio().setUi({ settingsOpen: open });
}

export function dismissStorageProblem(): void {
  studio().setStorage({ problem: null });
}

export function dismissStorageLoss(): void {
  studio().setStorage({ lost: null });
}
