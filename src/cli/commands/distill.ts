// finetune-studio distill: a smaller student trained on a finished run's (the teacher's) softened
// outputs and the labels. The student is the teacher's embeddings, every other block and head
// (--layers), or another model of a supported family (--student, its own tokenizer allowed). The
// teacher's logits are computed once, on its own tokenization of each row, and kept for every
// epoch. Writes a run folder as `train --out` does, with the teacher in training_args.json.
import { oneLine } from '../../core/util/index.ts';
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  checkDistillationSettings,
  checkSameRows,
  checkTeacher,
  computeTeacherLogits,
  DEFAULT_DISTILLATION,
  distillationTrainingLoss,
  studentFromTeacher,
  type DistillationSettings,
} from '../../core/distill/index.ts';
import { tfjsEngine } from '../../core/infer/index.ts';
import { classify, disposeParams, loadModel, parseConfig, type LoadedModel } from '../../core/model/index.ts';
import { hubModelId, originFromJson, type BaseModelOrigin } from '../../core/export/index.ts';
import { encodeDataset, type EncodedDataset } from '../../core/tokenize/index.ts';
import { scoreLogits, type TrainModel } from '../../core/train/index.ts';
import { directoryModelSource } from '../../node/model-source.ts';
import { backendLabel, CliError, globalOptions, progress, startTrainingBackend } from '../context.ts';
import { cliInference } from '../inference.ts';
import { addDataOptions, loadData } from './inspect.ts';
import {
  addTrainingOptions,
  metricsLine,
  modelSource,
  number,
  prepareOut,
  tokenizerOf,
  trainAndWrite,
  trainConfigFromFlags,
  type TrainFlags,
} from './train.ts';

interface DistillFlags extends Omit<TrainFlags, 'model' | 'mode'> {
  mode?: string;
  student?: string;
  trainLayers?: string;
  alpha?: string;
  temperature?: string;
}

/** The teacher's run folder: a model folder with config.json and weights. */
function teacherFolder(dir: string): string {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new CliError(`${dir}: no such folder; pass the folder a finished run wrote (train --out)`);
  }
  if (!existsSync(join(root, 'config.json')) || !existsSync(join(root, 'model.safetensors'))) {
    throw new CliError(
      `${dir} is not a run folder: it needs config.json and model.safetensors (train --out writes them)`,
    );
  }
  return root;
}

function readJson(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${oneLine((error as Error).message)}`);
  }
}

function distillationFrom(flags: DistillFlags): DistillationSettings {
  const settings: DistillationSettings = {
    alpha:
      number(flags.alpha, '--alpha', (n) => n >= 0 && n <= 1, 'a number in [0, 1]') ??
      DEFAULT_DISTILLATION.alpha,
    temperature:
      number(flags.temperature, '--temperature', (n) => n > 0, 'a positive number') ??
      DEFAULT_DISTILLATION.temperature,
  };
  const problems = checkDistillationSettings(settings);
  if (problems.length > 0) throw new CliError(problems[0] as string, 2);
  return settings;
}

/** Rows per second of a forward pass over the split, dropout off, after one untimed batch. */
async function predictionSpeed(
  model: TrainModel,
  data: EncodedDataset,
  split: 'test' | 'validation',
): Promise<number> {
  const engine = tfjsEngine(model.params, model.config, { kind: 'logits' });
  const options = { engine, padTokenId: data.padTokenId, maxLength: data.maxLength };
  await classify(model.config, { ...data[split], offsets: data[split].offsets.subarray(0, 2) }, options);
  const started = performance.now();
  await classify(model.config, data[split], options);
  const seconds = (performance.now() - started) / 1000;
  return (data[split].offsets.length - 1) / seconds;
}

export function registerDistill(program: Command): void {
  addTrainingOptions(
    addDataOptions(
      program
        .command('distill')
        .description(
          "train a smaller student on a finished run's outputs (the teacher) and the labels, and write its run folder",
        )
        .argument('<teacher>', 'the teacher: a run folder (train --out, or the studio’s run folder unzipped)')
        .argument('<file>', 'CSV, TSV or label<TAB>text file with the labels the teacher learned'),
    )
      .option(
        '--layers <n>',
        "student: this many of the teacher's blocks, evenly spread (default: half, at least 1)",
      )
      .option(
        '--student <dirOrHubId>',
        'student: another model of a supported family (its own tokenizer is fine)',
      )
      .option(
        '--alpha <a>',
        `weight of the label loss; 1 − alpha goes to the teacher's outputs (default ${DEFAULT_DISTILLATION.alpha})`,
      )
      .option(
        '--temperature <t>',
        `softens both models' outputs in the teacher term (default ${DEFAULT_DISTILLATION.temperature})`,
      )
      .option('--mode <mode>', 'what of the student trains: full (default), top-k or head')
      .option('--train-layers <k>', 'top-k mode: student blocks that train (default 2)'),
  ).action(async (teacherDir: string, file: string, flags: DistillFlags, command: Command) => {
    const options = globalOptions(command);
    const inference = cliInference(flags.engine);
    if (flags.layers !== undefined && flags.student !== undefined) {
      throw new CliError(
        'give either --layers (a student taken from the teacher) or --student MODEL, not both',
        2,
      );
    }
    const teacherRoot = teacherFolder(teacherDir);
    const distillation = distillationFrom(flags);
    const studentLayers = number(
      flags.layers,
      '--layers',
      (n) => Number.isInteger(n) && n >= 1,
      'a whole number ≥ 1',
    );
    const cacheMegabytes = number(flags.cacheMemory, '--cache-memory', (n) => n >= 0, 'megabytes ≥ 0');

    const teacherSource = directoryModelSource(teacherRoot);
    const teacherTokenizer = await tokenizerOf(teacherSource);
    let teacherConfig;
    try {
      teacherConfig = parseConfig(readJson(join(teacherRoot, 'config.json')));
    } catch (error) {
      throw new CliError(`${teacherDir}: ${(error as Error).message}`);
    }
    if (studentLayers !== undefined && studentLayers > teacherConfig.nLayers) {
      throw new CliError(
        `--layers ${studentLayers}: the teacher has only ${teacherConfig.nLayers} layers`,
        2,
      );
    }
    const teacherArgs = readJson(join(teacherRoot, 'training_args.json'));
    const teacherStudio = (teacherArgs?.finetune_studio ?? {}) as Record<string, unknown>;
    const teacherMaxLength =
      teacherTokenizer.modelMaxLength ??
      (typeof teacherStudio.max_length === 'number' ? teacherStudio.max_length : 128);

    // The student's max length defaults to the teacher's, since a student taken from it shares its tokenizer.
    const maxLengthGiven = command.getOptionValueSource('maxLength') !== 'default';
    const config = trainConfigFromFlags(
      {
        ...flags,
        model: teacherDir,
        mode: flags.mode ?? 'full',
        layers: flags.trainLayers,
        maxLength: maxLengthGiven ? flags.maxLength : String(teacherMaxLength),
      },
      '--train-layers',
    );
    const outDir = prepareOut(flags.out, Boolean(flags.force));

    const studentSource = flags.student !== undefined ? modelSource(flags.student, options.hubUrl) : null;
    const studentTokenizer = studentSource ? await tokenizerOf(studentSource) : teacherTokenizer;
    if (studentTokenizer.modelMaxLength !== null && config.maxLength > studentTokenizer.modelMaxLength) {
      throw new CliError(
        `--max-length ${config.maxLength} exceeds the student's limit of ${studentTokenizer.modelMaxLength} tokens`,
        2,
      );
    }

    const data = await loadData(file, flags);
    const { dataset, split } = data;
    if (split.sizes[0] === 0) throw new CliError(`${file}: the training split is empty`);
    try {
      checkTeacher(teacherConfig, dataset.labels, dataset.multiLabel);
    } catch (error) {
      throw new CliError(`${teacherDir}: ${(error as Error).message}`);
    }
    const teacherData = (
      await encodeDataset(teacherTokenizer, dataset, split, { maxLength: teacherMaxLength })
    ).encoded;
    const { encoded, fullLengths } = await encodeDataset(studentTokenizer, dataset, split, {
      maxLength: config.maxLength,
    });
    checkSameRows(teacherData, encoded);

    const backend = await startTrainingBackend(options);
    const problemType = encoded.multiLabel ? 'multi_label_classification' : 'single_label_classification';
    let teacher: LoadedModel;
    try {
      teacher = await loadModel(teacherSource, { labels: encoded.labels, problemType });
    } catch (error) {
      throw new CliError(`cannot load the teacher ${teacherDir}: ${(error as Error).message}`);
    }
    let student: (TrainModel & { tokenizerFiles: Record<string, string> }) | null = null;
    try {
      const started = performance.now();
      const logits = await computeTeacherLogits(teacher, teacherData, {
        onProgress: (done, total) => progress(`teacher outputs: ${done}/${total}`),
      });
      progress(
        `teacher outputs of ${teacherData.train.offsets.length - 1} training rows cached in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      // A multi-label teacher decides with the thresholds its run tuned (thresholds.json), else 0.5.
      const tuned = encoded.multiLabel
        ? readJson(join(teacherRoot, 'thresholds.json'))?.thresholds
        : undefined;
      const teacherThresholds =
        tuned && typeof tuned === 'object'
          ? encoded.labels.map((label) => {
              const value = (tuned as Record<string, unknown>)[label];
              return typeof value === 'number' ? value : 0.5;
            })
          : null;
      const teacherTest =
        teacherData.test.offsets.length > 1
          ? scoreLogits(logits.test, teacherData.test.labels, {
              labels: encoded.labels,
              multiLabel: encoded.multiLabel,
              ...(teacherThresholds ? { thresholds: teacherThresholds } : {}),
            })
          : null;

      let studentInfo: Record<string, unknown>;
      let baseModel: string;
      let baseModelOrigin: BaseModelOrigin | undefined;
      if (studentSource) {
        let loaded;
        try {
          loaded = await loadModel(studentSource, { labels: encoded.labels, problemType, seed: config.seed });
        } catch (error) {
          throw new CliError(`cannot load the student ${flags.student}: ${(error as Error).message}`);
        }
        progress(loaded.report.message);
        student = loaded;
        studentInfo = {
          model: hubModelId(flags.student!) ?? basename(resolve(flags.student!)),
          layers: loaded.config.nLayers,
        };
        baseModel = flags.student!;
      } else {
        const layers = studentLayers ?? Math.max(1, Math.floor(teacher.config.nLayers / 2));
        const taken = studentFromTeacher(teacher, layers);
        student = { config: taken.config, params: taken.params, tokenizerFiles: teacher.tokenizerFiles };
        studentInfo = { layers, teacher_layers: taken.teacherLayers };
        progress(
          `student: ${layers} of the teacher's ${teacher.config.nLayers} layers (blocks ${taken.teacherLayers.join(', ')})`,
        );
        baseModel = typeof teacherStudio.base_model === 'string' ? teacherStudio.base_model : teacherDir;
        baseModelOrigin = originFromJson(teacherStudio.base_model_origin);
      }

      const teacherName = basename(teacherRoot);
      const distillationArgs: Record<string, unknown> = {
        teacher: teacherName,
        ...(typeof teacherStudio.base_model === 'string'
          ? { teacher_base_model: teacherStudio.base_model }
          : {}),
        teacher_layers: teacher.config.nLayers,
        teacher_max_length: teacherMaxLength,
        alpha: distillation.alpha,
        temperature: distillation.temperature,
        student: studentInfo,
        ...(teacherTest ? { teacher_test: teacherTest.metrics } : {}),
      };
      const report = { lines: [] as string[], json: {} as Record<string, unknown> };
      await trainAndWrite({
        options,
        out: flags.out,
        outDir,
        cacheMegabytes,
        model: student,
        encoded,
        fullLengths,
        config,
        data,
        baseModel,
        ...(baseModelOrigin ? { baseModelOrigin } : {}),
        inference,
        loss: distillationTrainingLoss(logits.train, encoded.labels.length, distillation),
        distillation: distillationArgs,
        report,
        beforeReport: async () => {
          if (teacherTest)
            report.lines.push(
              `teacher (${teacherName}) on the same test split: ${metricsLine(teacherTest.metrics, encoded.multiLabel)}`,
            );
          const split = encoded.test.offsets.length > 1 ? 'test' : 'validation';
          if (encoded[split].offsets.length > 1) {
            const teacherSpeed = await predictionSpeed(teacher, teacherData, split);
            const studentSpeed = await predictionSpeed(student!, encoded, split);
            report.lines.push(
              `prediction speed on this machine (${backendLabel(backend)}, ${split} split): teacher ${teacherSpeed.toFixed(1)} rows/s, student ${studentSpeed.toFixed(1)} rows/s (${(studentSpeed / teacherSpeed).toFixed(2)}×)`,
            );
            report.json.prediction_speed = {
              split,
              backend: backend.name,
              teacher_rows_per_s: teacherSpeed,
              student_rows_per_s: studentSpeed,
            };
          }
          report.json.distillation = distillationArgs;
        },
      });
    } finally {
      if (student) disposeParams(student.params);
      disposeParams(teacher.params);
    }
  });
}
