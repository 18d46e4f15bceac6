// finetune-studio inspect: what the Data step shows for a file (columns, guesses, label counts,
// every check, dropped rows with reasons, split sizes), in words or as JSON.
import type { Command } from 'commander';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CsvError, describeDelimiter, describeNewline } from '../../core/csv/index.ts';
import {
  fatalReason,
  checksToCsv,
  rowsDownloadCsv,
  parseLabelFile,
  importDataset,
  type ImportResult,
  type MappingChoices,
  splitDataset,
  withTestFile,
  type SplitFractions,
  type SplitResult,
  SPLIT_NAMES,
  type Dataset,
} from '../../core/dataset/index.ts';
import {
  encodeTexts,
  tokenLengthStats,
  tooLongCheck,
  type TokenLengthStats,
  loadTokenizer,
  type TextTokenizer,
} from '../../core/tokenize/index.ts';
import type { StageProgress } from '../../core/util/index.ts';
import { nodeModelSource } from '../../node/model-source.ts';
import { CliError, emit, globalOptions, progress } from '../context.ts';

/** The column and split flags `inspect` and `tokenize` share. */
export interface DataFlags {
  textColumn?: string[];
  labelColumn?: string;
  multiLabel?: boolean;
  labelSeparator?: string;
  delimiter?: string;
  encoding?: string;
  header?: boolean;
  splitColumn?: string | false;
  idColumn?: string;
  caseFold?: boolean;
  labelFile?: string;
  dropDuplicates?: boolean;
  testFile?: string;
  seed?: string;
  split?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addDataOptions(command: Command): Command {
  return command
    .option('--text-column <name>', 'text column (repeat to join several, e.g. title and body)', collect)
    .option('--label-column <name>', 'label column')
    .option('--multi-label', 'several labels per row, separated inside the label cell')
    .option('--label-separator <sep>', 'separator inside multi-label cells: | ; or ,')
    .option('--delimiter <d>', 'field delimiter: , ; | or tab (detected by default)')
    .option('--encoding <name>', 'utf-8, utf-16le, utf-16be or windows-1252 (detected by default)')
    .option('--header', 'the first row names the columns (detected by default)')
    .option('--no-header', 'the first row is data')
    .option('--split-column <name>', 'column with train/validation/test values')
    .option('--no-split-column', 'ignore a column that looks like a split column')
    .option('--id-column <name>', 'id column to ignore')
    .option('--case-fold', 'lower-case labels so Positive and positive are one class')
    .option('--label-file <path>', 'class order: a JSON array or one label per line')
    .option('--drop-duplicates', 'drop rows repeating an earlier row (same text and labels)')
    .option(
      '--test-file <path>',
      'a separate test file (same columns); train and validation come from the main file',
    )
    .option('--seed <n>', 'seed of the random split', '42')
    .option('--split <shares>', 'train/validation/test shares', '80/10/10');
}

function parseFractions(value: string): SplitFractions {
  const parts = value.split(/[/,:]/).map((p) => Number(p.trim()));
  if (parts.length !== 3 || parts.some((p) => !Number.isFinite(p) || p < 0) || (parts[0] as number) <= 0) {
    throw new CliError(`--split must be three shares like 80/10/10, got "${value}"`, 2);
  }
  return parts as SplitFractions;
}

function checkFile(path: string): number {
  if (!existsSync(path)) throw new CliError(`${path}: no such file`);
  const stat = statSync(path);
  if (!stat.isFile()) throw new CliError(`${path} is not a file`);
  return stat.size;
}

export function mappingChoices(flags: DataFlags): MappingChoices {
  let labelOrder: string[] | null = null;
  if (flags.labelFile !== undefined) {
    checkFile(flags.labelFile);
    try {
      labelOrder = parseLabelFile(readFileSync(flags.labelFile, 'utf8'));
    } catch (error) {
      throw new CliError(`${flags.labelFile}: ${(error as Error).message}`);
    }
  }
  return {
    textColumns: flags.textColumn,
    labelColumn: flags.labelColumn,
    splitColumn: flags.splitColumn === false ? null : flags.splitColumn,
    idColumn: flags.idColumn,
    multiLabel: flags.multiLabel,
    labelSeparator: flags.labelSeparator,
    caseFold: flags.caseFold,
    labelOrder,
    dropDuplicates: flags.dropDuplicates,
  };
}

function reportProgress(label: string): ((p: StageProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (p) => {
    const percent = p.totalBytes ? ` ${Math.round((100 * p.bytes) / p.totalBytes)}%` : '';
    progress(`${label}: ${p.stage}${percent}, ${p.rows.toLocaleString('en')} rows${p.done ? '\n' : ''}`);
  };
}

async function importFile(path: string, flags: DataFlags, choices: MappingChoices): Promise<ImportResult> {
  const size = checkFile(path);
  try {
    return await importDataset(createReadStream(path, { highWaterMark: 1 << 20 }), {
      ...choices,
      encoding: flags.encoding,
      delimiter: flags.delimiter,
      hasHeader: flags.header,
      fileName: basename(path),
      totalBytes: size,
      onProgress: reportProgress(basename(path)),
    });
  } catch (error) {
    if (error instanceof CsvError) throw new CliError(`${path}: ${error.message}`);
    throw new CliError(`${path}: ${(error as Error).message}`);
  }
}

export interface LoadedData {
  main: ImportResult;
  test: ImportResult | null;
  dataset: Dataset;
  split: SplitResult;
}

/** Reads, checks and splits as the Data step does; a file that cannot be used becomes a CliError. */
export async function loadData(path: string, flags: DataFlags): Promise<LoadedData> {
  const choices = mappingChoices(flags);
  const main = await importFile(path, flags, choices);
  const fatal = fatalReason(main.dataset);
  if (fatal !== null) {
    const label = main.dataset.columns[main.mapping.labelColumn];
    const others = main.dataset.columns.filter((_, i) => i !== main.mapping.labelColumn);
    throw new CliError(
      `${path}: ${fatal} (label column "${label}"; pick another with --label-column: ${others.map((c) => JSON.stringify(c)).join(', ')})`,
    );
  }
  let test: ImportResult | null = null;
  let dataset = main.dataset;
  if (flags.testFile !== undefined) {
    // The test file is read with the main file's column names and class order.
    const columns = main.mapping;
    test = await importFile(flags.testFile, flags, {
      ...choices,
      textColumns: columns.textColumns.map((c) => main.dataset.columns[c] as string),
      labelColumn: main.dataset.columns[columns.labelColumn],
      splitColumn: null,
      idColumn: null,
      multiLabel: columns.multiLabel,
      labelSeparator: columns.labelSeparator ?? undefined,
      labelOrder: main.dataset.labels,
    });
    dataset = withTestFile(main.dataset, test.dataset);
  }
  const seed = Number.isFinite(Number(flags.seed)) ? Number(flags.seed) : (flags.seed ?? 42);
  const split = splitDataset(dataset, { seed, fractions: parseFractions(flags.split ?? '80/10/10') });
  return { main, test, dataset, split };
}

/** The tokenizer of a model folder or Hub repo; failures become one-line CLI errors. */
export async function tokenizerFor(model: string, hubUrl: string): Promise<TextTokenizer> {
  let source;
  try {
    source = nodeModelSource(model, hubUrl);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  try {
    return await loadTokenizer(source);
  } catch (error) {
    throw new CliError(`cannot load the tokenizer of ${source.describe()}: ${(error as Error).message}`);
  }
}

export function parseMaxLength(value: string, tokenizer: TextTokenizer): number {
  const maxLength = Number(value);
  if (!Number.isInteger(maxLength) || maxLength < tokenizer.specialTokensSingle + 1) {
    throw new CliError(
      `--max-length must be a whole number of at least ${tokenizer.specialTokensSingle + 1}, got "${value}"`,
      2,
    );
  }
  if (tokenizer.modelMaxLength !== null && maxLength > tokenizer.modelMaxLength) {
    throw new CliError(
      `--max-length ${maxLength} exceeds the model's limit of ${tokenizer.modelMaxLength} tokens`,
      2,
    );
  }
  return maxLength;
}

/** Token lengths under a model's tokenizer: adds the too-long check to the dataset's checks. */
export async function measureTokens(
  data: LoadedData,
  tokenizer: TextTokenizer,
  maxLength: number,
): Promise<TokenLengthStats> {
  const encoded = await encodeTexts(tokenizer, data.dataset.texts, { maxLength });
  const tooLong = tooLongCheck(encoded.fullLengths, data.dataset.rows, maxLength);
  if (tooLong) data.dataset.checks.push(tooLong);
  return tokenLengthStats(encoded.fullLengths, tokenizer.modelMaxLength);
}

const plural = (n: number, word: string): string =>
  `${n.toLocaleString('en')} ${word}${n === 1 ? '' : word.endsWith('s') ? 'es' : 's'}`;

function rowList(rows: readonly number[], limit = 20): string {
  const shown = rows.slice(0, limit).join(', ');
  return rows.length > limit ? `${shown}, … and ${rows.length - limit} more` : shown;
}

export function describeData(
  path: string,
  data: LoadedData,
  tokens: { stats: TokenLengthStats; maxLength: number } | null = null,
): { lines: string[]; json: unknown } {
  const { main, dataset, split } = data;
  const { summary } = main.table;
  const { sniff } = summary;
  const mapping = main.mapping;
  const kept = dataset.texts.length;
  const lines: string[] = [];
  const encoding = summary.encoding === 'utf-8' ? 'UTF-8' : summary.encoding.toUpperCase();
  lines.push(`${path}: ${plural(summary.rows, 'data row')}, ${summary.bytes.toLocaleString('en')} bytes`);
  lines.push(
    `read as ${encoding}${sniff.bom ? ' with BOM' : ''}, ${describeDelimiter(sniff.delimiter)}-separated` +
      `${sniff.quoting ? '' : ' without quoting'}, ${sniff.hasHeader ? 'header row' : 'no header row'}, ` +
      `${describeNewline(sniff.newline, sniff.mixedNewlines)} line ends`,
  );
  for (const notice of dataset.notices) lines.push(`note: ${notice}`);

  lines.push('', 'columns:');
  const roleOf = (i: number): string =>
    mapping.textColumns.includes(i)
      ? 'text'
      : i === mapping.labelColumn
        ? 'label'
        : i === mapping.splitColumn
          ? 'split'
          : i === mapping.idColumn
            ? 'id (ignored)'
            : 'ignored';
  main.guess.stats.forEach((s, i) => {
    lines.push(
      `  ${String(i + 1).padStart(2)}. ${s.name.padEnd(18)} ${roleOf(i).padEnd(13)} ` +
        `${s.averageLength.toFixed(0)} characters on average, ${s.distinct} distinct in ${s.nonEmpty + s.empty} sampled rows`,
    );
  });
  for (const reason of main.guess.reasons) lines.push(`  guess: ${reason}`);
  if (main.guess.labelSeparator.multiLabel || mapping.multiLabel) {
    lines.push(`  labels: ${main.guess.labelSeparator.evidence}`);
  }

  const present = dataset.labelCounts.filter((c) => c.count > 0).length;
  lines.push(
    '',
    `labels (${mapping.multiLabel ? `multi-label, separated by "${mapping.labelSeparator}"` : 'single-label'}, ${plural(present, 'class')}${mapping.caseFold ? ', case folded' : ''}):`,
  );
  const widest = Math.max(...dataset.labelCounts.map((c) => c.label.length), 5);
  const most = Math.max(...dataset.labelCounts.map((c) => c.count), 1);
  for (const { label, count } of dataset.labelCounts) {
    lines.push(
      `  ${label.padEnd(widest)} ${String(count).padStart(7)} ${'█'.repeat(Math.round((30 * count) / most))}`,
    );
  }
  if (mapping.multiLabel)
    lines.push(`  ${'(no label)'.padEnd(widest)} ${String(dataset.noLabelRows).padStart(7)}`);

  if (tokens) {
    const { stats, maxLength } = tokens;
    lines.push(
      '',
      `tokens per text (max_length ${maxLength}): median ${stats.p50}, 95th percentile ${stats.p95}, longest ${stats.max}; suggested max_length ${stats.suggestedMaxLength}`,
    );
  }
  const droppedCount = dataset.dropped.length;
  const unlabelled = dataset.unlabelled.rows.length;
  lines.push(
    '',
    `kept ${plural(kept, unlabelled > 0 ? 'labelled row' : 'row')} of ${summary.rows.toLocaleString('en')}; ` +
      (unlabelled > 0 ? `${unlabelled.toLocaleString('en')} unlabelled (not trained on); ` : '') +
      `dropped ${droppedCount.toLocaleString('en')}`,
  );
  lines.push('', dataset.checks.length === 0 ? 'checks: all passed' : 'checks:');
  for (const c of dataset.checks) {
    lines.push(`  [${c.severity}] ${c.title}: ${c.message}`);
    if (c.rows.length > 0) lines.push(`      rows ${rowList(c.rows)}`);
  }
  if (droppedCount > 0) {
    lines.push('', 'dropped rows:');
    for (const d of dataset.dropped.slice(0, 20)) lines.push(`  row ${d.row} (${d.reason}): ${d.detail}`);
    if (droppedCount > 20) lines.push(`  … and ${droppedCount - 20} more (--export-dropped writes them all)`);
  }
  const shares = split.fractions.map((f) => Math.round(f * 100)).join('/');
  lines.push(
    '',
    `split (${split.source === 'stratified' ? `stratified, seed ${split.seed}, ${shares}` : split.source === 'split-column' ? 'from the split column' : 'test from the test file'}): ` +
      SPLIT_NAMES.map((name, s) => `${name} ${split.sizes[s as 0 | 1 | 2].toLocaleString('en')}`).join(', '),
  );
  for (const m of split.messages) lines.push(`  note: ${m}`);

  const json = {
    file: path,
    bytes: summary.bytes,
    rows: summary.rows,
    kept,
    unlabelled,
    dropped: droppedCount,
    dialect: {
      encoding: summary.encoding,
      bom: sniff.bom,
      delimiter: sniff.delimiter,
      quoting: sniff.quoting,
      header: sniff.hasHeader,
      newline: describeNewline(sniff.newline, sniff.mixedNewlines),
    },
    notices: dataset.notices,
    columns: main.guess.stats.map((s, i) => ({ name: s.name, role: roleOf(i), stats: s })),
    guess: {
      textColumns: main.guess.textColumns.map((i) => dataset.columns[i]),
      labelColumn: main.guess.labelColumn === null ? null : dataset.columns[main.guess.labelColumn],
      splitColumn: main.guess.splitColumn === null ? null : dataset.columns[main.guess.splitColumn],
      idColumn: main.guess.idColumn === null ? null : dataset.columns[main.guess.idColumn],
      labelSeparator: main.guess.labelSeparator,
      reasons: main.guess.reasons,
    },
    mapping: {
      textColumns: mapping.textColumns.map((i) => dataset.columns[i]),
      labelColumn: dataset.columns[mapping.labelColumn],
      splitColumn: mapping.splitColumn == null ? null : dataset.columns[mapping.splitColumn],
      idColumn: mapping.idColumn == null ? null : dataset.columns[mapping.idColumn],
      multiLabel: mapping.multiLabel,
      labelSeparator: mapping.labelSeparator ?? null,
      caseFold: mapping.caseFold ?? false,
    },
    tokens: tokens ? { maxLength: tokens.maxLength, ...tokens.stats } : null,
    labels: dataset.labelCounts,
    noLabelRows: dataset.noLabelRows,
    checks: dataset.checks,
    droppedRows: dataset.dropped.map((d) => ({ row: d.row, reason: d.reason, detail: d.detail })),
    split: {
      source: split.source,
      seed: split.seed,
      fractions: split.fractions,
      sizes: { train: split.sizes[0], validation: split.sizes[1], test: split.sizes[2] },
      balance: split.balance,
      messages: split.messages,
    },
  };
  return { lines, json };
}

interface InspectFlags extends DataFlags {
  model?: string;
  maxLength: string;
  exportChecks?: string;
  exportDropped?: string;
}

export function registerInspect(program: Command): void {
  addDataOptions(
    program
      .command('inspect')
      .description(
        'show what the Data step sees in a labelled CSV/TSV file: columns, labels, checks, dropped rows, splits',
      )
      .argument('<file>', 'CSV, TSV or label<TAB>text file'),
  )
    .option(
      '--model <dirOrHubId>',
      "also measure token lengths with this model's tokenizer (texts longer than max_length)",
    )
    .option('--max-length <n>', 'max_length for the too-long check (with --model)', '128')
    .option('--export-checks <path>', 'write every check with its affected rows as CSV')
    .option('--export-dropped <path>', 'write the dropped rows (with their fields) as CSV')
    .action(async (file: string, flags: InspectFlags, command: Command) => {
      const options = globalOptions(command);
      const tokenizer = flags.model !== undefined ? await tokenizerFor(flags.model, options.hubUrl) : null;
      const maxLength = tokenizer ? parseMaxLength(flags.maxLength, tokenizer) : 0;
      const data = await loadData(file, flags);
      const tokens = tokenizer ? { stats: await measureTokens(data, tokenizer, maxLength), maxLength } : null;
      if (flags.exportChecks) writeFileSync(flags.exportChecks, checksToCsv(data.dataset.checks));
      if (flags.exportDropped) {
        writeFileSync(flags.exportDropped, rowsDownloadCsv('dropped', data.main.table, data.dataset));
      }
      const { lines, json } = describeData(file, data, tokens);
      emit(options, lines, json);
    });
}
