import { describe, expect, it } from 'vitest';
import { RequestError, WorkerClient } from './workerClient.ts';

type Command = { type: 'ask'; requestId: string; buffer?: Int32Array } | { type: 'poke' };
type WorkerEvent =
  | { type: 'progress'; requestId: string; done: number }
  | { type: 'answer'; requestId: string; value: number }
  | { type: 'error'; requestId?: string; message: string; hint?: string }
  | { type: 'cancelled'; requestId: string }
  | { type: 'broadcast'; value: number };

/** A stand-in Worker: records what was posted and lets the test emit events. */
class FakeWorker extends EventTarget {
  posted: { message: unknown; transfer: Transferable[] }[] = [];
  postMessage(message: unknown, transfer: Transferable[] = []): void {
    this.posted.push({ message, transfer });
  }
  emit(data: WorkerEvent): void {
    this.dispatchEvent(new MessageEvent('message', { data }));
  }
  terminate(): void {}
}

function setup() {
  const fake = new FakeWorker();
  const client = new WorkerClient<Command, WorkerEvent>(() => fake as unknown as Worker, 'test');
  return { fake, client };
}

describe('WorkerClient', () => {
  it('resolves a request with its done event and routes the rest to its listener', async () => {
    const { fake, client } = setup();
    const seen: number[] = [];
    const answer = client.request({ type: 'ask', requestId: 'a' }, ['answer'], (event) => {
      if (event.type === 'progress') seen.push(event.done);
    });
    fake.emit({ type: 'progress', requestId: 'a', done: 1 });
    fake.emit({ type: 'progress', requestId: 'a', done: 2 });
    fake.emit({ type: 'answer', requestId: 'a', value: 42 });
    await expect(answer).resolves.toEqual({ type: 'answer', requestId: 'a', value: 42 });
    expect(seen).toEqual([1, 2]);
  });

  it('drops events of abandoned requests instead of delivering them late', async () => {
    const { fake, client } = setup();
    const broadcasts: WorkerEvent[] = [];
    client.subscribe((event) => broadcasts.push(event));
    const first = client.request({ type: 'ask', requestId: 'old' }, ['answer']);
    client.abandon('old');
    await expect(first).rejects.toMatchObject({ cancelled: true });
    fake.emit({ type: 'answer', requestId: 'old', value: 1 });
    fake.emit({ type: 'broadcast', value: 7 });
    expect(broadcasts).toEqual([{ type: 'broadcast', value: 7 }]);
  });

  it('turns error and cancelled events into RequestErrors with the hint', async () => {
    const { fake, client } = setup();
    const failing = client.request({ type: 'ask', requestId: 'e' }, ['answer']);
    fake.emit({ type: 'error', requestId: 'e', message: 'The file is empty.', hint: 'Choose another.' });
    const error = await failing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ message: 'The file is empty.', hint: 'Choose another.', cancelled: false });
    const cancelled = client.request({ type: 'ask', requestId: 'c' }, ['answer']);
    fake.emit({ type: 'cancelled', requestId: 'c' });
    await expect(cancelled).rejects.toMatchObject({ cancelled: true });
  });

  it('transfers typed arrays instead of copying them', () => {
    const { fake, client } = setup();
    const buffer = new Int32Array([1, 2, 3]);
    client.post({ type: 'ask', requestId: 't', buffer });
    expect(fake.posted[0]!.transfer).toEqual([buffer.buffer]);
  });

  it('fails every pending request when the worker dies', async () => {
    const { fake, client } = setup();
    const pending = client.request({ type: 'ask', requestId: 'p' }, ['answer']);
    fake.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message: 'script failed' }));
    await expect(pending).rejects.toThrow(/test worker stopped/);
  });
});
