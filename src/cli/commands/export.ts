import type { Command } from 'commander';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  buildExportFiles,
  buildPredictionsCsv,
  mapFolderReader,
  predictionRowsFromJsonl,
  readExportInput,
  unzipFolder,
  zipFiles,
  type FolderReader,
} from '../../core/export/index.ts';
import { fileInFolder } from '../../node/model-source.ts';
import { CliError, emit, globalOptions, progress } from '../context.ts';

interface ExportOptions {
  out: string;
  predictions?: string;
  force?: boolean;
}

function folderReader(dir: string): FolderReader {
  const root = resolve(dir);
  return async (path) => {
    const file = fileInFolder(root, path);
    return file === null ? undefined : new Uint8Array(readFileSync(file));
  };
}

function openSource(source: string): FolderReader {
  if (!existsSync(source)) throw new CliError(`${source}: no such folder or zip`);
  if (statSync(source).isDirectory()) return folderReader(source);
  if (/\.zip$/i.test(source)) {
    try {
      return mapFolderReader(unzipFolder(new Uint8Array(readFileSync(source))));
    } catch (error) {
      throw new CliError(`${source}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new CliError(
    `${source} is a file: pass the run folder that "finetune-studio train" wrote, or an exported zip`,
  );
}

function refuseOverwrite(path: string, force: boolean | undefined): void {
  if (existsSync(path) && !force) throw new CliError(`${path} already exists (add --force to overwrite it)`);
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'package a trained run as one zip: a Hugging Face and transformers.js model folder with onnx/model.onnx, a model card, train.py and serve.py',
    )
    .argument(
      '<run-dir>',
      'the folder "finetune-studio train --out" wrote (or an exported zip, to package it again)',
    )
    .requiredOption('--out <file.zip>', 'where to write the zip')
    .option(
      '--predictions <file.csv>',
      "also write the test split's predictions (text, true and predicted labels, probabilities)",
    )
    .option('--force', 'overwrite existing output files')
    .action(async (runDir: string, opts: ExportOptions, command: Command) => {
      const options = globalOptions(command);
      if (!/\.zip$/i.test(opts.out)) throw new CliError(`--out must name a .zip file, got ${opts.out}`);
      refuseOverwrite(opts.out, opts.force);
      if (opts.predictions) refuseOverwrite(opts.predictions, opts.force);
      const read = openSource(runDir);

      progress(`reading ${runDir}`);
      let input;
      try {
        input = await readExportInput(read);
      } catch (error) {
        throw new CliError(`${runDir}: ${error instanceof Error ? error.message : String(error)}`);
      }

      let predictionsCsv: string | undefined;
      let predictionRows = 0;
      if (opts.predictions) {
        const jsonl = await read('test_predictions.jsonl');
        if (!jsonl) {
          throw new CliError(
            `${runDir} has no test_predictions.jsonl (written by "finetune-studio train"), so --predictions has nothing to write`,
          );
        }
        try {
          const rows = predictionRowsFromJsonl(new TextDecoder().decode(jsonl), input.labels);
          predictionRows = rows.length;
          predictionsCsv = buildPredictionsCsv(rows, {
            labels: input.labels,
            multiLabel: input.problemType === 'multi_label_classification',
            ...(input.thresholds ? { thresholds: input.thresholds } : {}),
          });
        } catch (error) {
          throw new CliError(`${runDir}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }

      progress('building the model folder and onnx/model.onnx');
      let built;
      try {
        built = buildExportFiles(input);
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error));
      }
      const notes = built.notes.map((note) =>
        input.quantization === undefined && note.startsWith('Left out onnx/model_quantized.onnx')
          ? `${note} Train with "finetune-studio train --int8-check" to check it, so the export can ship it.`
          : note,
      );
      const zip = zipFiles(built.files);
      writeFileSync(opts.out, zip);
      if (predictionsCsv !== undefined && opts.predictions) writeFileSync(opts.predictions, predictionsCsv);

      emit(
        options,
        [
          `wrote ${opts.out} (${megabytes(zip.byteLength)}, ${built.files.length} files)`,
          ...(opts.predictions ? [`wrote ${opts.predictions} (${predictionRows} test rows)`] : []),
          ...notes,
        ],
        {
          out: opts.out,
          bytes: zip.byteLength,
          files: built.files.map((f) => ({ path: f.path, bytes: f.bytes.byteLength })),
          predictions: opts.predictions ? { out: opts.predictions, rows: predictionRows } : null,
          notes,
        },
      );
    });
}
