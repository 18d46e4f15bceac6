// What an input may end in: acceptance, or a clear one-line message. A crash of the reader itself
// (a TypeError, a RangeError from an out-of-bounds view, a raw JSON SyntaxError), a message of
// several lines, a run past the time bound or memory held past the stated bound is a defect.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import type { FuzzTarget } from './targets.ts';

/** Most time one input may take. */
export const TIME_BOUND_MS = 5_000;
/** Most memory (ArrayBuffers, after a collection) one input may leave held beyond its result. */
export const MEMORY_BOUND_BYTES = 256 * 1024 * 1024;
const MAX_MESSAGE_CHARS = 500;

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

// Errors thrown by the engine rather than by a reader that understood what was wrong.
const ENGINE_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

export function defectOf(error: unknown): string | null {
  if (!(error instanceof Error)) return `threw a non-Error: ${String(error)}`;
  if (ENGINE_ERRORS.some((kind) => error.constructor === kind)) {
    return `the reader crashed with ${error.name}: ${error.message}`;
  }
  const message = error.message;
  if (message.trim() === '') return 'threw an empty message';
  if (/[\r\n]/.test(message)) return `the message has several lines: ${JSON.stringify(message)}`;
  if (message.length > MAX_MESSAGE_CHARS) return `the message is ${message.length} characters long`;
  return null;
}

export interface Outcome {
  accepted: boolean;
  /** The message, when refused. */
  message?: string;
  defect?: string;
  ms: number;
  heldBytes: number;
}

export async function runOne<T>(target: FuzzTarget<T>, input: T): Promise<Outcome> {
  collect();
  const before = process.memoryUsage().arrayBuffers;
  const started = performance.now();
  let outcome: Omit<Outcome, 'ms' | 'heldBytes'>;
  let result: unknown;
  try {
    result = await target.run(input);
    outcome = { accepted: true };
  } catch (error) {
    const defect = defectOf(error);
    outcome = {
      accepted: false,
      message: error instanceof Error ? error.message : String(error),
      ...(defect ? { defect } : {}),
    };
  }
  const ms = performance.now() - started;
  collect();
  const heldBytes = process.memoryUsage().arrayBuffers - before;
  void result;
  if (!outcome.defect && ms > TIME_BOUND_MS) outcome = { ...outcome, defect: `took ${Math.round(ms)} ms` };
  if (!outcome.defect && heldBytes > MEMORY_BOUND_BYTES) {
    outcome = { ...outcome, defect: `held ${Math.round(heldBytes / 2 ** 20)} MiB` };
  }
  return { ...outcome, ms, heldBytes };
}

export interface FuzzReport {
  target: string;
  runs: number;
  accepted: number;
  /** Distinct refusal messages with digits folded, most frequent first. */
  messages: [string, number][];
}

/** A short printable view of an input (the start of its bytes as text, escaped). */
export function preview(input: unknown, chars = 160): string {
  if (!(input instanceof Uint8Array)) return JSON.stringify(input)?.slice(0, chars) ?? String(input);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(input.subarray(0, chars));
  return `${input.byteLength} bytes: ${JSON.stringify(text)}`;
}

/**
 * Runs a target's property. On the first defect it throws one short message naming the target, the
 * defect, fast-check's seed and path (to replay it) and the shrunk input's start.
 */
export async function fuzzTarget<T>(target: FuzzTarget<T>, runs: number, seed: number): Promise<FuzzReport> {
  let total = 0;
  let accepted = 0;
  const messages = new Map<string, number>();
  let lastDefect = '';
  const details = await fc.check(
    fc.asyncProperty(target.input(), async (input) => {
      const outcome = await runOne(target, input);
      if (outcome.defect) {
        lastDefect = outcome.defect;
        return false;
      }
      total++;
      if (outcome.accepted) accepted++;
      else {
        const key = (outcome.message ?? '').replace(/\d+/g, 'N').slice(0, 120);
        messages.set(key, (messages.get(key) ?? 0) + 1);
      }
      return true;
    }),
    { numRuns: runs, seed },
  );
  if (details.failed) {
    const input = details.counterexample?.[0];
    throw new Error(
      `${target.name}: ${lastDefect} (seed ${details.seed}, path "${details.counterexamplePath}"; input ${preview(input)})`,
    );
  }
  return { target: target.name, runs: total, accepted, messages: [...messages].sort((a, b) => b[1] - a[1]) };
}
