// Label-issue detection time: five head-only fold models over Banking77's training file (out-of-fold
// probabilities, then confident learning) against one head-only run on the same rows, both through
// the real training loop on WASM with distilbert-base dimensions and random weights. The folds
// share one frozen-encoder pass, so the ratio says what the four extra trainings cost.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeAdapter } from '../core/backend/index.ts';
import { bytesFromString } from '../core/csv/index.ts';
import { importDataset, splitDataset } from '../core/dataset/index.ts';
import { disposeParams, initParams } from '../core/model/index.ts';
import { labelIssues, outOfFoldProbabilities } from '../core/quality/index.ts';
import { encodeDataset, loadTokenizer } from '../core/tokenize/index.ts';
import { defaultTrainConfig, trainModel } from '../core/train/index.ts';
import { initNodeBackend } from '../node/backend.ts';
import { registerNodeGradients } from '../node/gradients.ts';
import { dataDir, fixturesDir } from '../node/paths.ts';
import { benchConfig, DISTILBERT_BASE_DIMS, type ModelDims } from './model.ts';
import type { BenchRow } from './table.ts';

export interface QualityBenchOptions {
  /** Default: distilbert-base dimensions with Banking77's 77 labels. */
  dims?: Partial<ModelDims>;
  /** Use only the first rows of Banking77 train (default: all 10,003). */
  rows?: number;
  folds?: number;
  maxLength?: number;
  onProgress?: (message: string) => void;
}

export async function benchQuality(options: QualityBenchOptions = {}): Promise<BenchRow[]> {
  const log = options.onProgress ?? (() => undefined);
  const folds = options.folds ?? 5;
  const maxLength = options.maxLength ?? 128;
  await registerNodeGradients();
  const choice = await initNodeBackend('wasm');
  if (choice.name !== 'wasm') {
    return [
      {
        suite: 'quality',
        name: 'label-issue detection',
        where: 'node wasm',
        value: NaN,
        unit: '',
        note: `skipped: ${choice.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`,
      },
    ];
  }
  const adapter = describeAdapter(choice.adapter);
  const where = `node wasm${adapter ? ` (${adapter})` : ''}`;

  // Banking77's cells hold no line breaks, so its first rows are its first lines.
  const lines = readFileSync(resolve(dataDir(), 'banking77', 'train.csv'), 'utf8').split('\n');
  const text = options.rows === undefined ? lines.join('\n') : lines.slice(0, options.rows + 1).join('\n');
  const { dataset } = await importDataset(bytesFromString(text), {});
  const split = splitDataset(dataset, { seed: 42 });
  const bertDir = resolve(fixturesDir(), 'tokenizers', 'bert-base-uncased');
  const tokenizer = await loadTokenizer({
    'tokenizer.json': readFileSync(resolve(bertDir, 'tokenizer.json'), 'utf8'),
    'tokenizer_config.json': readFileSync(resolve(bertDir, 'tokenizer_config.json'), 'utf8'),
  });
  const { encoded } = await encodeDataset(tokenizer, dataset, split, { maxLength });
  const dims: ModelDims = { ...DISTILBERT_BASE_DIMS, ...options.dims, numLabels: encoded.labels.length };
  const config = benchConfig(dims);
  const model = { config, params: initParams(config, 0) };
  const settings = { ...defaultTrainConfig('head'), maxLength };
  const n = dataset.texts.length;
  const dimsNote = `dim ${dims.dim}, ${dims.nLayers} layers, ${dims.numLabels} labels, random weights; ${n.toLocaleString('en')} rows, max length ${maxLength}`;
  try {
    log(`quality bench: one head-only run on ${n} rows`);
    let started = performance.now();
    await trainModel({ model, data: encoded, config: settings });
    const single = (performance.now() - started) / 1000;

    log(`quality bench: ${folds} head-only fold models on ${n} rows`);
    started = performance.now();
    const oof = await outOfFoldProbabilities({ model, data: encoded, config: settings, folds });
    const report = labelIssues(oof);
    const detection = (performance.now() - started) / 1000;
    return [
      {
        suite: 'quality',
        name: `single head-only run, Banking77 train`,
        where,
        value: single,
        unit: 's',
        note: `${settings.epochs} epochs on the 80% training split, frozen encoder run once; ${dimsNote}`,
      },
      {
        suite: 'quality',
        name: `label-issue detection, ${folds} head-only folds, Banking77 train`,
        where,
        value: detection,
        unit: 's',
        ratio: { against: 'single run', value: detection / single },
        note: `out-of-fold probabilities for all ${n} rows (one frozen pass shared by the folds) and confident learning; ${report.issues.length} flagged`,
      },
    ];
  } finally {
    disposeParams(model.params);
  }
}
