// Shared by every subcommand: global options, output in human or JSON form, and errors that
// reach the user as one line on stderr with a non-zero exit (never a stack trace).
import type { Command } from 'commander';
import { parseThreadCount } from '../core/backend/threads.ts';
import { initNodeBackend, softwareAdapterWarning, type NodeBackendChoice } from '../node/backend.ts';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface GlobalOptions {
  json: boolean;
  hubUrl: string;
  backend?: string;
  /** --threads: WASM threads (default min(cores, 4)). */
  threads?: number;
}

/** An error meant for the user: printed as one line, exit code `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function globalOptions(command: Command): GlobalOptions {
  const opts = command.optsWithGlobals<{
    json?: boolean;
    hubUrl?: string;
    backend?: string;
    threads?: string;
  }>();
  const options: GlobalOptions = {
    json: Boolean(opts.json),
    hubUrl: (opts.hubUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, ''),
    backend: opts.backend,
  };
  if (opts.threads !== undefined) {
    try {
      options.threads = parseThreadCount(opts.threads);
    } catch (error) {
      throw new CliError((error as Error).message, 2);
    }
  }
  return options;
}

/** Starts the compute backend the options ask for; warns on stderr when it is a software GPU. */
export async function startBackend(options: GlobalOptions): Promise<NodeBackendChoice> {
  const choice = await initNodeBackend(options.backend, { threads: options.threads });
  const warning = softwareAdapterWarning(choice);
  if (warning) process.stderr.write(`${warning}\n`);
  return choice;
}

/** "wasm · 2 threads", "webgpu". */
export function backendLabel(choice: NodeBackendChoice): string {
  return choice.threads === undefined
    ? choice.name
    : `${choice.name} · ${choice.threads} thread${choice.threads === 1 ? '' : 's'}`;
}

/** Prints `human` (a string or lines) or, with --json, `data` as one JSON document. */
export function emit(options: GlobalOptions, human: string | string[], data: unknown): void {
  if (options.json) process.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else process.stdout.write((Array.isArray(human) ? human.join('\n') : human) + '\n');
}

/** Progress for long work goes to stderr so stdout stays clean for --json consumers. */
export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${message}`);
  else process.stderr.write(message + '\n');
}
