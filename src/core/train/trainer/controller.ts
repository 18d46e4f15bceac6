// TrainController: the public face of a run. Events go out through listeners (at most one step
// event per emit interval); commands (pause, resume, stop, update) and state captures are
// queued and applied at the next step boundary by the loop.
import type { LiveSettings } from '../config.ts';
import type { ControlCommand, RunState, TrainEvent, TrainResult } from '../events.ts';
import { errorText } from './errors.ts';
import { Run, type StateRequest } from './loop.ts';
import type { TrainOptions } from './options.ts';
import type { ResumeState } from './state.ts';

export class TrainController {
  private readonly listeners = new Set<(event: TrainEvent) => void>();
  private readonly commands: ControlCommand[] = [];
  private readonly reportedErrors: unknown[] = [];
  private readonly captures: StateRequest[] = [];
  private wake: (() => void) | null = null;
  private currentState: RunState = 'idle';
  private currentStep = 0;
  private started = false;

  constructor(private readonly options: TrainOptions) {}

  get state(): RunState {
    return this.currentState;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  on(listener: (event: TrainEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The events as an async iterator, ending after `done` or `error`. Subscribe before run(). */
  events(): AsyncIterableIterator<TrainEvent> {
    const buffer: TrainEvent[] = [];
    let notify: (() => void) | null = null;
    let finished = false;
    const unsubscribe = this.on((event) => {
      buffer.push(event);
      if (event.type === 'done' || event.type === 'error') finished = true;
      notify?.();
    });
    const iterator: AsyncIterableIterator<TrainEvent> = {
      next: async () => {
        while (buffer.length === 0) {
          if (finished) {
            unsubscribe();
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (notify = resolve));
          notify = null;
        }
        return { value: buffer.shift() as TrainEvent, done: false };
      },
      return: async () => {
        unsubscribe();
        finished = true;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * Reports an error the backend raised outside an op: WebGPU signals out-of-memory through the
   * device's uncapturederror event and a lost device through device.lost, not as exceptions.
   * The next step then handles it like a thrown one: out-of-memory halves the batch and retries
   * the step; a lost device ends the run with the best checkpoint kept.
   */
  reportError(error: unknown): void {
    this.reportedErrors.push(error);
    this.wakeLoop();
  }

  /** Queues a command; it is applied, and acknowledged with a `command` event, at the next step. */
  send(command: ControlCommand): void {
    this.commands.push(command);
    this.wakeLoop();
  }

  pause(): void {
    this.send({ type: 'pause' });
  }
  resume(): void {
    this.send({ type: 'resume' });
  }
  stop(): void {
    this.send({ type: 'stop' });
  }
  update(settings: Partial<LiveSettings>): void {
    this.send({ type: 'update', settings });
  }

  /**
   * The state to resume this run from, captured at the next step boundary (after that step's
   * evaluation, if one is due), or where the loop ends if no step follows. The caller owns the
   * arrays (they may be transferred). Pass it as `resume` to a new controller to continue.
   */
  resumeState(): Promise<ResumeState> {
    if (!this.started || this.currentState === 'finished') {
      return Promise.reject(new Error('the run is not training, so there is no state to capture'));
    }
    return new Promise<ResumeState>((resolve, reject) => {
      this.captures.push({ resolve, reject });
      this.wakeLoop();
    });
  }

  private wakeLoop(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private emit(event: TrainEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private setState(state: RunState): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emit({ type: 'state', state, step: this.currentStep });
  }

  /** Runs the training to its end; the model's variables then hold the kept weights. */
  async run(): Promise<TrainResult> {
    if (this.started) throw new Error('a TrainController runs once; create a new one for another run');
    this.started = true;
    try {
      const result = await new Run(this.options, {
        emit: (event) => this.emit(event),
        setState: (state) => this.setState(state),
        setStep: (step) => (this.currentStep = step),
        takeCommands: () => this.commands.splice(0),
        takeStateRequests: () => this.captures.splice(0),
        takeError: () => this.reportedErrors.shift(),
        peekError: () => this.reportedErrors[0],
        waitForCommand: () =>
          this.commands.length > 0 || this.captures.length > 0
            ? Promise.resolve()
            : new Promise<void>((resolve) => (this.wake = resolve)),
      }).execute();
      this.setState('finished');
      return result;
    } catch (error) {
      this.setState('finished');
      this.emit({ type: 'error', message: errorText(error) });
      throw error;
    } finally {
      for (const request of this.captures.splice(0)) {
        request.reject(new Error('the run ended before its state could be captured'));
      }
    }
  }
}

/** Runs training with a listener; the simple form of new TrainController(options).run(). */
export async function trainModel(
  options: TrainOptions,
  onEvent?: (event: TrainEvent) => void,
): Promise<TrainResult> {
  const controller = new TrainController(options);
  if (onEvent) controller.on(onEvent);
  return controller.run();
}
