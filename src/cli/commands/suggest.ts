// finetune-studio suggest: which unlabelled rows of a file to label next, under a finished run. The
// run's probabilities and pooled features of every unlabelled row (a single-label row with an
// empty label cell) go through core/active's one suggestion path, the studio's too: most
// uncertain first, no two rows within the diversity radius. One output row per suggestion:
// row,score,predicted_label.
import type { Command } from 'commander';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import {
  candidateOutputs,
  DEFAULT_DIVERSITY_RADIUS,
  suggestRows,
  UNCERTAINTY_STRATEGIES,
  type UncertaintyStrategy,
} from '../../core/active/index.ts';
import type { Dataset } from '../../core/dataset/index.ts';
import { csvCell } from '../../core/export/index.ts';
import type { ForwardEngine } from '../../core/infer/index.ts';
import { disposeParams, loadModel, parseConfig, type ModelConfig } from '../../core/model/index.ts';
import { encodeTexts } from '../../core/tokenize/index.ts';
import { backendLabel, CliError, emit, globalOptions, progress, startBackend } from '../context.ts';
import { addEngineOption, cliEngine, openCliEngine } from '../inference.ts';
import { addDataOptions, loadData, type DataFlags } from './inspect.ts';
import { modelSource, number, tokenizerOf } from './train.ts';

interface SuggestFlags extends DataFlags {
  model: string;
  count: string;
  strategy?: string;
  radius?: string;
  out: string;
  maxLength?: string;
  batchSize: string;
  engine?: string;
  force?: boolean;
}

/** One output row: the file's data row, its uncertainty, the run's guess (label names). */
export interface SuggestionRow {
  row: number;
  score: number;
  predicted_label: string;
}

export function suggestionsCsv(rows: readonly SuggestionRow[]): string {
  const lines = ['row,score,predicted_label'];
  for (const r of rows) lines.push([String(r.row), String(r.score), csvCell(r.predicted_label)].join(','));
  return lines.join('\n') + '\n';
}

function strategyFrom(value: string | undefined): UncertaintyStrategy {
  if (value === undefined) return 'entropy';
  if (!(UNCERTAINTY_STRATEGIES as readonly string[]).includes(value)) {
    throw new CliError(`--strategy must be ${UNCERTAINTY_STRATEGIES.join(' or ')}, got "${value}"`, 2);
  }
  return value as UncertaintyStrategy;
}

const list = (names: readonly string[]): string =>
  names.slice(0, 8).join(', ') + (names.length > 8 ? ', …' : '');

/** The run must have learned exactly the data's labels, or its guesses name other classes. */
function checkSameLabels(model: string, file: string, config: ModelConfig, dataset: Dataset): void {
  const known = new Set(config.id2label);
  const missing = dataset.labels.filter((label) => !known.has(label));
  const extra = config.id2label.filter((label) => !dataset.labels.includes(label));
  if (missing.length === 0 && extra.length === 0) return;
  throw new CliError(
    `${model} was trained on other labels than ${file} has` +
      (missing.length > 0 ? `; the data has ${list(missing)}, which the run does not know` : '') +
      (extra.length > 0 ? `; the run has ${list(extra)}, which the data lacks` : ''),
  );
}

async function readConfig(source: ReturnType<typeof modelSource>): Promise<ModelConfig> {
  const response = await source.fetchFile('config.json');
  if (!response) throw new CliError(`not a finished run: ${source.describe()} has no config.json`);
  try {
    return parseConfig(JSON.parse(await response.text()) as unknown);
  } catch (error) {
    throw new CliError(`${source.describe()}: config.json: ${(error as Error).message}`);
  }
}

export function registerSuggest(program: Command): void {
  addEngineOption(
    addDataOptions(
      program
        .command('suggest')
        .description(
          'rank the unlabelled rows (empty label cell) by how unsure a finished run is about them: the rows to label next',
        )
        .argument('<file>', 'CSV, TSV or label<TAB>text file with labelled and unlabelled rows'),
    )
      .requiredOption('--model <runDir>', 'a finished run: its folder (train --out) or a Hub repo id')
      .requiredOption('--count <n>', 'how many rows to suggest')
      .requiredOption(
        '--out <file>',
        'CSV of the suggestions, most uncertain first: row,score,predicted_label (row: the 1-based data row)',
      )
      .option('--strategy <name>', `uncertainty: ${UNCERTAINTY_STRATEGIES.join(' (default) or ')}`)
      .option(
        '--radius <r>',
        `skip a row this close to one already suggested, between centred unit feature directions; 0 keeps the plain ranking (default ${DEFAULT_DIVERSITY_RADIUS})`,
      )
      .option('--max-length <n>', "truncate texts to this many tokens (default: the run's max length)")
      .option('--batch-size <n>', 'rows per forward pass', '32')
      .option('--force', 'overwrite an existing --out file'),
  ).action(async (file: string, flags: SuggestFlags, command: Command) => {
    const options = globalOptions(command);
    const whole = (min: number) => (n: number) => Number.isInteger(n) && n >= min;
    const count = number(flags.count, '--count', whole(1), 'a whole number ≥ 1')!;
    const strategy = strategyFrom(flags.strategy);
    const radius =
      number(flags.radius, '--radius', (n) => n >= 0, 'a number ≥ 0') ?? DEFAULT_DIVERSITY_RADIUS;
    const batchSize = number(flags.batchSize, '--batch-size', whole(1), 'a whole number ≥ 1') ?? 32;
    if (existsSync(flags.out)) {
      if (statSync(flags.out).isDirectory()) throw new CliError(`--out ${flags.out} is a folder, not a file`);
      if (!flags.force) throw new CliError(`--out ${flags.out} exists; pass --force to overwrite it`);
    }

    const source = modelSource(flags.model, options.hubUrl);
    const config = await readConfig(source);
    const multiLabel = config.problemType === 'multi_label_classification';
    if (flags.multiLabel !== undefined && flags.multiLabel !== multiLabel) {
      throw new CliError(
        `the run is a ${multiLabel ? 'multi' : 'single'}-label classifier; drop --multi-label`,
        2,
      );
    }
    const tokenizer = await tokenizerOf(source);
    const maxLength =
      number(flags.maxLength, '--max-length', whole(3), 'a whole number ≥ 3') ??
      tokenizer.modelMaxLength ??
      512;
    if (tokenizer.modelMaxLength !== null && maxLength > tokenizer.modelMaxLength) {
      throw new CliError(
        `--max-length ${maxLength} exceeds the run's limit of ${tokenizer.modelMaxLength} tokens`,
        2,
      );
    }

    const { dataset } = await loadData(file, { ...flags, multiLabel });
    const { unlabelled } = dataset;
    if (unlabelled.rows.length === 0) {
      throw new CliError(
        multiLabel
          ? `${file} has no unlabelled rows: in multi-label data an empty label cell means no label applies`
          : `${file} has no unlabelled rows: leave a row's label cell empty to have it ranked`,
      );
    }
    checkSameLabels(flags.model, file, config, dataset);
    const encoded = await encodeTexts(tokenizer, unlabelled.texts, { maxLength });

    const backend = await startBackend(options);
    progress(`backend: ${backendLabel(backend)}`);
    let model;
    try {
      model = await loadModel(source);
    } catch (error) {
      throw new CliError(`cannot load ${source.describe()}: ${(error as Error).message}`);
    }
    const abort = new AbortController();
    const onInterrupt = () => {
      if (abort.signal.aborted) process.exit(130);
      abort.abort(new CliError('interrupted: no suggestions written', 130));
    };
    process.on('SIGINT', onInterrupt);
    const engines: ForwardEngine[] = [];
    try {
      if (model.report.missing.length > 0 || model.report.reinitialised.length > 0) {
        throw new CliError(`${source.describe()} is not a trained classifier: ${model.report.message}`);
      }
      const runtime = await cliEngine(flags.engine);
      const logits = await openCliEngine(runtime, model, { kind: 'logits' });
      engines.push(logits);
      const features = await openCliEngine(runtime, model, { kind: 'features' });
      engines.push(features);
      const candidates = unlabelled.rows.length;
      let reported = 0;
      const outputs = await candidateOutputs(
        { logits, features },
        model.config,
        encoded,
        { padTokenId: model.config.padTokenId, maxLength },
        {
          batchSize,
          signal: abort.signal,
          onProgress: (done, total) => {
            if (done - reported >= 1000 || done === total) {
              reported = done;
              progress(`features: ${done}/${total} rows`);
            }
          },
        },
      );
      const separator = dataset.mapping.labelSeparator ?? '|';
      const rows: SuggestionRow[] = suggestRows(outputs, { count, strategy, radius }).map((s) => ({
        row: unlabelled.rows[s.index]!,
        score: s.score,
        predicted_label: s.predicted.map((id) => model.config.id2label[id]!).join(separator),
      }));
      writeFileSync(flags.out, suggestionsCsv(rows));
      emit(
        options,
        `Ranked ${candidates.toLocaleString('en')} unlabelled rows by ${strategy} (diversity radius ${radius}); wrote the ${rows.length} to label next to ${flags.out}.`,
        { candidates, strategy, radius, out: flags.out, rows },
      );
    } finally {
      process.off('SIGINT', onInterrupt);
      for (const engine of engines) await engine.dispose();
      disposeParams(model.params);
    }
  });
}
