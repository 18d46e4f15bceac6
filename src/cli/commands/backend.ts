import type { Command } from 'commander';
import { describeAdapter, fallbackMessage, isBackendName } from '../../core/backend/select.ts';
import { emit, globalOptions, CliError } from '../context.ts';
import { initNodeBackend } from '../../node/backend.ts';

export function registerBackend(program: Command): void {
  program
    .command('backend')
    .description('print the tfjs compute backend this machine would use (webgpu, wasm or cpu)')
    .action(async (_opts: unknown, command: Command) => {
      const options = globalOptions(command);
      if (options.backend !== undefined && !isBackendName(options.backend)) {
        throw new CliError(`unknown backend "${options.backend}"`, 2);
      }
      const choice = await initNodeBackend(options.backend);
      const adapter = describeAdapter(choice.adapter);
      const fallback = fallbackMessage(choice);
      emit(
        options,
        [
          `backend: ${choice.name}`,
          ...(adapter ? [`adapter: ${adapter}`] : []),
          ...(fallback ? [fallback] : []),
        ],
        {
          backend: choice.name,
          adapter: choice.adapter ?? null,
          fallbacks: choice.fallbacks,
          forced: choice.forced,
        },
      );
    });
}
