import { describe, expect, it } from 'vitest';
import { coalesce, type Timers } from './coalesce.ts';

/** A clock the test moves by hand; due callbacks run when it advances. */
function manualTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  let next = 1;
  const due = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const id = next++;
      due.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const ready = [...due].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
        if (!ready) break;
        due.delete(ready[0]);
        now = ready[1].at;
        ready[1].callback();
      }
      now = until;
    },
  };
}

describe('coalesce', () => {
  it('writes a burst of items once per interval, grouped by key and in order, losing none', () => {
    const timers = manualTimers();
    const writes: Map<string, number[]>[] = [];
    const queue = coalesce<string, number>((batches) => writes.push(batches), 100, timers);

    queue.push('a', 1);
    expect(writes).toHaveLength(0); // never inside the task that received the item
    timers.advance(0);
    expect(writes).toHaveLength(1);
    expect([...writes[0]!]).toEqual([['a', [1]]]);

    // 30 items over 300 ms: at most one write per 100 ms.
    for (let i = 2; i <= 31; i++) {
      queue.push(i % 2 ? 'a' : 'b', i);
      timers.advance(10);
    }
    timers.advance(100);
    expect(writes.length).toBeLessThanOrEqual(1 + 4);
    expect(writes.length).toBeGreaterThanOrEqual(1 + 3);
    const seen = { a: [] as number[], b: [] as number[] };
    for (const batch of writes.slice(1)) {
      seen.a.push(...(batch.get('a') ?? []));
      seen.b.push(...(batch.get('b') ?? []));
    }
    expect(seen.a).toEqual([3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]);
    expect(seen.b).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30]);
    expect(queue.pending).toBe(0);
  });

  it('flushes on demand, and drops what a key still had queued', () => {
    const timers = manualTimers();
    const writes: Map<string, number[]>[] = [];
    const queue = coalesce<string, number>((batches) => writes.push(batches), 100, timers);
    queue.push('a', 1);
    queue.push('b', 2);
    queue.drop('b');
    expect(queue.pending).toBe(1);
    queue.flush();
    expect(writes).toHaveLength(1);
    expect([...writes[0]!]).toEqual([['a', [1]]]);
    timers.advance(500);
    expect(writes).toHaveLength(1); // the cancelled timer does not write an empty batch
    queue.flush();
    expect(writes).toHaveLength(1);
  });
});
