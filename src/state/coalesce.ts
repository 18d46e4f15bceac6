// Groups a stream of small updates into at most one store write per interval. A fast GPU reports
// a training step every few milliseconds; writing each one to the store would redraw the page
// for every step, while the eye cannot tell more than about ten updates a second apart.

export interface Coalescer<K, T> {
  /** Queues an item; it reaches `flush` within the interval. */
  push(key: K, item: T): void;
  /** Hands everything queued to the sink now (before an event that must see it, e.g. a pause). */
  flush(): void;
  /** Drops what is queued for `key` (a deleted run). */
  drop(key: K): void;
  readonly pending: number;
}

export interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const browserTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Calls `sink` with every queued item, grouped by key in arrival order, no more often than every
 * `intervalMs`. The first item after a quiet spell goes out in the next task rather than in the
 * one that received it, so a message from a worker never also pays for the redraw it causes.
 */
export function coalesce<K, T>(
  sink: (batches: Map<K, T[]>) => void,
  intervalMs: number,
  timers: Timers = browserTimers,
): Coalescer<K, T> {
  let queued = new Map<K, T[]>();
  let count = 0;
  let timer: unknown = null;
  let lastFlushAt = -Infinity;

  const flush = () => {
    if (timer !== null) {
      timers.clearTimeout(timer);
      timer = null;
    }
    if (count === 0) return;
    const batches = queued;
    queued = new Map();
    count = 0;
    lastFlushAt = timers.now();
    sink(batches);
  };

  return {
    push(key, item) {
      const list = queued.get(key);
      if (list) list.push(item);
      else queued.set(key, [item]);
      count++;
      if (timer === null) {
        const wait = Math.max(0, lastFlushAt + intervalMs - timers.now());
        timer = timers.setTimeout(flush, wait);
      }
    },
    flush,
    drop(key) {
      const list = queued.get(key);
      if (!list) return;
      count -= list.length;
      queued.delete(key);
    },
    get pending() {
      return count;
    },
  };
}
