// What a benchmark ran on, recorded beside its figures.
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export function machine(): Record<string, unknown> {
  const cpu = cpus()[0];
  return {
    cpus: availableParallelism(),
    cpuModel: cpu?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 1e9),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    loadAverageAtStart: loadavg(),
  };
}
