// finetune-studio label-issues: likely mislabelled rows of a labelled file. Trains K fold models on
// the train command's settings (out-of-fold probabilities over every labelled row), runs confident
// learning on them and writes one row per flagged row, most suspect first.
import type { Command } from 'commander';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { csvCell } from '../../core/export/index.ts';
import { disposeParams } from '../../core/model/index.ts';
import {
  DEFAULT_FOLDS,
  LABEL_QUALITY_SCORES,
  labelIssues,
  outOfFoldProbabilities,
  type LabelIssueReport,
  type LabelQualityScore,
} from '../../core/quality/index.ts';
import { nodeFeatureCache } from '../../node/feature-cache-file.ts';
import { CliError, emit, globalOptions, progress, setUpRun } from '../context.ts';
import { addDataOptions } from './inspect.ts';
import {
  addTrainSettingOptions,
  describeEvent,
  number,
  trainConfigFromFlags,
  type TrainFlags,
} from './train.ts';
import { addEngineOption } from '../inference.ts';

interface LabelIssuesFlags extends Omit<TrainFlags, 'mode'> {
  mode?: string;
  folds?: string;
  score?: string;
}

/** One output row: the file's data row, label names (sets joined by the file's separator), quality. */
export interface LabelIssueRow {
  row: number;
  given_label: string;
  suggested_label: string;
  label_quality: number;
}

export function issueRows(report: LabelIssueReport, separator: string): LabelIssueRow[] {
  const names = (ids: number[]) => ids.map((id) => report.labels[id] as string).join(separator);
  return report.issues.map((issue) => ({
    row: issue.row,
    given_label: names(issue.given),
    suggested_label: names(issue.suggested),
    label_quality: issue.quality,
  }));
}

export function issuesCsv(rows: LabelIssueRow[]): string {
  const lines = ['row,given_label,suggested_label,label_quality'];
  for (const r of rows) {
    lines.push(
      [String(r.row), csvCell(r.given_label), csvCell(r.suggested_label), String(r.label_quality)].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

function scoreFrom(value: string | undefined): LabelQualityScore {
  if (value === undefined) return 'self-confidence';
  if (!(LABEL_QUALITY_SCORES as readonly string[]).includes(value)) {
    throw new CliError(`--score must be ${LABEL_QUALITY_SCORES.join(' or ')}, got "${value}"`, 2);
  }
  return value as LabelQualityScore;
}

export function registerLabelIssues(program: Command): void {
  addEngineOption(
    addTrainSettingOptions(
      addDataOptions(
        program
          .command('label-issues')
          .description(
            'find likely mislabelled rows: K-fold out-of-fold probabilities, then confident learning',
          )
          .argument('<file>', 'CSV, TSV or label<TAB>text file'),
      )
        .requiredOption(
          '--model <dirOrHubId>',
          'base model: a folder or a Hugging Face Hub repo id (owner/name[@revision])',
        )
        .requiredOption(
          '--out <file>',
          'CSV of the flagged rows: row,given_label,suggested_label,label_quality',
        )
        .option('--mode <mode>', 'head (default), top-k or full: how each fold model trains')
        .option('--layers <k>', 'top-k mode: transformer blocks that train (default 2)')
        .option('--folds <k>', `fold models; each predicts the rows it never saw (default ${DEFAULT_FOLDS})`)
        .option('--score <name>', 'label quality: self-confidence (default) or normalized-margin')
        .option('--force', 'overwrite an existing --out file'),
    ),
  ).action(async (file: string, flags: LabelIssuesFlags, command: Command) => {
    const options = globalOptions(command);
    const config = trainConfigFromFlags({ ...flags, mode: flags.mode ?? 'head' });
    const folds = number(flags.folds, '--folds', (n) => Number.isInteger(n) && n >= 2, 'a whole number ≥ 2');
    const score = scoreFrom(flags.score);
    const cacheMegabytes = number(flags.cacheMemory, '--cache-memory', (n) => n >= 0, 'megabytes ≥ 0');
    if (existsSync(flags.out)) {
      if (statSync(flags.out).isDirectory()) throw new CliError(`--out ${flags.out} is a folder, not a file`);
      if (!flags.force) throw new CliError(`--out ${flags.out} exists; pass --force to overwrite it`);
    }

    const k = folds ?? DEFAULT_FOLDS;
    const run = await setUpRun(options, {
      model: flags.model,
      file,
      flags,
      maxLength: config.maxLength,
      checkData: ({ dataset }) => {
        if (dataset.texts.length < k) {
          throw new CliError(
            `${file}: ${k} folds need at least ${k} labelled rows; the file has ${dataset.texts.length}`,
          );
        }
      },
      ...(flags.engine !== undefined ? { engine: flags.engine } : {}),
    });
    const { encoded } = run;
    const { dataset } = run.data;
    const model = await run.loadBase(config.seed);
    progress(model.report.message);
    const cache = nodeFeatureCache({
      ...(cacheMegabytes === undefined ? {} : { memoryBudgetBytes: cacheMegabytes * 1e6 }),
      notify: (message) => progress(`note: ${message}`),
    });
    const abort = new AbortController();
    const onInterrupt = () => {
      if (abort.signal.aborted) process.exit(130);
      progress('stopping after this step (Ctrl-C again to quit)');
      abort.abort(new CliError('interrupted: no label issues written', 130));
    };
    process.on('SIGINT', onInterrupt);
    try {
      const oof = await outOfFoldProbabilities({
        model,
        data: encoded,
        config,
        ...(folds === undefined ? {} : { folds }),
        featureCache: cache.factory,
        featureEngine: run.inference.featureEngine,
        signal: abort.signal,
        onEvent: (fold, event) => {
          if (event.type === 'step') return;
          const line = describeEvent(event, encoded.multiLabel);
          if (line) progress(`fold ${fold + 1}/${k}: ${line}`);
        },
      });
      const report = labelIssues(oof, score);
      const separator = dataset.mapping.labelSeparator ?? '|';
      const rows = issueRows(report, separator);
      writeFileSync(flags.out, issuesCsv(rows));
      const share = report.rows > 0 ? ((100 * rows.length) / report.rows).toFixed(1) : '0.0';
      const lines = [
        `Flagged ${rows.length} of ${report.rows} rows (${share}%) with ${k} folds (${config.mode}, ${oof.seconds.toFixed(1)} s); wrote ${flags.out}.`,
        ...rows
          .slice(0, 10)
          .map(
            (r) =>
              `  row ${r.row}: given ${JSON.stringify(r.given_label)}, suggested ${JSON.stringify(r.suggested_label)}, ${score} ${r.label_quality.toFixed(4)}`,
          ),
      ];
      if (rows.length > 10) lines.push(`  … and ${rows.length - 10} more in ${flags.out}`);
      emit(options, lines, { rows });
    } finally {
      process.off('SIGINT', onInterrupt);
      cache.storage.dispose();
      disposeParams(model.params);
    }
  });
}
