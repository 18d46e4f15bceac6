import type { Command } from 'commander';
import { describeAdapter, fallbackMessage, isBackendName } from '../../core/backend/index.ts';
import { backendLabel, emit, globalOptions, CliError, startBackend } from '../context.ts';

export function registerBackend(program: Command): void {
  program
    .command('backend')
    .description(
      'print the tfjs compute backend this machine would use (webgpu, wasm or cpu) and its threads',
    )
    .action(async (_opts: unknown, command: Command) => {
      const options = globalOptions(command);
      if (options.backend !== undefined && !isBackendName(options.backend)) {
        throw new CliError(`unknown backend "${options.backend}"`, 2);
      }
      const choice = await startBackend(options);
      const adapter = describeAdapter(choice.adapter);
      const fallback = fallbackMessage(choice);
      emit(
        options,
        [
          `backend: ${backendLabel(choice)}`,
          ...(adapter ? [`adapter: ${adapter}`] : []),
          ...(fallback ? [fallback] : []),
        ],
        {
          backend: choice.name,
          threads: choice.threads ?? null,
          adapter: choice.adapter ?? null,
          software: choice.software ?? false,
          timings: choice.timings ?? null,
          fallbacks: choice.fallbacks,
          forced: choice.forced,
        },
      );
    });
}
