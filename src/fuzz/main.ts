// `npm run fuzz [-- --runs N] [--seed S] [--only csv,zip,…]`: the fuzz suite's targets, longer than
// `npm test` runs them and with a fresh seed each time (printed, so a failure replays exactly).
import { parseArgs } from 'node:util';
import { fuzzTarget, MEMORY_BOUND_BYTES, TIME_BOUND_MS } from './check.ts';
import { prepareTargets, TARGETS } from './targets.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' }, only: { type: 'string' } },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(runs) || runs < 1)
  throw new Error(`--runs must be a positive whole number, not ${values.runs}`);
if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be a whole number, not ${values.seed}`);
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !TARGETS.some((t) => t.name === name)) ?? [];
if (unknown.length > 0) {
  throw new Error(
    `unknown target ${unknown.join(', ')}: the targets are ${TARGETS.map((t) => t.name).join(', ')}`,
  );
}

await prepareTargets();
process.stdout.write(
  `fuzz: seed ${seed}, ${runs} inputs per target; each must end in acceptance or a one-line message ` +
    `within ${TIME_BOUND_MS} ms, holding at most ${MEMORY_BOUND_BYTES / 2 ** 20} MiB\n`,
);
let failed = false;
for (const target of TARGETS.filter((t) => !only || only.includes(t.name))) {
  const started = performance.now();
  try {
    const report = await fuzzTarget(target, runs, seed);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `${target.name}: ${report.runs} inputs in ${seconds} s, ${report.accepted} accepted, ` +
        `${report.messages.length} distinct refusals; most frequent:\n`,
    );
    for (const [message, count] of report.messages.slice(0, 5))
      process.stdout.write(`  ${count} × ${message}\n`);
  } catch (error) {
    failed = true;
    process.stdout.write(`${error instanceof Error ? error.message : String(error)}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
