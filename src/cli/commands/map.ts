// finetune-studio map: a 2-D map of a labelled file's rows, the studio's data map. The frozen
// model's first-token features of every row (what head-only training caches), PCA to 50
// dimensions, then a seeded UMAP layout; one output row per data row: row,x,y,label.
import type { Command } from 'commander';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { csvCell } from '../../core/export/index.ts';
import { tfjsEngine, type ForwardEngine } from '../../core/infer/index.ts';
import { datasetFeatures, mapLayout, MAP_SPLITS, type MapFeatures } from '../../core/map/index.ts';
import { disposeParams } from '../../core/model/index.ts';
import type { EncodedDataset } from '../../core/tokenize/index.ts';
import { CliError, emit, globalOptions, progress, setUpRun } from '../context.ts';
import { addEngineOption } from '../inference.ts';
import { addDataOptions, type DataFlags } from './inspect.ts';
import { number } from './train.ts';

interface MapFlags extends DataFlags {
  model: string;
  out: string;
  maxLength: string;
  neighbours?: string;
  batchSize: string;
  engine?: string;
  force?: boolean;
}

export interface MapRow {
  row: number;
  x: number;
  y: number;
  label: string;
}

/** Each point's label name (a set joined by `separator` for multi-label; empty for none). */
export function pointLabels(data: EncodedDataset, points: MapFeatures, separator: string): string[] {
  const k = data.labels.length;
  return Array.from(points.rows, (_, p) => {
    const split = data[MAP_SPLITS[points.split[p]!]!];
    const i = points.indexInSplit[p]!;
    if (!data.multiLabel) return data.labels[split.labels[i]!]!;
    const names: string[] = [];
    for (let j = 0; j < k; j++) if (split.labels[i * k + j]) names.push(data.labels[j]!);
    return names.join(separator);
  });
}

export function mapCsv(rows: MapRow[]): string {
  const lines = ['row,x,y,label'];
  for (const r of rows) lines.push([String(r.row), String(r.x), String(r.y), csvCell(r.label)].join(','));
  return lines.join('\n') + '\n';
}

export function registerMap(program: Command): void {
  addEngineOption(
    addDataOptions(
      program
        .command('map')
        .description(
          "a 2-D map of the rows: the frozen model's first-token features, PCA to 50 dimensions, then UMAP (--seed also seeds the layout)",
        )
        .argument('<file>', 'CSV, TSV or label<TAB>text file'),
    )
      .requiredOption(
        '--model <dirOrHubId>',
        'base model: a folder or a Hugging Face Hub repo id (owner/name[@revision])',
      )
      .requiredOption('--out <file>', 'CSV of the map: row,x,y,label (row: the 1-based data row)')
      .option('--max-length <n>', 'truncate texts to this many tokens', '128')
      .option('--batch-size <n>', 'rows per forward pass', '32')
      .option('--neighbours <n>', "UMAP's n_neighbors (default 15)")
      .option('--force', 'overwrite an existing --out file'),
  ).action(async (file: string, flags: MapFlags, command: Command) => {
    const options = globalOptions(command);
    const whole = (min: number) => (n: number) => Number.isInteger(n) && n >= min;
    const maxLength = number(flags.maxLength, '--max-length', whole(3), 'a whole number ≥ 3') ?? 128;
    const batchSize = number(flags.batchSize, '--batch-size', whole(1), 'a whole number ≥ 1') ?? 32;
    const neighbours = number(flags.neighbours, '--neighbours', whole(2), 'a whole number ≥ 2');
    const seed = number(flags.seed, '--seed', Number.isInteger, 'a whole number') ?? 42;
    if (existsSync(flags.out)) {
      if (statSync(flags.out).isDirectory()) throw new CliError(`--out ${flags.out} is a folder, not a file`);
      if (!flags.force) throw new CliError(`--out ${flags.out} exists; pass --force to overwrite it`);
    }
    const run = await setUpRun(options, {
      model: flags.model,
      file,
      flags,
      maxLength,
      ...(flags.engine !== undefined ? { engine: flags.engine } : {}),
    });
    const { encoded } = run;
    const model = await run.loadBase(seed);
    progress(model.report.message);
    const abort = new AbortController();
    const onInterrupt = () => {
      if (abort.signal.aborted) process.exit(130);
      abort.abort(new CliError('interrupted: no map written', 130));
    };
    process.on('SIGINT', onInterrupt);
    let engine: ForwardEngine | null = null;
    try {
      try {
        engine = await run.inference.featureEngine(model, { kind: 'features' });
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        progress(`note: the feature engine did not start (${reason}); tfjs computes the features`);
        engine = tfjsEngine(model.params, model.config, { kind: 'features' });
      }
      let reported = 0;
      const points = await datasetFeatures(engine, encoded, model.config.dim, {
        batchSize,
        signal: abort.signal,
        onProgress: (done, total) => {
          if (done - reported >= 1000 || done === total) {
            reported = done;
            progress(`features: ${done}/${total} rows`);
          }
        },
      });
      await engine.dispose();
      engine = null;
      const n = points.rows.length;
      let lastStage = '';
      const layout = await mapLayout(points.features, n, points.dim, {
        seed,
        ...(neighbours === undefined ? {} : { neighbours }),
        signal: abort.signal,
        onProgress: ({ stage, fraction }) => {
          if (stage !== lastStage || fraction === 1) progress(`map: ${stage} ${Math.round(100 * fraction)}%`);
          lastStage = stage;
        },
      });
      const labels = pointLabels(encoded, points, run.data.dataset.mapping.labelSeparator ?? '|');
      const rows: MapRow[] = Array.from(points.rows, (row, p) => ({
        row,
        x: layout.positions[p * 2]!,
        y: layout.positions[p * 2 + 1]!,
        label: labels[p]!,
      }));
      writeFileSync(flags.out, mapCsv(rows));
      emit(
        options,
        `Mapped ${n} rows (PCA to ${layout.pcaComponents} dimensions, UMAP with ${layout.neighbours} neighbours, ${layout.epochs} epochs, seed ${seed}); wrote ${flags.out}.`,
        {
          rows: n,
          pcaComponents: layout.pcaComponents,
          neighbours: layout.neighbours,
          epochs: layout.epochs,
          seed,
          out: flags.out,
        },
      );
    } finally {
      process.off('SIGINT', onInterrupt);
      if (engine) await engine.dispose();
      disposeParams(model.params);
    }
  });
}
