// finetune-studio evaluate: scores a trained model on every kept row of a labelled file, with the
// metrics the Train step reports (accuracy, precision/recall/F1 averages, per-class report,
// confusion matrix; micro/macro F1, subset accuracy and Hamming loss for multi-label).
import type { Command } from 'commander';
import { classify, configToJson, disposeParams, loadModel, parseConfig } from '../../core/model/index.ts';
import { encodeTexts, type EncodedSplit } from '../../core/tokenize/index.ts';
import { scoreLogits } from '../../core/train/index.ts';
import { CliError, emit, globalOptions, progress, backendLabel, startBackend } from '../context.ts';
import { addEngineOption, cliEngine, openCliEngine } from '../inference.ts';
import { addDataOptions, loadData, type DataFlags } from './inspect.ts';
import { metricsLine, modelSource, number, reportLines, tokenizerOf } from './train.ts';

interface EvaluateFlags extends DataFlags {
  model: string;
  engine?: string;
  maxLength?: string;
  batchSize?: string;
}

async function readModelJson(source: ReturnType<typeof modelSource>, name: string): Promise<unknown> {
  const response = await source.fetchFile(name);
  if (!response) return undefined;
  try {
    return JSON.parse(await response.text()) as unknown;
  } catch {
    throw new CliError(`${source.describe()}: ${name} is not valid JSON`);
  }
}

export function registerEvaluate(program: Command): void {
  addEngineOption(
    addDataOptions(
      program
        .command('evaluate')
        .description('score a trained model on every kept row of a labelled file')
        .argument('<file>', 'CSV, TSV or label<TAB>text file'),
    ),
  )
    .requiredOption('--model <dirOrHubId>', 'trained model folder (or Hub repo id)')
    .option('--max-length <n>', "truncate texts to this many tokens (default: the model's model_max_length)")
    .option('--batch-size <n>', 'examples per forward pass', '64')
    .action(async (file: string, flags: EvaluateFlags, command: Command) => {
      const options = globalOptions(command);
      const source = modelSource(flags.model, options.hubUrl);
      const configJson = await readModelJson(source, 'config.json');
      if (configJson === undefined)
        throw new CliError(`not a model: ${source.describe()} has no config.json`);
      let modelConfig;
      try {
        modelConfig = parseConfig(configJson);
      } catch (error) {
        throw new CliError(`${source.describe()}: ${(error as Error).message}`);
      }
      const labels = modelConfig.id2label;
      const multiLabel = modelConfig.problemType === 'multi_label_classification';
      if (flags.multiLabel !== undefined && flags.multiLabel !== multiLabel) {
        throw new CliError(
          `the model is a ${multiLabel ? 'multi' : 'single'}-label classifier; drop --multi-label`,
          2,
        );
      }
      if (flags.labelFile !== undefined)
        throw new CliError("--label-file does not apply: the model's labels set the class order", 2);
      const tokenizer = await tokenizerOf(source);
      const maxLength =
        number(flags.maxLength, '--max-length', (n) => Number.isInteger(n) && n >= 3, 'a whole number ≥ 3') ??
        tokenizer.modelMaxLength ??
        512;
      if (tokenizer.modelMaxLength !== null && maxLength > tokenizer.modelMaxLength) {
        throw new CliError(
          `--max-length ${maxLength} exceeds the model's limit of ${tokenizer.modelMaxLength} tokens`,
          2,
        );
      }
      const batchSize = number(
        flags.batchSize,
        '--batch-size',
        (n) => Number.isInteger(n) && n >= 1,
        'a whole number ≥ 1',
      )!;

      // Every kept row is scored, so the split settings only matter for the report of the data.
      const data = await loadData(file, { ...flags, multiLabel });
      const { dataset } = data;
      // Class ids follow the model's labels; a label the model lacks cannot be scored.
      const index = new Map(labels.map((label, i) => [label, i]));
      const unknown = dataset.labels.filter((label) => !index.has(label));
      if (unknown.length > 0) {
        throw new CliError(
          `${file} has labels the model does not know: ${unknown.slice(0, 8).join(', ')}${unknown.length > 8 ? ', …' : ''} (the model's labels: ${labels.join(', ')})`,
        );
      }
      const encoded = await encodeTexts(tokenizer, dataset.texts, { maxLength });
      const n = dataset.texts.length;
      const k = labels.length;
      let trueLabels: Int32Array | Uint8Array;
      if (multiLabel) {
        trueLabels = new Uint8Array(n * k);
        for (let i = 0; i < n; i++) {
          for (let j = dataset.labelOffsets[i] as number; j < (dataset.labelOffsets[i + 1] as number); j++) {
            trueLabels[i * k + index.get(dataset.labels[dataset.labelIds[j] as number] as string)!] = 1;
          }
        }
      } else {
        trueLabels = Int32Array.from(dataset.labelIndex, (id) => index.get(dataset.labels[id] as string)!);
      }
      const split: EncodedSplit = {
        ids: encoded.ids,
        offsets: encoded.offsets,
        labels: trueLabels,
        rows: dataset.rows,
      };

      let thresholds: number[] | undefined;
      if (multiLabel) {
        const saved = (await readModelJson(source, 'thresholds.json')) as
          { thresholds?: Record<string, unknown> } | undefined;
        if (saved?.thresholds) thresholds = labels.map((label) => Number(saved.thresholds![label] ?? 0.5));
      }

      const backend = await startBackend(options);
      progress(`backend: ${backendLabel(backend)}`);
      let model;
      try {
        model = await loadModel(source);
      } catch (error) {
        throw new CliError(`cannot load ${source.describe()}: ${(error as Error).message}`);
      }
      if (model.report.missing.length > 0 || model.report.reinitialised.length > 0) {
        disposeParams(model.params);
        throw new CliError(`${source.describe()} is not a trained classifier: ${model.report.message}`);
      }
      let score;
      let engineDescription: string;
      try {
        const engine = await openCliEngine(await cliEngine(flags.engine), model, { kind: 'logits' });
        engineDescription = engine.description;
        let logits;
        try {
          ({ logits } = await classify(model.config, split, {
            engine,
            padTokenId: tokenizer.padTokenId,
            maxLength,
            batchSize,
            onProgress: (done, total) => progress(`evaluating: ${done}/${total}`),
          }));
        } finally {
          await engine.dispose();
        }
        score = scoreLogits(logits, trueLabels, {
          labels,
          multiLabel,
          ...(thresholds ? { thresholds } : {}),
        });
      } finally {
        disposeParams(model.params);
      }
      const truncated = encoded.fullLengths.reduce(
        (count, length) => count + (length > maxLength ? 1 : 0),
        0,
      );
      const unlabelled = dataset.unlabelled.rows.length;
      const lines = [
        `${file}: ${n.toLocaleString('en')} rows scored (${dataset.dropped.length} dropped${unlabelled > 0 ? `, ${unlabelled.toLocaleString('en')} unlabelled` : ''}, see finetune-studio inspect); max length ${maxLength}, ${truncated} texts truncated`,
        metricsLine(score.metrics, multiLabel),
        ...reportLines(score),
      ];
      const details = score.details;
      emit(options, lines, {
        file,
        model: flags.model,
        rows: n,
        unlabelled,
        dropped: dataset.dropped.length,
        maxLength,
        truncated,
        engine: engineDescription,
        labels,
        problem_type: configToJson(modelConfig).problem_type,
        metrics: score.metrics,
        per_class: details.per_class.map(({ label, precision, recall, f1, support }) => ({
          label,
          precision,
          recall,
          f1,
          support,
        })),
        ...(details.kind === 'single_label'
          ? { confusion_matrix: details.confusion_matrix }
          : { thresholds: details.thresholds }),
      });
    });
}
