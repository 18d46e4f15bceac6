// Shared by every subcommand: global options, output in human or JSON form, and errors that
// reach the user as one line on stderr with a non-zero exit (never a stack trace).
import type { Command } from 'commander';
import { parseThreadCount } from '../core/backend/index.ts';
import { loadModel, type LoadedModel, type ModelFileSource } from '../core/model/index.ts';
import { encodeDataset, type TextTokenizer } from '../core/tokenize/index.ts';
import { initNodeBackend, softwareAdapterWarning, type NodeBackendChoice } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { loadData, type DataFlags, type LoadedData } from './commands/inspect.ts';
import { modelSource, tokenizerOf } from './commands/train.ts';
import { cliInference, type CliInference } from './inference.ts';

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

/**
 * Starts the backend of a command that trains (train, search, distill, label-issues): --backend and
 * --threads as `startBackend` reads them, the gradients tfjs lacks in Node, and a progress line
 * naming the backend and its threads.
 */
export async function startTrainingBackend(options: GlobalOptions): Promise<NodeBackendChoice> {
  const backend = await startBackend(options);
  await registerNodeGradients();
  progress(`backend: ${backendLabel(backend)}`);
  return backend;
}

export interface RunSetupInput {
  /** --model: a folder or a Hub repo id. */
  model: string;
  /** The labelled file and its column and split flags. */
  file: string;
  flags: DataFlags;
  maxLength: number;
  /** Refuses data the command cannot use, before tokenization (a CliError). */
  checkData?: (data: LoadedData) => void;
  /** --engine: what computes the frozen part's cached output (head and top-k). */
  engine?: string;
}

export interface RunSetup {
  source: ModelFileSource;
  tokenizer: TextTokenizer;
  data: LoadedData;
  encoded: Awaited<ReturnType<typeof encodeDataset>>['encoded'];
  fullLengths: Awaited<ReturnType<typeof encodeDataset>>['fullLengths'];
  backend: NodeBackendChoice;
  /** The one engine choice of the command: feature caching and the int8 check run on it. */
  inference: CliInference;
  /** The base model with a classification head for the data's labels, initialised with `seed`. */
  loadBase(seed: number): Promise<LoadedModel>;
}

/**
 * What train, search and label-issues do before they train: the base model's tokenizer (checked
 * against --max-length), the data read, split and tokenized, the backend started, and the
 * inference engine --engine asks for (loaded when first needed).
 */
export async function setUpRun(options: GlobalOptions, input: RunSetupInput): Promise<RunSetup> {
  const inference = cliInference(input.engine);
  const source = modelSource(input.model, options.hubUrl);
  const tokenizer = await tokenizerOf(source);
  if (tokenizer.modelMaxLength !== null && input.maxLength > tokenizer.modelMaxLength) {
    throw new CliError(
      `--max-length ${input.maxLength} exceeds the model's limit of ${tokenizer.modelMaxLength} tokens`,
      2,
    );
  }
  const data = await loadData(input.file, input.flags);
  input.checkData?.(data);
  const { encoded, fullLengths } = await encodeDataset(tokenizer, data.dataset, data.split, {
    maxLength: input.maxLength,
  });
  const backend = await startTrainingBackend(options);
  const loadBase = async (seed: number): Promise<LoadedModel> => {
    try {
      return await loadModel(source, {
        labels: encoded.labels,
        problemType: encoded.multiLabel ? 'multi_label_classification' : 'single_label_classification',
        seed,
      });
    } catch (error) {
      throw new CliError(`cannot load ${source.describe()}: ${(error as Error).message}`);
    }
  };
  return { source, tokenizer, data, encoded, fullLengths, backend, inference, loadBase };
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
