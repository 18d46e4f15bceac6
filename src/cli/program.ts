// finetune-studio: the command-line twin of the studio, built on the same src/core.
import { Command, CommanderError, Help, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { CliError } from './context.ts';
import { registerBackend } from './commands/backend.ts';
import { registerDistill } from './commands/distill.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerSearch } from './commands/search.ts';
import { registerTrain } from './commands/train.ts';
import { registerExport } from './commands/export.ts';
import { registerPredict } from './commands/predict.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerLabelIssues } from './commands/label-issues.ts';
import { registerMap } from './commands/map.ts';
import { registerSuggest } from './commands/suggest.ts';
import { registerTokenize } from './commands/tokenize.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command('finetune-studio')
    .description(
      'Fine-tune DistilBERT text classifiers from labelled CSV files, the same way the studio does.',
    )
    .version(pkg.version, '-v, --version')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--hub-url <url>', 'Hugging Face Hub base URL (default: $HF_ENDPOINT or https://huggingface.co)')
    .addOption(
      new Option('--backend <name>', 'tfjs backend to compute on').choices(['webgpu', 'wasm', 'cpu']),
    )
    .option('--threads <n>', 'CPU threads for the wasm backend (default: the number of cores, at most 4)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({
      // Subcommands inherit this, so every --help marks the options a command cannot run without.
      optionDescription: (option) => {
        const described = new Help().optionDescription(option);
        return option.mandatory ? `${described} (required)` : described;
      },
    })
    .exitOverride();
  registerBackend(program);
  registerTrain(program);
  registerSearch(program);
  registerDistill(program);
  registerEvaluate(program);
  registerExport(program);
  registerPredict(program);
  registerInspect(program);
  registerTokenize(program);
  registerLabelIssues(program);
  registerMap(program);
  registerSuggest(program);
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed help, the version, or its usage message.
      return error.exitCode;
    }
    if (error instanceof CliError) {
      process.stderr.write(`finetune-studio: ${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`finetune-studio: ${message}\n`);
    if (process.env.FINETUNE_STUDIO_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
