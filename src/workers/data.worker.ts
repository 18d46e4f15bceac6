// The data worker: a thin entry over core/csv, core/dataset and core/tokenize. It keeps the parsed
// table, the current dataset and its split, so the page never holds the file and can remap
// columns, page through rows and download check rows without re-reading anything.
import {
  CsvError,
  isAbortError,
  parseCsv,
  type CsvSniff,
  type MalformedRow,
  type ParseSummary,
  bytesFromReadableStream,
  bytesFromString,
  type ByteChunks,
} from '../core/csv/index.ts';
import {
  fatalReason,
  distinctCounts,
  guessColumns,
  buildEditedDataset,
  correctedFile,
  type EditList,
  type KeptTable,
  type RowEdit,
  rowsDownloadCsv,
  rowsDownloadName,
  countLabels,
  splitDataset,
  buildSplitFile,
  type DataReading,
  type SplitResult,
  type Dataset,
  type ColumnMapping as CoreMapping,
} from '../core/dataset/index.ts';
import type { StageProgress } from '../core/util/index.ts';
import {
  errorMessage,
  transferablesOf,
  unreachable,
  type CheckResult,
  type ColumnMapping,
  type DataCommand,
  type DataEvent,
  type DataRecipe,
  type DataInput,
  type DataStage,
  type DatasetAnalysis,
  type OpenedDataset,
  type SplitSettings,
  type WorkerError,
} from './protocol.ts';
import { tokenizerHost } from './tokenizerHost.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const HEAD_ROWS = 200;
const CHECK_ROWS_SHOWN = 50;

function post(event: DataEvent): void {
  scope.postMessage(event, transferablesOf(event));
}

interface Table {
  name: string;
  bytes: number;
  columns: string[];
  rows: string[][];
  rowNumbers: number[];
  malformed: MalformedRow[];
  summary: ParseSummary | null;
  sniff: CsvSniff;
}

let table: Table | null = null;
/** The file being read: the preview pages through it while the previous table stays intact. */
let opening: Table | null = null;
let current: {
  dataset: Dataset;
  split: SplitResult | null;
  mapping: ColumnMapping;
  /** Rows the analyst dropped or relabelled: the file no longer holds the run's rows as trained. */
  edited: boolean;
} | null = null;
const controllers = new Map<string, AbortController>();

// ---------------------------------------------------------------------------------------------
// Opening a file

async function inputChunks(
  input: DataInput,
  signal: AbortSignal,
): Promise<{ chunks: ByteChunks; total?: number }> {
  switch (input.kind) {
    case 'file':
      return { chunks: bytesFromReadableStream(input.file.stream()), total: input.file.size };
    case 'text':
      return { chunks: bytesFromString(input.text), total: new TextEncoder().encode(input.text).length };
    case 'url': {
      let response: Response;
      try {
        response = await fetch(input.url, { signal });
      } catch (error) {
        if (isAbortError(error)) throw error;
        throw new CsvError('empty', `could not load ${input.name}`);
      }
      if (!response.ok || !response.body)
        throw new CsvError('empty', `could not load ${input.name} (HTTP ${response.status})`);
      const length = Number(response.headers.get('content-length'));
      return {
        chunks: bytesFromReadableStream(response.body),
        ...(Number.isFinite(length) && length > 0 ? { total: length } : {}),
      };
    }
  }
}

function guessMapping(
  columns: string[],
  sample: string[][],
): { mapping: ColumnMapping; reasons: string[]; stats: OpenedDataset['columnStats'] } {
  const guess = guessColumns(columns, sample);
  if (guess.labelColumn === null || guess.textColumns.length === 0) {
    throw new CsvError(
      'one-column',
      columns.length === 1
        ? 'the file has a single column, so there is no label column next to the text'
        : 'no column looks like text with a label beside it',
    );
  }
  return {
    mapping: {
      textColumns: guess.textColumns,
      labelColumn: guess.labelColumn,
      splitColumn: guess.splitColumn,
      idColumn: guess.idColumn,
      multiLabel: guess.labelSeparator.multiLabel,
      labelSeparator: guess.labelSeparator.separator ?? '|',
      caseFold: false,
    },
    reasons: [...guess.reasons, ...(guess.labelSeparator.multiLabel ? [guess.labelSeparator.evidence] : [])],
    stats: guess.stats.map((stat) => ({
      name: stat.name,
      averageLength: stat.averageLength,
      distinct: stat.distinct,
      empty: stat.empty,
    })),
  };
}

function withFullDistinct(
  stats: OpenedDataset['columnStats'],
  rows: readonly string[][],
): OpenedDataset['columnStats'] {
  const distinct = distinctCounts(stats.length, rows);
  return stats.map((stat, column) => ({ ...stat, distinct: distinct[column] ?? stat.distinct }));
}

function describeOpened(
  source: Table,
  guess: ReturnType<typeof guessMapping>,
  complete: boolean,
): OpenedDataset {
  const { sniff } = source;
  const encodingNotice =
    sniff.encodingHow === 'invalid-utf-8' || source.summary?.encoding === 'windows-1252'
      ? 'The file is not valid UTF-8, so it was read as Windows-1252 (Western European). Check that accented letters look right in the preview.'
      : undefined;
  const sample = source.rows.length > 0 ? source.rows.slice(0, 1000) : sniff.sampleRows;
  return {
    parse: {
      fileName: source.name,
      bytes: source.bytes,
      encoding: (source.summary?.encoding ?? sniff.encoding).toUpperCase(),
      ...(encodingNotice ? { encodingNotice } : {}),
      delimiter: sniff.delimiter,
      hasHeader: sniff.hasHeader,
      columns: sniff.columns,
      rowCount: complete ? source.rows.length : Math.max(source.rows.length, sniff.sampleRows.length),
      complete,
      notices: [...sniff.notices, ...(source.summary?.notices ?? [])],
    },
    guess: guess.mapping,
    labelCounts: countLabels(complete ? source.rows : sample, guess.mapping),
    columnStats: complete ? withFullDistinct(guess.stats, source.rows) : guess.stats,
    guessReasons: guess.reasons,
    head: (source.rows.length >= HEAD_ROWS ? source.rows : sniff.sampleRows).slice(0, HEAD_ROWS),
  };
}

function progressEvent(
  requestId: string,
  progress: StageProgress,
  stage: DataStage = progress.stage,
): DataEvent {
  const bytes = progress.bytes > 0;
  return {
    type: 'progress',
    requestId,
    stage,
    done: bytes ? progress.bytes : progress.rows,
    total: (bytes ? progress.totalBytes : progress.totalRows) ?? null,
    unit: bytes ? 'bytes' : 'rows',
    rows: progress.rows,
    ratePerSec: bytes ? progress.bytesPerSecond : progress.rowsPerSecond,
  };
}

async function open(requestId: string, input: DataInput, signal: AbortSignal): Promise<void> {
  const name = input.kind === 'file' ? input.file.name : input.name;
  const { chunks, total } = await inputChunks(input, signal);
  let building: Table | null = null;
  const summary = await parseCsv(chunks, {
    fileName: name,
    ...(total !== undefined ? { totalBytes: total } : {}),
    signal,
    onProgress: (progress) => post(progressEvent(requestId, progress)),
    onSniff: (sniff) => {
      building = {
        name,
        bytes: total ?? 0,
        columns: sniff.columns,
        rows: [],
        rowNumbers: [],
        malformed: [],
        summary: null,
        sniff,
      };
      opening = building;
      // A preview before the whole file is read; the guess is made again from the parsed rows.
      if (!sniff.sampleIsWholeFile && sniff.sampleRows.length > 0) {
        const early = guessMapping(sniff.columns, sniff.sampleRows);
        post({ type: 'sniffed', requestId, dataset: describeOpened(building, early, false) });
      }
    },
    onRows: (batch) => {
      if (!building) return;
      for (const row of batch.rows) building.rows.push(row);
      for (const number of batch.rowNumbers) building.rowNumbers.push(number);
      for (const bad of batch.malformed) building.malformed.push(bad);
    },
  });
  const done = building as Table | null;
  if (!done) throw new CsvError('empty', 'the file holds no rows');
  done.summary = summary;
  done.bytes = summary.bytes || done.bytes;
  if (done.rows.length === 0 && done.malformed.length === 0) {
    throw new CsvError('no-rows', 'the file has a header but no data rows');
  }
  // Guess from the parsed rows: the sniffed sample may end with a cut-off row.
  const finalGuess = guessMapping(done.columns, done.rows.slice(0, 1000));
  // Only a file that opened replaces the previous one: a bad drop loses nothing.
  table = done;
  current = null;
  tokenizerHost.forgetDataset();
  post({ type: 'opened', requestId, dataset: describeOpened(done, finalGuess, true) });
}

// ---------------------------------------------------------------------------------------------
// Checks and splits

function keptTable(opened: Table): KeptTable {
  if (!opened.summary) throw new Error('Open a file first.');
  return { ...opened, summary: opened.summary };
}

function toCoreMapping(mapping: ColumnMapping, split: SplitSettings): CoreMapping {
  return {
    textColumns: mapping.textColumns,
    labelColumn: mapping.labelColumn,
    splitColumn: mapping.splitColumn,
    idColumn: mapping.idColumn,
    multiLabel: mapping.multiLabel,
    labelSeparator: mapping.multiLabel ? mapping.labelSeparator : null,
    caseFold: mapping.caseFold,
    dropDuplicates: split.dropDuplicates,
  };
}

/** How the open file was read and split, as an export's train.py reads it again. */
function dataRecipe(): DataRecipe {
  if (!table?.summary || !current?.split) throw new Error('Confirm the columns first.');
  const { dataset, split, edited } = current;
  const { mapping } = dataset;
  const reading: DataReading = {
    encoding: table.summary.encoding,
    delimiter: table.sniff.delimiter,
    hasHeader: table.sniff.hasHeader,
    quoting: table.sniff.quoting,
    caseFold: mapping.caseFold,
    dropDuplicates: mapping.dropDuplicates,
    splitColumn: mapping.splitColumn !== null ? (dataset.columns[mapping.splitColumn] ?? null) : null,
    labelOrder: mapping.labelOrder,
    splitSeed: split.seed,
    splitFractions: split.fractions,
  };
  if (edited) {
    return {
      reading,
      splitFile: null,
      note: 'Left out split.json: the run trained on rows you dropped or relabelled in the studio, which the file does not hold; train.py splits the file it is given.',
    };
  }
  return { reading, splitFile: buildSplitFile(dataset, split.assignment), note: null };
}

function analyze(
  requestId: string,
  mapping: ColumnMapping,
  settings: SplitSettings,
  rowEdits: readonly RowEdit[],
  dataVersion: number,
): DatasetAnalysis {
  if (!table?.summary) throw new Error('Open a file first.');
  post({
    type: 'progress',
    requestId,
    stage: 'checking',
    done: 0,
    total: table.rows.length,
    unit: 'rows',
    rows: 0,
    ratePerSec: 0,
  });
  const dataset = buildEditedDataset(
    keptTable(table),
    toCoreMapping(mapping, settings),
    new Map(rowEdits.map((edit) => [edit.row, edit])),
  );
  const fatal = fatalReason(dataset);
  let split: SplitResult | null = null;
  if (!fatal) {
    post({
      type: 'progress',
      requestId,
      stage: 'splitting',
      done: 0,
      total: dataset.texts.length,
      unit: 'rows',
      rows: 0,
      ratePerSec: 0,
    });
    split = splitDataset(dataset, {
      seed: settings.seed,
      fractions: [settings.train, settings.validation, settings.test],
      useSplitColumn: mapping.splitColumn !== null,
    });
  }
  const edited = rowEdits.some((edit) => edit.action === 'drop' || edit.action === 'relabel');
  current = { dataset, split, mapping, edited };
  tokenizerHost.forgetDataset();
  const checks: CheckResult[] = dataset.checks.map((check) => ({
    id: check.id,
    title: check.title,
    severity: check.severity,
    count: check.count,
    rows: check.rows.slice(0, CHECK_ROWS_SHOWN),
    rowTotal: check.rows.length,
    detail: check.message,
  }));
  return {
    mapping,
    labels: dataset.labels,
    labelCounts: dataset.labelCounts,
    kept: dataset.texts.length,
    unlabelled: dataset.unlabelled.rows.length,
    dropped: dataset.dropped.length,
    checks,
    fatal,
    splits: split
      ? {
          sizes: { train: split.sizes[0], validation: split.sizes[1], test: split.sizes[2] },
          perClass: split.balance.map((balance) => ({
            label: balance.label,
            train: balance.counts[0],
            validation: balance.counts[1],
            test: balance.counts[2],
          })),
          notes: split.messages,
        }
      : null,
    notices: dataset.notices,
    dataVersion,
    edited: {
      dropped: rowEdits.filter((e) => e.action === 'drop').length,
      relabelled: rowEdits.filter((e) => e.action === 'relabel').length,
      kept: rowEdits.filter((e) => e.action === 'keep').length,
    },
  };
}

/** The upload with the edits applied, in its own columns, delimiter, line ends and encoding. */
function exportCorrected(edits: EditList): { fileName: string; blob: Blob } {
  if (!table?.summary || !current) throw new Error('Open a file first.');
  const { sniff } = table.summary;
  const bytes = correctedFile(
    {
      columns: table.columns,
      rows: table.rows,
      rowNumbers: table.rowNumbers,
      malformed: table.summary.malformed,
      labelColumn: current.mapping.labelColumn,
      dialect: {
        delimiter: sniff.delimiter,
        newline: sniff.newline,
        encoding: table.summary.encoding,
        bom: sniff.bom,
        hasHeader: sniff.hasHeader,
      },
    },
    edits,
  );
  const dot = table.name.lastIndexOf('.');
  const fileName =
    dot > 0 ? `${table.name.slice(0, dot)}-corrected${table.name.slice(dot)}` : `${table.name}-corrected.csv`;
  return { fileName, blob: new Blob([bytes], { type: `text/csv;charset=${table.summary.encoding}` }) };
}

// ---------------------------------------------------------------------------------------------
// Downloads of rows

function exportRows(checkId: string): { fileName: string; blob: Blob } {
  if (!table?.summary || !current) throw new Error('Open a file first.');
  const csv = rowsDownloadCsv(checkId, keptTable(table), current.dataset);
  return {
    fileName: rowsDownloadName(table.name, checkId),
    blob: new Blob([csv], { type: 'text/csv;charset=utf-8' }),
  };
}

// ---------------------------------------------------------------------------------------------
// Messages

function explain(error: unknown): WorkerError {
  if (error instanceof CsvError) {
    const sentence = error.message.charAt(0).toUpperCase() + error.message.slice(1).replace(/\.?$/, '.');
    switch (error.code) {
      case 'empty':
      case 'no-rows':
        return {
          message: sentence,
          hint: 'Choose a file with a header row and at least a few labelled rows of text.',
        };
      case 'binary':
        return {
          message: sentence,
          hint: 'Export the data as CSV (comma- or semicolon-separated) or TSV, then drop that file.',
        };
      case 'one-column':
        return {
          message: sentence,
          hint: 'The studio needs a text column and a label column, separated by a comma, semicolon, tab or pipe.',
        };
      case 'runaway-quote':
        return {
          message: sentence,
          hint: 'A quote (") opened somewhere is never closed; fix that row and try again.',
        };
      case 'unsupported-encoding':
        return {
          message: sentence,
          hint: 'Save the file as UTF-8 (e.g. "CSV UTF-8" in Excel) and try again.',
        };
      case 'bad-option':
        return { message: sentence };
    }
  }
  return {
    message: errorMessage(error),
    hint: 'If the file opens in a spreadsheet, save it as CSV UTF-8 and try again.',
  };
}

async function handle(command: DataCommand): Promise<void> {
  switch (command.type) {
    case 'open': {
      const controller = new AbortController();
      controllers.set(command.requestId, controller);
      try {
        await open(command.requestId, command.input, controller.signal);
      } finally {
        opening = null;
        controllers.delete(command.requestId);
      }
      return;
    }
    case 'rows': {
      const source = opening ?? table;
      const rows = source ? source.rows.slice(command.start, command.start + command.count) : [];
      post({ type: 'rows', requestId: command.requestId, start: command.start, rows });
      return;
    }
    case 'analyze':
      post({
        type: 'analyzed',
        requestId: command.requestId,
        analysis: analyze(
          command.requestId,
          command.mapping,
          command.split,
          command.edits,
          command.dataVersion,
        ),
      });
      return;
    case 'exportRows': {
      const { fileName, blob } = exportRows(command.checkId);
      post({ type: 'exported', requestId: command.requestId, fileName, blob });
      return;
    }
    case 'exportCorrected': {
      const { fileName, blob } = exportCorrected(command.edits);
      post({ type: 'exported', requestId: command.requestId, fileName, blob });
      return;
    }
    case 'loadTokenizer':
      post({
        type: 'tokenizerLoaded',
        requestId: command.requestId,
        ...(await tokenizerHost.load(command.source, command.files, command.key)),
      });
      return;
    case 'tokenize': {
      if (!current) throw new Error('Confirm the columns first.');
      const controller = new AbortController();
      controllers.set(command.requestId, controller);
      try {
        const stats = await tokenizerHost.measure(current.dataset.texts, controller.signal, (progress) =>
          post(progressEvent(command.requestId, progress)),
        );
        post({ type: 'tokenized', requestId: command.requestId, stats });
      } finally {
        controllers.delete(command.requestId);
      }
      return;
    }
    case 'encode': {
      if (!current?.split) throw new Error('Confirm the columns first.');
      const controller = new AbortController();
      controllers.set(command.requestId, controller);
      try {
        const data = await tokenizerHost.encodeDataset(
          current.dataset,
          current.split,
          command.maxLength,
          controller.signal,
          (progress) => post(progressEvent(command.requestId, progress, 'encoding')),
          command.tokenizer,
        );
        post({ type: 'encoded', requestId: command.requestId, data });
      } finally {
        controllers.delete(command.requestId);
      }
      return;
    }
    case 'encodeTexts': {
      const { ids, offsets } = await tokenizerHost.encodeTexts(
        command.texts,
        command.maxLength,
        command.tokenizer,
      );
      post({ type: 'encodedTexts', requestId: command.requestId, ids, offsets });
      return;
    }
    case 'encodeUnlabelled': {
      if (!current) throw new Error('Confirm the columns first.');
      const { rows, texts } = current.dataset.unlabelled;
      const { ids, offsets } = await tokenizerHost.encodeTexts(texts, command.maxLength, command.tokenizer);
      // A copy of the row numbers: the event's arrays are transferred, and the dataset keeps its own.
      post({
        type: 'encodedUnlabelled',
        requestId: command.requestId,
        rows: rows.slice(),
        texts,
        ids,
        offsets,
      });
      return;
    }
    case 'dataRecipe':
      post({ type: 'dataRecipe', requestId: command.requestId, ...dataRecipe() });
      return;
    case 'cancel':
      controllers.get(command.requestId)?.abort();
      return;
    default:
      unreachable(command);
  }
}

scope.addEventListener('message', (message: MessageEvent<DataCommand>) => {
  const command = message.data;
  handle(command).catch((error: unknown) => {
    const requestId = command.requestId;
    if (isAbortError(error)) post({ type: 'cancelled', requestId });
    else post({ type: 'error', requestId, ...explain(error) });
  });
});
