// Commands a run takes between steps: pause, resume, stop, and live changes of settings.
import type { ModelConfig } from '../../model/index.ts';
import { checkTrainConfig, LIVE_SETTINGS, type LiveSettings, type TrainConfig } from '../config.ts';
import type { ControlCommand } from '../events.ts';

/** What a command changes in the run. */
export interface CommandTarget {
  config: TrainConfig;
  modelConfig: ModelConfig;
  pause(): void;
  resume(): void;
  stop(): void;
}

/** Applies a command; returns whether it was applied and, if not, why. */
export function applyCommand(
  command: ControlCommand,
  target: CommandTarget,
): { applied: boolean; message?: string } {
  switch (command.type) {
    case 'pause':
      target.pause();
      return { applied: true };
    case 'resume':
      target.resume();
      return { applied: true };
    case 'stop':
      target.stop();
      return { applied: true };
    case 'update':
      return applySettings(command.settings, target);
  }
}

function applySettings(
  settings: Partial<LiveSettings>,
  target: CommandTarget,
): { applied: boolean; message?: string } {
  const unknown = Object.keys(settings).filter((key) => !(LIVE_SETTINGS as readonly string[]).includes(key));
  if (unknown.length > 0)
    return { applied: false, message: `cannot change ${unknown.join(', ')} while training` };
  const problems = checkTrainConfig({ ...target.config, ...settings }, target.modelConfig);
  if (problems.length > 0) return { applied: false, message: problems.join('; ') };
  // The optimizer reads its settings from the config at every step.
  Object.assign(target.config, settings);
  return { applied: true };
}
