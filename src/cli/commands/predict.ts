import type { Command } from 'commander';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { readCsvTable } from '../../core/csv/parse.ts';
import {
  disposeParams,
  interpretLogits,
  loadModel,
  predictLogits,
  validateRows,
  type DistilBertConfig,
  type Prediction,
  type TokenizedRow,
} from '../../core/model/index.ts';
import { loadTokenizer } from '../../core/tokenize/tokenizer.ts';
import { initNodeBackend } from '../../node/backend.ts';
import { CliError, emit, globalOptions, progress } from '../context.ts';
import { cliEngine, openCliEngine } from '../inference.ts';
import { modelSource } from './train.ts';

interface PredictOptions {
  model: string;
  ids?: string;
  csv?: string;
  textColumn?: string;
  maxLength?: string;
  batchSize?: string;
  engine?: string;
}

const DEFAULT_MAX_LENGTH = 512;

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new CliError(`${flag} must be a positive integer, got "${value}"`, 2);
  return n;
}

function readJsonFile(path: string): unknown {
  if (!existsSync(path) || !statSync(path).isFile()) throw new CliError(`${path}: no such file`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new CliError(
      `${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
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

async function readTextColumn(
  path: string,
  textColumn: string,
): Promise<{ table: CsvTable; column: number }> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new CliError(`${path}: no such file`);
  let table;
  try {
    table = await readCsvTable(createReadStream(path), { fileName: path });
  } catch (error) {
    throw new CliError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const column = table.columns.indexOf(textColumn);
  if (column < 0) {
    throw new CliError(
      `${path} has no column "${textColumn}" (columns: ${table.columns.map((c) => `"${c}"`).join(', ')})`,
    );
  }
  if (table.summary.malformed.length > 0) {
    const listed = table.summary.malformed
      .slice(0, 10)
      .map((m) => `${m.row} (${m.reason})`)
      .join(', ');
    progress(`skipping ${table.summary.malformed.length} malformed row(s): ${listed}`);
  }
  if (table.rows.length === 0) throw new CliError(`${path} has no rows to predict`);
  return { table, column };
}

async function tokenizeColumn(
  table: CsvTable,
  column: number,
  maxLength: number | undefined,
  tokenizerFiles: Record<string, string>,
): Promise<TokenizedRow[]> {
  const tokenizer = await loadTokenizer(tokenizerFiles);
  const limit = maxLength ?? tokenizer.modelMaxLength ?? DEFAULT_MAX_LENGTH;
  let truncated = 0;
  const rows = table.rows.map((fields) => {
    const encoding = tokenizer.encode(fields[column] ?? '', { maxLength: limit });
    if (encoding.fullLength > limit) truncated++;
    return { inputIds: encoding.ids };
  });
  if (truncated > 0) progress(`${truncated} text(s) longer than ${limit} tokens were truncated`);
  return rows;
}

function humanLine(config: DistilBertConfig, row: number, prediction: Prediction): string {
  const label = Array.isArray(prediction.label) ? `[${prediction.label.join(', ')}]` : prediction.label;
  const probabilities = config.id2label
    .map((name) => `${name} ${prediction.probabilities[name]!.toFixed(4)}`)
    .join(', ');
  const logits = prediction.logits.map((x) => x.toFixed(4)).join(', ');
  return `row ${row}: ${label}  (probabilities: ${probabilities}; logits: [${logits}])`;
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
    .option('--csv <data.csv>', 'a CSV file whose --text-column holds the texts')
    .option('--text-column <name>', 'the column of --csv with the texts')
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
      if (opts.csv && !opts.textColumn) throw new CliError('--csv needs --text-column', 2);
      if (opts.ids && opts.textColumn) throw new CliError('--text-column goes with --csv, not --ids', 2);
      const maxLength = positiveInteger(opts.maxLength, '--max-length');
      const batchSize = positiveInteger(opts.batchSize, '--batch-size') ?? 32;
      const idsRows = opts.ids ? rowsFromIdsFile(opts.ids) : undefined;
      const csv = opts.csv ? await readTextColumn(opts.csv, opts.textColumn!) : undefined;

      const backend = await initNodeBackend(options.backend);
      progress(`backend: ${backend.name}`);
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
          rows = await tokenizeColumn(csv.table, csv.column, maxLength, files);
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
          logits = await predictLogits(model.params, model.config, rows, {
            batchSize,
            onBatch: (done, total) => progress(`predicted ${done} / ${total} rows`),
            engine,
          });
        } finally {
          await engine.dispose();
        }
        const predictions = logits.map((row) => interpretLogits(model.config, row));
        emit(
          options,
          predictions.map((p, i) => humanLine(model.config, rowNumbers[i]!, p)),
          { rows: predictions.map((p, i) => ({ row: rowNumbers[i]!, ...p })) },
        );
      } finally {
        disposeParams(model.params);
      }
    });
}
