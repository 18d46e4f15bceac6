// What a train command posted, read back for the worker tests: its outcome, or its error's message,
// and every notice and step loss along the way.
import type { RunOutcome, TrainEvent } from '../protocol.ts';

export interface RunRecordOfEvents {
  outcome: RunOutcome | null;
  error: string | null;
  notices: string[];
  losses: number[];
}

export function runEvents(events: readonly TrainEvent[]): RunRecordOfEvents {
  let outcome: RunOutcome | null = null;
  let error: string | null = null;
  const notices: string[] = [];
  const losses: number[] = [];
  for (const event of events) {
    if (event.type === 'finished') outcome = event.outcome;
    if (event.type === 'error') error = event.message;
    if (event.type === 'run' && event.event.type === 'notice') notices.push(event.event.message);
    if (event.type === 'run' && event.event.type === 'step') losses.push(event.event.loss);
  }
  return { outcome, error, notices, losses };
}
