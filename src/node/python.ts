// The Python environment with transformers, torch, onnxruntime and fastapi, for interop tests and
// benchmarks: $FINETUNE_PYTHON, else the repository's .venv-py.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.ts';

export function pythonPath(): string {
  return process.env.FINETUNE_PYTHON ?? join(repoRoot, '.venv-py', 'bin', 'python');
}

const missingPython = (python: string): string =>
  `Python not found at ${python}: run \`npm run setup\` (it creates .venv-py from requirements-interop.txt) or set FINETUNE_PYTHON`;

/**
 * The Python the tests compare against. Tests never skip for want of it, so a green run means the
 * same on every machine: a missing environment fails with the command that makes it.
 */
export function requirePython(): string {
  const python = pythonPath();
  if (!existsSync(python)) throw new Error(missingPython(python));
  return python;
}

/** Whether an optional PyTorch baseline (benchmarks) can run, and why not. */
export function pythonAvailability(): { available: boolean; reason: string } {
  const python = pythonPath();
  return existsSync(python)
    ? { available: true, reason: '' }
    : { available: false, reason: missingPython(python) };
}

export interface PythonRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PythonOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Killed (SIGKILL) after this many milliseconds. */
  timeoutMs: number;
  input?: string;
}

/** Offline by default: exported models must load without the Hub. */
function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HF_HUB_OFFLINE: '1',
    TRANSFORMERS_OFFLINE: '1',
    HF_HUB_DISABLE_TELEMETRY: '1',
    TOKENIZERS_PARALLELISM: 'false',
    PYTHONUNBUFFERED: '1',
    ...extra,
  };
}

/** Runs Python to completion; rejects when it outlives `timeoutMs`. */
export function runPython(args: readonly string[], options: PythonOptions): Promise<PythonRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(pythonPath(), args, {
      cwd: options.cwd,
      env: pythonEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new Error(`python ${args.join(' ')} ran past ${options.timeoutMs} ms:\n${stderr.slice(-4000)}`),
        );
      } else {
        resolvePromise({ code, signal, stdout, stderr });
      }
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running Python process (a server); the caller must `stop()` it. */
export interface PythonProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startPython(
  args: readonly string[],
  options: Omit<PythonOptions, 'timeoutMs' | 'input'> & { maxLifetimeMs: number },
): PythonProcess {
  const child = spawn(pythonPath(), args, {
    cwd: options.cwd,
    env: pythonEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolveExit) => child.on('close', () => resolveExit()));
  // A safety net: the process never outlives its budget, even if the caller forgets to stop it.
  const killer = setTimeout(() => child.kill('SIGKILL'), options.maxLifetimeMs);
  killer.unref();
  return {
    child,
    output: () => output,
    async stop() {
      clearTimeout(killer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(forced);
      }
    },
  };
}
