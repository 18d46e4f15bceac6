// Errors that make a file unusable as a whole. Everything smaller (a bad row, a stray quote) is
// recorded and reported instead, so one broken line never costs the analyst the whole file.

export type CsvErrorCode =
  'empty' | 'binary' | 'unsupported-encoding' | 'runaway-quote' | 'no-rows' | 'one-column' | 'bad-option';

export class CsvError extends Error {
  constructor(
    readonly code: CsvErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CsvError';
  }
}

/** The error every cancelled stage throws, recognisable by `name === 'AbortError'` like fetch's. */
export function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'The import was cancelled.');
  error.name = 'AbortError';
  return error;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
