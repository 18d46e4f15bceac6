// A typed client over one long-lived worker: each request gets an id, events are routed to the
// request that asked, and events of a request nobody waits for any more (cancelled, superseded)
// are dropped. Broadcast events (no id, or an id not issued by a request) go to `onEvent`.
import { errorMessage, transferablesOf } from '../workers/protocol.ts';

type Message = { type: string };
type WithRequestId = { requestId?: string };

interface Pending<E> {
  resolve(event: E): void;
  reject(error: RequestError): void;
  doneTypes: readonly string[];
  onEvent?: (event: E) => void;
}

export class RequestError extends Error {
  readonly hint: string | undefined;
  readonly cancelled: boolean;
  constructor(message: string, hint?: string, cancelled = false) {
    super(message);
    this.name = 'RequestError';
    this.hint = hint;
    this.cancelled = cancelled;
  }
}

let counter = 0;
export function newRequestId(prefix = 'r'): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}-${counter}`;
}

export class WorkerClient<C extends Message, E extends Message> {
  private worker: Worker | null = null;
  private readonly pending = new Map<string, Pending<E>>();
  private readonly listeners = new Set<(event: E) => void>();

  constructor(
    private readonly create: () => Worker,
    private readonly name: string,
  ) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = this.create();
    worker.addEventListener('message', (message: MessageEvent<E>) => this.dispatch(message.data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.failAll(`The ${this.name} worker stopped: ${event.message || 'it could not start'}.`);
      this.worker = null;
    });
    worker.addEventListener('messageerror', () =>
      this.failAll(`A message from the ${this.name} worker was lost.`),
    );
    this.worker = worker;
    return worker;
  }

  private failAll(message: string): void {
    const hint = 'Reload the page; your data and runs are kept.';
    for (const [, pending] of this.pending) pending.reject(new RequestError(message, hint));
    this.pending.clear();
    for (const listener of this.listeners) {
      listener({ type: 'error', message, hint } as unknown as E);
    }
  }

  private dispatch(event: E): void {
    const id = (event as WithRequestId).requestId;
    const pending = id ? this.pending.get(id) : undefined;
    if (!pending) {
      // Events of abandoned requests are stale; events without a request id (run events keyed
      // by runId, device loss) are broadcasts.
      if (!id) for (const listener of this.listeners) listener(event);
      return;
    }
    if (event.type === 'error') {
      this.pending.delete(id!);
      const { message, hint } = event as unknown as { message: string; hint?: string };
      pending.reject(new RequestError(message, hint));
      return;
    }
    if (event.type === 'cancelled') {
      this.pending.delete(id!);
      pending.reject(new RequestError('Cancelled.', undefined, true));
      return;
    }
    if (pending.doneTypes.includes(event.type)) {
      this.pending.delete(id!);
      pending.resolve(event);
      return;
    }
    pending.onEvent?.(event);
  }

  /** Sends a command without waiting for an answer (run control, cancel). */
  post(command: C): void {
    try {
      this.ensure().postMessage(command, transferablesOf(command));
    } catch (error) {
      this.failAll(`Could not talk to the ${this.name} worker: ${errorMessage(error)}`);
    }
  }

  /**
   * Sends a command carrying `requestId` and resolves with its first event of one of `doneTypes`;
   * other events of the request go to `onEvent`. Rejects with a RequestError on `error`/`cancelled`.
   */
  request<T extends E['type']>(
    command: C & { requestId: string },
    doneTypes: readonly T[],
    onEvent?: (event: E) => void,
  ): Promise<Extract<E, { type: T }>> {
    return new Promise((resolve, reject) => {
      const entry: Pending<E> = {
        resolve: (event) => resolve(event as Extract<E, { type: T }>),
        reject,
        doneTypes,
      };
      if (onEvent) entry.onEvent = onEvent;
      this.pending.set(command.requestId, entry);
      this.post(command);
    });
  }

  /** Stops waiting for a request: its later events are dropped. */
  abandon(requestId: string): void {
    const pending = this.pending.get(requestId);
    if (!pending) return;
    this.pending.delete(requestId);
    pending.reject(new RequestError('Cancelled.', undefined, true));
  }

  subscribe(listener: (event: E) => void): () => void {
    this.listeners.add(listener);
    this.ensure();
    return () => this.listeners.delete(listener);
  }

  terminate(): void {
    this.worker?.terminate();
    this.worker = null;
    this.failAll(`The ${this.name} worker was restarted.`);
  }
}
