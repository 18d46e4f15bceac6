import type { Command } from 'commander';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readCsvTable } from '../../core/csv/index.ts';
import { guessColumns, resolveColumn } from '../../core/dataset/index.ts';
import { csvCell } from '../../core/export/index.ts';
import {
  classify,
  disposeParams,
  interpretLogits,
  loadModel,
  tokenRows,
  validateRows,
  type ModelConfig,
  type Prediction,
  type TokenizedRow,
} from '../../core/model/index.ts';
import { loadTokenizer } from '../../core/tokenize/index.ts';
import { CliError, emit, globalOptions, progress, backendLabel, startBackend } from '../context.ts';
import { cliEngine, openCliEngine } from '../inference.ts';
import { modelSource } from './train.ts';

interface PredictOptions {
  model: string;
  ids?: string;
  csv?: string;
  textColumn?: string[];
  maxLength?: string;
  batchSize?: string;
  out?: string;
  topK?: string;
  force?: boolean;
  engine?: string;
}

/** Several text columns are joined as the Data step joins them. */
const TEXT_JOINER = '\n';
/** Rows the text-column guess looks at, as the Data step does. */
const GUESS_SAMPLE_ROWS = 1000;

const DEFAULT_MAX_LENGTH = 512;

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(`${flag} must be a positive integer, got "${value}"`, 2);
  return n;
}

/** Control characters other than tab, newline and carriage return never occur in a JSON text. */
// eslint-disable-next-line no-control-regex -- finding control bytes is the point
const BINARY_BYTE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function readJsonFile(path: string): unknown {
  if (!existsSync(path) || !statSync(path).isFile()) throw new CliError(`${path}: no such file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
  } catch {
    text = '\u0000';
  }
  if (BINARY_BYTE.test(text)) {
    throw new CliError(
      `${path} is a binary file, not JSON: --ids expects {"input_ids": [[...]], "attention_mask": [[...]]}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // V8 quotes the start of the text in its message; the position is what helps.
    const message = error instanceof Error ? error.message : String(error);
    const position = /position \d+(?: \(line \d+ column \d+\))?/.exec(message)?.[0];
    throw new CliError(`${path} is not valid JSON${position ? ` (${position})` : ''}`);
  }
}

function isNumberMatrix(value: unknown): value is number[][] {
  return (
    Array.isArray(value) &&
    value.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number'))
  );
}

/** `{"input_ids": [[...]], "attention_mask": [[...]]}`; the mask may be left out (all ones). */
function rowsFromIdsFile(path: string): TokenizedRow[] {
  const json = readJsonFile(path) as { input_ids?: unknown; attention_mask?: unknown } | null;
  if (!json || typeof json !== 'object' || !isNumberMatrix(json.input_ids)) {
    throw new CliError(
      `${path}: expected {"input_ids": [[...]], "attention_mask": [[...]]} with arrays of integers`,
    );
  }
  const ids = json.input_ids;
  if (ids.length === 0) throw new CliError(`${path}: input_ids holds no rows`);
  if (json.attention_mask !== undefined) {
    if (!isNumberMatrix(json.attention_mask) || json.attention_mask.length !== ids.length) {
      throw new CliError(
        `${path}: attention_mask must be an array of ${ids.length} integer arrays, like input_ids`,
      );
    }
    const masks = json.attention_mask;
    return ids.map((inputIds, i) => ({ inputIds, attentionMask: masks[i]! }));
  }
  return ids.map((inputIds) => ({ inputIds }));
}

type CsvTable = Awaited<ReturnType<typeof readCsvTable>>;

/** The CSV's rows and the column(s) holding the texts: the ones named, else the Data step's guess. */
async function readTextColumns(
  path: string,
  textColumns: readonly string[] | undefined,
): Promise<{ table: CsvTable; columns: number[] }> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new CliError(`${path}: no such file`);
  let table;
  try {
    table = await readCsvTable(createReadStream(path), { fileName: path });
  } catch (error) {
    throw new CliError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let columns: number[];
  if (textColumns && textColumns.length > 0) {
    columns = textColumns.map((name) => {
      try {
        return resolveColumn(table.columns, name);
      } catch {
        throw new CliError(
          `${path} has no column "${name}" (columns: ${table.columns.map((c) => `"${c}"`).join(', ')})`,
        );
      }
    });
  } else {
    const guess = guessColumns(table.columns, table.rows.slice(0, GUESS_SAMPLE_ROWS));
    columns = guess.textColumns.slice(0, 1);
    if (columns.length === 0) throw new CliError(`${path} has no column that could hold texts`);
    progress(`text column: "${table.columns[columns[0]!]}" (guessed; name another with --text-column)`);
  }
  if (table.summary.malformed.length > 0) {
    const listed = table.summary.malformed
      .slice(0, 10)
      .map((m) => `${m.row} (${m.reason})`)
      .join(', ');
    progress(`skipping ${table.summary.malformed.length} malformed row(s): ${listed}`);
  }
  if (table.rows.length === 0) throw new CliError(`${path} has no rows to predict`);
  return { table, columns };
}

async function tokenizeColumns(
  table: CsvTable,
  columns: readonly number[],
  maxLength: number | undefined,
  tokenizerFiles: Record<string, string>,
): Promise<TokenizedRow[]> {
  const tokenizer = await loadTokenizer(tokenizerFiles);
  const limit = maxLength ?? tokenizer.modelMaxLength ?? DEFAULT_MAX_LENGTH;
  let truncated = 0;
  const rows = table.rows.map((fields) => {
    // Empty parts are left out, as the Data step leaves them out when it joins columns.
    const text = columns
      .map((c) => fields[c] ?? '')
      .filter((part, _, all) => all.length === 1 || part.trim() !== '')
      .join(TEXT_JOINER);
    const encoding = tokenizer.encode(text, { maxLength: limit });
    if (encoding.fullLength > limit) truncated++;
    return { inputIds: encoding.ids };
  });
  if (truncated > 0) progress(`${truncated} text(s) longer than ${limit} tokens were truncated`);
  return rows;
}

function humanLine(config: ModelConfig, row: number, prediction: Prediction): string {
  const label = Array.isArray(prediction.label) ? `[${prediction.label.join(', ')}]` : prediction.label;
  const probabilities = config.id2label
    .map((name) => `${name} ${prediction.probabilities[name]!.toFixed(4)}`)
    .join(', ');
  const logits = prediction.logits.map((x) => x.toFixed(4)).join(', ');
  return `row ${row}: ${label}  (probabilities: ${probabilities}; logits: [${logits}])`;
}

/**
 * The predictions as CSV: the input's columns, then the predicted label(s), then one probability
 * per label (as the studio's predictions.csv) or, with `topK`, the k most probable labels.
 */
export function predictionsCsv(
  config: ModelConfig,
  input: { columns: readonly string[]; rows: readonly (readonly string[])[] },
  predictions: readonly Prediction[],
  topK?: number,
): string {
  const labels = config.id2label;
  const multiLabel = config.problemType === 'multi_label_classification';
  const k = topK === undefined ? 0 : Math.min(topK, labels.length);
  const header = [
    ...input.columns,
    multiLabel ? 'predicted_labels' : 'predicted_label',
    ...(topK === undefined
      ? labels.map((label) => `probability_${label}`)
      : Array.from({ length: k }, (_, i) => [`top_${i + 1}_label`, `top_${i + 1}_probability`]).flat()),
  ];
  const lines = [header.map(csvCell).join(',')];
  predictions.forEach((prediction, i) => {
    const fields = input.rows[i] ?? [];
    const cells = input.columns.map((_, c) => fields[c] ?? '');
    cells.push(Array.isArray(prediction.label) ? prediction.label.join('|') : prediction.label);
    const probabilities = labels.map((label) => prediction.probabilities[label] ?? 0);
    if (topK === undefined) {
      cells.push(...probabilities.map((p) => p.toFixed(6)));
    } else {
      const order = labels.map((_, j) => j).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
      for (const j of order.slice(0, k)) cells.push(labels[j]!, probabilities[j]!.toFixed(6));
    }
    lines.push(cells.map(csvCell).join(','));
  });
  return lines.join('\r\n') + '\r\n';
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('classify token ids or the texts of a CSV column with a DistilBERT classifier')
    .requiredOption(
      '--model <dir-or-hub-id>',
      'a model folder (config.json, model.safetensors) or a Hub repo id',
    )
    .option('--ids <ids.json>', 'a JSON file {"input_ids": [[...]], "attention_mask": [[...]]}')
    .option('--csv <data.csv>', 'a CSV file of texts to classify')
    .option(
      '--text-column <name>',
      'the column of --csv with the texts (default: guessed as train does; repeat to join several)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--out <predictions.csv>',
      "write a CSV: the input's columns, predicted_label and probability_<label> per label",
    )
    .option('--top-k <n>', 'with --out: top_1_label, top_1_probability, … for the n likeliest labels instead')
    .option('--force', 'overwrite an existing --out file')
    .option(
      '--max-length <n>',
      "truncate texts to this many tokens (default: the model's model_max_length, else 512)",
    )
    .option('--batch-size <n>', 'rows per forward pass', '32')
    .option(
      '--engine <engine>',
      'inference engine: onnxruntime-node, onnxruntime-web-wasm or tfjs (default: the first that loads)',
    )
    .action(async (opts: PredictOptions, command: Command) => {
      const options = globalOptions(command);
      if (Boolean(opts.ids) === Boolean(opts.csv))
        throw new CliError('give exactly one of --ids or --csv', 2);
      if (opts.ids && opts.textColumn) throw new CliError('--text-column goes with --csv, not --ids', 2);
      const maxLength = positiveInteger(opts.maxLength, '--max-length');
      const batchSize = positiveInteger(opts.batchSize, '--batch-size') ?? 32;
      const topK = positiveInteger(opts.topK, '--top-k');
      if (topK !== undefined && !opts.out) throw new CliError('--top-k goes with --out', 2);
      if (opts.out) {
        if (existsSync(opts.out) && statSync(opts.out).isDirectory())
          throw new CliError(`--out ${opts.out} is a folder: name a .csv file`, 2);
        if (existsSync(opts.out) && !opts.force)
          throw new CliError(`${opts.out} already exists (add --force to overwrite it)`);
      }
      const idsRows = opts.ids ? rowsFromIdsFile(opts.ids) : undefined;
      const csv = opts.csv ? await readTextColumns(opts.csv, opts.textColumn) : undefined;

      const backend = await startBackend(options);
      progress(`backend: ${backendLabel(backend)}`);
      const source = modelSource(opts.model, options.hubUrl);
      progress(`loading ${source.describe()}`);
      let model;
      try {
        let shownTenth = -1; // a line per quarter keeps logs short
        model = await loadModel(source, {
          onProgress: (loaded, total) => {
            const tenth = Math.floor((4 * loaded) / Math.max(total, 1));
            if (tenth === shownTenth) return;
            shownTenth = tenth;
            progress(`weights: ${(loaded / 1e6).toFixed(1)} / ${(total / 1e6).toFixed(1)} MB`);
          },
        });
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error));
      }
      try {
        if (
          model.report.missing.some(
            (name) => name.startsWith('classifier') || name.startsWith('pre_classifier'),
          )
        ) {
          throw new CliError(
            `${source.describe()} has no trained classification head (${model.report.missing.join(', ')}): fine-tune it before predicting`,
          );
        }
        let rows: TokenizedRow[];
        let rowNumbers: number[];
        if (csv) {
          const files = { ...model.tokenizerFiles, 'config.json': JSON.stringify(model.config.raw) };
          rows = await tokenizeColumns(csv.table, csv.columns, maxLength, files);
          rowNumbers = Array.from(csv.table.rowNumbers);
        } else {
          rows = idsRows!;
          rowNumbers = rows.map((_, i) => i + 1);
        }
        try {
          validateRows(model.config, rows);
        } catch (error) {
          throw new CliError(
            `${opts.ids ?? opts.csv}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        const engine = await openCliEngine(await cliEngine(opts.engine), model, { kind: 'logits' });
        let logits;
        try {
          ({ logits } = await classify(model.config, tokenRows(rows), {
            engine,
            padTokenId: model.config.padTokenId,
            batchSize,
            onProgress: (done, total) => progress(`predicted ${done} / ${total} rows`),
          }));
        } finally {
          await engine.dispose();
        }
        const k = model.config.numLabels;
        const predictions = rows.map((_, i) =>
          interpretLogits(model.config, logits.subarray(i * k, (i + 1) * k)),
        );
        const json = { rows: predictions.map((p, i) => ({ row: rowNumbers[i]!, ...p })) };
        if (opts.out) {
          const input = csv
            ? { columns: csv.table.columns, rows: csv.table.rows }
            : { columns: ['row'], rows: rowNumbers.map((n) => [String(n)]) };
          writeFileSync(opts.out, predictionsCsv(model.config, input, predictions, topK));
          emit(options, `wrote the predictions of ${predictions.length} row(s) to ${opts.out}`, json);
        } else {
          emit(
            options,
            predictions.map((p, i) => humanLine(model.config, rowNumbers[i]!, p)),
            json,
          );
        }
      } finally {
        disposeParams(model.params);
      }
    });
}
