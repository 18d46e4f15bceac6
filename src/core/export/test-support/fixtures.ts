// Test support (Node only): export inputs built from the shared fixture checkpoints, folders on
// disk, and real texts from the shared data sets.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Papa from 'papaparse';
import { dataDir, fixtureModelDir } from '../../../node/paths.ts';
import { readExportInput, type FolderReader } from '../run-folder.ts';
import { decodeSafetensors } from '../safetensors.ts';
import { debertaTokenizerJson } from '../../tokenize/index.ts';
import type { ExportFile, ExportInput } from '../types.ts';
import { readReferenceTensors } from './reference.ts';

export function fsReader(dir: string): FolderReader {
  return async (path) => {
    try {
      return new Uint8Array(readFileSync(join(dir, path)));
    } catch {
      return undefined;
    }
  };
}

export const SEQCLS_LABELS = ['negative', 'neutral', 'positive'];
export const MULTI_LABELS = ['billing', 'delivery', 'refund', 'praise'];

/** What a finished run records besides the weights: settings, metrics and data aggregates. */
export function runMetadata(labels: readonly string[], multi: boolean): Partial<ExportInput> {
  const perClass = labels.map((label, i) => ({
    label,
    precision: 0.8 + i / 100,
    recall: 0.7 + i / 100,
    f1: 0.75 + i / 100,
    support: 10 + i,
  }));
  return {
    baseModel: 'distilbert/distilbert-base-uncased',
    maxLength: 64,
    trainingArgs: {
      learning_rate: 5e-5,
      num_train_epochs: 3,
      per_device_train_batch_size: 16,
      per_device_eval_batch_size: 32,
      weight_decay: 0.01,
      warmup_ratio: 0.1,
      lr_scheduler_type: 'linear',
      max_grad_norm: 1,
      seed: 42,
      eval_strategy: 'epoch',
      save_strategy: 'epoch',
      load_best_model_at_end: true,
      metric_for_best_model: multi ? 'micro_f1' : 'macro_f1',
      greater_is_better: true,
      output_dir: '/home/analyst/runs/secret-project',
      logging_dir: '/home/analyst/runs/secret-project/logs',
    },
    studioSettings: { mode: 'full', early_stopping_patience: 2, validation_fraction: 0.1 },
    metrics: {
      validation: {
        scalars: multi
          ? { loss: 0.41, micro_f1: 0.71, subset_accuracy: 0.5 }
          : { loss: 0.52, accuracy: 0.81, macro_f1: 0.79 },
        perClass,
      },
      test: {
        scalars: multi
          ? { loss: 0.45, micro_f1: 0.69, subset_accuracy: 0.48 }
          : { loss: 0.55, accuracy: 0.8, macro_f1: 0.78 },
        perClass,
        ...(multi ? {} : { confusionMatrix: labels.map((_, i) => labels.map((_, j) => (i === j ? 8 : 1))) }),
      },
      bestEpoch: 2,
    },
    dataSummary: {
      rows: 1000,
      labelCounts: Object.fromEntries(labels.map((l, i) => [l, 300 + 10 * i])),
      splits: { train: 800, validation: 100, test: 100 },
      checks: [{ name: 'duplicates removed', count: 4 }],
    },
    ...(multi ? { thresholds: labels.map((_, i) => 0.3 + i / 10) } : {}),
  };
}

/** The single-label fixture (3 labels, F32) as a trained run would hand it to the export. */
export async function seqclsInput(): Promise<ExportInput> {
  const input = await readExportInput(fsReader(fixtureModelDir('distilbert-tiny-seqcls')));
  return { ...input, ...runMetadata(SEQCLS_LABELS, false) };
}

/**
 * The multi-label fixture: the F16 pretraining checkpoint (with its MLM head) plus the classifier
 * head from its reference file, as a 4-label multi-label model.
 */
export async function multiLabelInput(): Promise<ExportInput> {
  const dir = fixtureModelDir('distilbert-tiny-mlm-f16');
  const read = fsReader(dir);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const weights = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));
  const head = [...readReferenceTensors(join(dir, 'reference.safetensors'))]
    .filter(([name]) => name.startsWith('head.'))
    .map(([name, t]) => ({
      name: name.slice('head.'.length),
      shape: t.shape,
      data: Float32Array.from(t.values),
    }));
  const tokenizer = {
    tokenizerJson: readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
    vocabTxt: readFileSync(join(dir, 'vocab.txt'), 'utf8'),
    tokenizerConfig: JSON.parse(new TextDecoder().decode(await read('tokenizer_config.json'))) as Record<
      string,
      unknown
    >,
  };
  return {
    config,
    weights: [...weights, ...head],
    tokenizer,
    labels: MULTI_LABELS,
    problemType: 'multi_label_classification',
    maxLength: 64,
    baseModel: 'distilbert/distilbert-base-uncased',
    trainingArgs: {},
    ...runMetadata(MULTI_LABELS, true),
  };
}

/**
 * A BERT or RoBERTa/XLM-RoBERTa fixture as a trained run would hand it to the export: the
 * checkpoint (single or sharded, under the names it was saved with) and, for one without a
 * classifier, the head from its reference file; single-label when the checkpoint has labels.
 */
export async function familyInput(
  fixture:
    | 'bert-tiny-seqcls'
    | 'bert-tiny-pretraining-f16'
    | 'roberta-tiny-seqcls'
    | 'xlm-roberta-tiny-mlm-f16'
    | 'modernbert-tiny-seqcls'
    | 'modernbert-tiny-mlm-f16'
    | 'deberta-v3-tiny-seqcls'
    | 'deberta-v2-tiny-mlm-f16',
  maxLength: number,
): Promise<ExportInput> {
  const dir = fixtureModelDir(fixture);
  const read = fsReader(dir);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const indexPath = join(dir, 'model.safetensors.index.json');
  const files = existsSync(indexPath)
    ? [
        ...new Set(
          Object.values(
            (JSON.parse(readFileSync(indexPath, 'utf8')) as { weight_map: Record<string, string> })
              .weight_map,
          ),
        ),
      ]
    : ['model.safetensors'];
  const weights = files.flatMap((file) => decodeSafetensors(new Uint8Array(readFileSync(join(dir, file)))));
  const head = [...readReferenceTensors(join(dir, 'reference.safetensors'))]
    .filter(([name]) => name.startsWith('head.'))
    .map(([name, t]) => ({
      name: name.slice('head.'.length),
      shape: t.shape,
      data: Float32Array.from(t.values),
    }));
  const multi = head.length > 0;
  const labels = multi ? MULTI_LABELS : SEQCLS_LABELS;
  const tokenizerConfig = JSON.parse(new TextDecoder().decode(await read('tokenizer_config.json'))) as Record<
    string,
    unknown
  >;
  // DeBERTa folders hold spm.model, as the Hub's: the export gets the tokenizer.json the loader makes.
  const tokenizer = {
    tokenizerJson: existsSync(join(dir, 'tokenizer.json'))
      ? readFileSync(join(dir, 'tokenizer.json'), 'utf8')
      : JSON.stringify(
          debertaTokenizerJson(new Uint8Array(readFileSync(join(dir, 'spm.model'))), tokenizerConfig),
        ),
    tokenizerConfig,
  };
  return {
    config,
    weights: [...weights, ...head],
    tokenizer,
    labels,
    problemType: multi ? 'multi_label_classification' : 'single_label_classification',
    trainingArgs: {},
    ...runMetadata(labels, multi),
    baseModel: fixture,
    maxLength,
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `finetune-export-${prefix}-`));
}

export function writeFolder(
  files: Iterable<ExportFile> | ReadonlyMap<string, Uint8Array>,
  dir: string,
): string {
  const entries =
    files instanceof Map
      ? [...files.entries()]
      : [...(files as Iterable<ExportFile>)].map((f) => [f.path, f.bytes] as const);
  for (const [path, bytes] of entries) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Real texts (and their labels) from a shared data set's CSV. */
export function sampleRows(relativeCsv: string, count: number): { text: string; label: string }[] {
  const parsed = Papa.parse<Record<string, string>>(readFileSync(join(dataDir(), relativeCsv), 'utf8'), {
    header: true,
    skipEmptyLines: true,
  });
  return parsed.data
    .slice(0, count)
    .map((row) => ({ text: row.text ?? '', label: row.label ?? row.labels ?? '' }));
}
