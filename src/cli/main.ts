// Entry point of the `finetune-studio` command (see bin.mjs).
import { run } from './program.ts';

process.exitCode = await run(process.argv.slice(2));
