// Progress reports and cooperative yielding shared by the long data stages (parse, check, split,
// tokenize). A worker forwards these reports as they come; the CLI prints them to stderr.

export type StageName = 'reading' | 'parsing' | 'checking' | 'splitting' | 'tokenizing';

export interface StageProgress {
  stage: StageName;
  /** Bytes of the input consumed so far (parsing), 0 where bytes do not apply. */
  bytes: number;
  /** Size of the input when known (a File, a string); undefined for an open-ended stream. */
  totalBytes?: number;
  /** Rows (or texts) handled so far. */
  rows: number;
  /** Rows to handle when known in advance (tokenizing knows, parsing does not). */
  totalRows?: number;
  elapsedMs: number;
  bytesPerSecond: number;
  rowsPerSecond: number;
  /** True on the last report of a stage. */
  done: boolean;
}

export type ProgressCallback = (progress: StageProgress) => void;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Builds reports for one stage and limits them to one per `intervalMs`, so a caller that
 * posts each report to the main thread never floods it (the final report always goes out).
 */
export class ProgressReporter {
  private readonly start = now();
  private last = -Infinity;

  constructor(
    private readonly stage: StageName,
    private readonly callback: ProgressCallback | undefined,
    private readonly intervalMs = 100,
  ) {}

  report(
    bytes: number,
    rows: number,
    totals: { totalBytes?: number; totalRows?: number } = {},
    done = false,
  ): void {
    if (!this.callback) return;
    const t = now();
    if (!done && t - this.last < this.intervalMs) return;
    this.last = t;
    const elapsedMs = t - this.start;
    const seconds = Math.max(elapsedMs / 1000, 1e-6);
    this.callback({
      stage: this.stage,
      bytes,
      totalBytes: totals.totalBytes,
      rows,
      totalRows: totals.totalRows,
      elapsedMs,
      bytesPerSecond: bytes / seconds,
      rowsPerSecond: rows / seconds,
      done,
    });
  }

  elapsedMs(): number {
    return now() - this.start;
  }
}

/**
 * Lets the event loop run (a macrotask, not a microtask) so that a worker can receive a cancel
 * message while a long synchronous-looking loop is under way. Call it every few tens of ms.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Calls `yieldToEventLoop` at most every `budgetMs` of work. */
export class Yielder {
  private last = now();
  constructor(private readonly budgetMs = 40) {}
  async maybeYield(): Promise<void> {
    const t = now();
    if (t - this.last >= this.budgetMs) {
      await yieldToEventLoop();
      this.last = now();
    }
  }
}
