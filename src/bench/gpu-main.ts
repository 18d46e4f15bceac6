// The GPU benchmark on its own, for a machine that has a GPU driver and nothing else:
// src/bench/gpu-package.ts bundles this file with a Node binary, Dawn and the Vulkan loader.
// `npm run bench -- --only gpu` runs the same suite in a checkout; this entry takes its flags.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchGpu, GPU_QUICK, type GpuBenchOptions } from './gpu.ts';
import { machine } from './machine.ts';
import { formatTable } from './table.ts';

const USAGE = `usage: bench-gpu [--quick] [--batches 8,32] [--iterations N] [--no-pytorch] [--out FILE]
  --quick        toy sizes (a software adapter finishes in a minute; figures mean nothing)
  --batches      batch sizes of the forward and full fine-tuning steps at 128 tokens (default 8,32)
  --iterations   timed steps per figure after a warm-up step (default 5)
  --no-pytorch   skip transformers on PyTorch CUDA
  --out FILE     where the JSON results go (default bench-gpu.json)`;

function options(argv: string[]): (GpuBenchOptions & { out: string }) | string {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      batches: { type: 'string' },
      iterations: { type: 'string' },
      'no-pytorch': { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench-gpu.json' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return USAGE;
  const batches = values.batches?.split(',').map(Number);
  if (batches && !batches.every((b) => Number.isInteger(b) && b >= 1))
    return '--batches must be whole numbers ≥ 1, comma-separated';
  const steps = values.iterations === undefined ? undefined : Number(values.iterations);
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1))
    return '--iterations must be a whole number ≥ 1';
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  const base = { pytorch: !values['no-pytorch'], onProgress: progress, out: resolve(values.out) };
  if (values.quick) return { ...base, ...GPU_QUICK };
  return { ...base, ...(batches ? { batches } : {}), ...(steps ? { steps } : {}) };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof options>;
  try {
    parsed = options(process.argv.slice(2));
  } catch (error) {
    parsed = error instanceof Error ? error.message : String(error);
  }
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\n`);
    process.exitCode = parsed === USAGE ? 0 : 2;
    return;
  }
  const started = new Date();
  const host = machine();
  const rows = await benchGpu(parsed);
  const table = formatTable(rows);
  process.stdout.write(`${table}\n`);
  mkdirSync(dirname(parsed.out), { recursive: true });
  const finite = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isFinite(value) ? null : value;
  writeFileSync(
    parsed.out,
    JSON.stringify(
      {
        started: started.toISOString(),
        argv: process.argv.slice(2),
        machine: { ...host, loadAverageAtEnd: loadavg() },
        rows,
        table,
      },
      finite,
      2,
    ),
  );
  process.stderr.write(`wrote ${parsed.out}\n`);
}

await main();
