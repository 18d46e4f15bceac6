// finetune-studio search: hyperparameter search from the command line. Trains trials one after
// another as `train` trains a run (same data, split, tokenization and loop), with Optuna's TPE or
// random search over the Hugging Face Trainer's default space (or a --space file), median pruning
// at evaluations, and writes DIR/trials.json and the best trial's run folder at DIR/best/.
import { oneLine } from '../../core/util/index.ts';
import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { splitIndices } from '../../core/dataset/index.ts';
import { disposeParams } from '../../core/model/index.ts';
import {
  defaultSearchSpace,
  parseSpace,
  SAMPLER_NAMES,
  type SamplerName,
  type SearchSpace,
  type Trial,
  SearchRunner,
} from '../../core/search/index.ts';
import { buildRunFolder } from '../../core/export/index.ts';
import { nodeFeatureCache } from '../../node/feature-cache-file.ts';
import { CliError, emit, globalOptions, progress, setUpRun } from '../context.ts';
import { addDataOptions, type DataFlags } from './inspect.ts';
import {
  baseModelOf,
  dataSummary,
  describeEvent,
  mappedColumns,
  metricsLine,
  number,
  prepareOut,
  trainConfigFromFlags,
} from './train.ts';
import { addEngineOption } from '../inference.ts';

interface SearchFlags extends DataFlags {
  model: string;
  engine?: string;
  mode: string;
  out: string;
  force?: boolean;
  trials?: string;
  minutes?: string;
  sampler: string;
  metric?: string;
  space?: string;
  pruning: boolean;
  layers?: string;
  maxLength: string;
  evalSteps?: string;
  earlyStoppingPatience?: string;
  minDelta?: string;
  cacheMemory?: string;
}

/** trials.json's record of a trial. */
export function trialRecord(trial: Trial) {
  return { number: trial.number, params: trial.params, value: trial.value, state: trial.state };
}

function spaceFrom(path: string | undefined, mode: Parameters<typeof defaultSearchSpace>[0]): SearchSpace {
  if (path === undefined) return defaultSearchSpace(mode);
  if (!existsSync(path) || !statSync(path).isFile()) throw new CliError(`--space ${path}: no such file`, 2);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`--space ${path} is not valid JSON: ${oneLine((error as Error).message)}`, 2);
  }
  try {
    return parseSpace(json, mode);
  } catch (error) {
    throw new CliError(`--space ${path}: ${(error as Error).message}`, 2);
  }
}

function formatParams(params: Trial['params']): string {
  return Object.entries(params)
    .map(
      ([name, value]) =>
        `${name}=${typeof value === 'number' && !Number.isInteger(value) ? value.toExponential(3) : value}`,
    )
    .join(' ');
}

export function registerSearch(program: Command): void {
  addEngineOption(
    addDataOptions(
      program
        .command('search')
        .description(
          "search hyperparameters with Optuna's TPE (or random search), training trials one after another; writes trials.json and the best run's folder",
        )
        .argument('<file>', 'CSV, TSV or label<TAB>text file'),
    ),
  )
    .requiredOption(
      '--model <dirOrHubId>',
      'base model: a folder or a Hugging Face Hub repo id (owner/name[@revision])',
    )
    .requiredOption('--mode <mode>', 'head (encoder frozen), top-k (top --layers blocks + head) or full')
    .requiredOption('--out <dir>', 'folder for trials.json and best/ (must be empty)')
    .option('--trials <n>', 'number of trials')
    .option('--minutes <m>', 'start no new trial after this many minutes')
    .option('--sampler <name>', 'tpe or random', 'tpe')
    .option(
      '--metric <name>',
      'validation metric to optimise: loss (minimised), accuracy, macro_f1, … (default loss)',
    )
    .option(
      '--space <file>',
      'JSON: setting → {"low", "high", "log", "step"}, {"choices": [...]} or a fixed value, over the Trainer defaults',
    )
    .option('--no-pruning', 'run every trial to its end instead of pruning by the median rule')
    .option('--force', 'write into a non-empty --out folder')
    .option('--layers <k>', 'top-k mode: transformer blocks that train (default 2)')
    .option('--max-length <n>', 'truncate texts to this many tokens', '128')
    .option(
      '--eval-steps <n>',
      'also evaluate (and consider pruning) every N steps (default 0: each epoch end)',
    )
    .option(
      '--early-stopping-patience <n>',
      'stop a trial after N evaluations without improvement (default 0: off)',
    )
    .option('--min-delta <x>', 'smallest improvement that resets the patience (default 0)')
    .option(
      '--cache-memory <MB>',
      "head/top-k: memory for the frozen layers' cached output (default: a quarter of RAM)",
    )
    .action(async (file: string, flags: SearchFlags, command: Command) => {
      const options = globalOptions(command);
      if (!(SAMPLER_NAMES as readonly string[]).includes(flags.sampler)) {
        throw new CliError(`--sampler must be tpe or random, got "${flags.sampler}"`, 2);
      }
      const trials = number(
        flags.trials,
        '--trials',
        (n) => Number.isInteger(n) && n >= 1,
        'a whole number ≥ 1',
      );
      const minutes = number(flags.minutes, '--minutes', (n) => n > 0, 'a positive number');
      if (trials === undefined && minutes === undefined) {
        throw new CliError('give a budget: --trials N, --minutes M or both', 2);
      }
      const seed = number(
        flags.seed,
        '--seed',
        (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff,
        'a whole number ≥ 0',
      );
      const baseConfig = trainConfigFromFlags({
        model: flags.model,
        mode: flags.mode,
        out: flags.out,
        maxLength: flags.maxLength,
        ...(flags.layers !== undefined ? { layers: flags.layers } : {}),
        ...(flags.metric !== undefined ? { metric: flags.metric } : {}),
        ...(flags.evalSteps !== undefined ? { evalSteps: flags.evalSteps } : {}),
        ...(flags.earlyStoppingPatience !== undefined
          ? { earlyStoppingPatience: flags.earlyStoppingPatience }
          : {}),
        ...(flags.minDelta !== undefined ? { minDelta: flags.minDelta } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      });
      const space = spaceFrom(flags.space, baseConfig.mode);
      const cacheMegabytes = number(flags.cacheMemory, '--cache-memory', (n) => n >= 0, 'megabytes ≥ 0');
      const outDir = prepareOut(flags.out, Boolean(flags.force));

      const { data, encoded, fullLengths, loadBase, inference } = await setUpRun(options, {
        model: flags.model,
        file,
        flags,
        maxLength: baseConfig.maxLength,
        checkData: ({ split }) => {
          if (split.sizes[0] === 0) throw new CliError(`${file}: the training split is empty`);
          if (split.sizes[1] === 0)
            throw new CliError(
              `${file}: the validation split is empty; a search optimises a validation metric`,
            );
        },
        ...(flags.engine !== undefined ? { engine: flags.engine } : {}),
      });
      const { dataset, split } = data;
      // Each trial loads the model as `train --seed` does, so a trial retrains exactly with `train`.
      let tokenizerFiles: Record<string, string> = {};
      const cacheNotices: string[] = [];
      const cache = nodeFeatureCache({
        ...(cacheMegabytes === undefined ? {} : { memoryBudgetBytes: cacheMegabytes * 1e6 }),
        notify: (message) => {
          cacheNotices.push(message);
          progress(`note: ${message}`);
        },
      });
      mkdirSync(outDir, { recursive: true });
      const trialsPath = join(outDir, 'trials.json');
      const runner = new SearchRunner(
        { space, sampler: flags.sampler as SamplerName, seed: seed ?? 42, pruning: flags.pruning },
        {
          data: encoded,
          baseConfig,
          newModel: async (trainingSeed) => {
            const model = await loadBase(trainingSeed);
            tokenizerFiles = model.tokenizerFiles;
            return { config: model.config, params: model.params };
          },
          disposeModel: (model) => disposeParams(model.params),
          featureCache: cache.factory,
          featureEngine: inference.featureEngine,
        },
        {
          onTrialStart: (trial) => progress(`trial ${trial.number}: ${formatParams(trial.params)}`),
          onTrainEvent: (_trial, event) => {
            const line = describeEvent(event, encoded.multiLabel);
            if (line && event.type !== 'step') progress(`  ${line}`);
          },
          onTrialEnd: (trial, _result, error) => {
            const value =
              trial.value === null
                ? 'no value'
                : `${baseConfig.metricForBestModel} ${trial.value.toFixed(4)}`;
            progress(`trial ${trial.number} ${trial.state}: ${value}${error ? ` (${error})` : ''}`);
            writeFileSync(trialsPath, JSON.stringify(runner.study.trials.map(trialRecord), null, 2) + '\n');
          },
        },
      );
      let interrupts = 0;
      const onInterrupt = () => {
        interrupts += 1;
        if (interrupts > 1) process.exit(130);
        progress('stopping the search: the best trial so far will be written (Ctrl-C again to quit)');
        runner.stop();
      };
      process.on('SIGINT', onInterrupt);
      let best;
      try {
        best = await runner.runSearch({
          ...(trials !== undefined ? { trials } : {}),
          ...(minutes !== undefined ? { timeBudgetMs: minutes * 60_000 } : {}),
        });
      } finally {
        process.off('SIGINT', onInterrupt);
        cache.storage.dispose();
      }
      writeFileSync(trialsPath, JSON.stringify(runner.study.trials.map(trialRecord), null, 2) + '\n');
      const counts = { complete: 0, pruned: 0, failed: 0 };
      for (const trial of runner.study.trials) if (trial.state !== 'running') counts[trial.state]++;
      const summary = `${runner.study.trials.length} trials: ${counts.complete} complete, ${counts.pruned} pruned, ${counts.failed} failed.`;
      if (!best) {
        throw new CliError(
          `${summary} No trial completed, so there is no best run; see ${flags.out}/trials.json`,
        );
      }
      try {
        const { result, config, model, trial } = best;
        const testTexts = Array.from(splitIndices(split.assignment, 2), (i) => dataset.texts[i] ?? '');
        const files = await buildRunFolder({
          config: model.config,
          params: model.params,
          tokenizerFiles,
          labels: encoded.labels,
          multiLabel: encoded.multiLabel,
          maxLength: config.maxLength,
          ...baseModelOf(flags.model, options.hubUrl),
          columns: mappedColumns(data),
          trainConfig: config,
          result,
          dataSummary: dataSummary(data, encoded, fullLengths, config.maxLength),
          testTexts,
        });
        const bestDir = join(outDir, 'best');
        for (const { path, bytes } of files) {
          const target = join(bestDir, path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, bytes);
        }
        const lines = [
          `${summary} Wrote trials.json and the best trial's run folder (${files.length} files) to ${flags.out}/best.`,
          `best: trial ${trial.number}, validation ${baseConfig.metricForBestModel} ${trial.value!.toFixed(4)}: ${formatParams(trial.params)}`,
        ];
        if (result.validation)
          lines.push(`validation: ${metricsLine(result.validation.metrics, encoded.multiLabel)}`);
        lines.push(
          result.test
            ? `test: ${metricsLine(result.test.metrics, encoded.multiLabel)}`
            : 'test: no test split',
        );
        emit(options, lines, {
          out: flags.out,
          trials: runner.study.trials.map(trialRecord),
          best: trialRecord(trial),
          files: files.map((f) => `best/${f.path}`),
          validation: result.validation?.metrics ?? null,
          test: result.test?.metrics ?? null,
          notices: [...cacheNotices, ...result.notices],
        });
      } finally {
        disposeParams(best.model.params);
      }
    });
}
