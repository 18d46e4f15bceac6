// `finetune-studio export` as a user runs it (a child process through the bin entry), on a run
// folder shaped as `finetune-studio train --out` writes it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExportZip } from '../../core/export/export-model.ts';
import { exportZipFromRunFiles, predictionsCsvFromRunFiles } from '../../core/export/from-run.ts';
import { readExportInput } from '../../core/export/run-folder.ts';
import { fsReader, removeDir, tempDir } from '../../core/export/test-support/fixtures.ts';
import { concatBytes, unzipFolder } from '../../core/export/zip.ts';
import { dataDir, fixtureModelDir } from '../../node/paths.ts';

const bin = new URL('../bin.mjs', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env },
  });

const LABELS = ['negative', 'neutral', 'positive'];
let root: string;
let runDir: string;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

beforeAll(() => {
  root = tempDir('cli');
  runDir = join(root, 'run');
  const fixture = fixtureModelDir('distilbert-tiny-seqcls');
  spawnSync('mkdir', ['-p', runDir]);
  for (const name of [
    'config.json',
    'model.safetensors',
    'tokenizer.json',
    'tokenizer_config.json',
    'vocab.txt',
  ]) {
    copyFileSync(join(fixture, name), join(runDir, name));
  }
  const evalAt = (step: number, epoch: number, macroF1: number) => ({
    step,
    epoch,
    train_loss: 1 / step,
    eval: { loss: 0.9 - macroF1 / 2, accuracy: macroF1 + 0.02, macro_f1: macroF1 },
  });
  writeFileSync(
    join(runDir, 'metrics.json'),
    JSON.stringify({
      history: [evalAt(10, 1, 0.61), evalAt(20, 2, 0.74), evalAt(30, 3, 0.7)],
      test: {
        accuracy: 0.73,
        macro_f1: 0.71,
        per_class: LABELS.map((label, i) => ({
          label,
          precision: 0.7,
          recall: 0.6 + i / 10,
          f1: 0.65,
          support: 5 + i,
        })),
        confusion_matrix: [
          [4, 1, 0],
          [1, 4, 1],
          [0, 1, 6],
        ],
      },
    }),
  );
  writeFileSync(
    join(runDir, 'training_args.json'),
    JSON.stringify({
      output_dir: join(root, 'run'),
      learning_rate: 5e-5,
      num_train_epochs: 3,
      per_device_train_batch_size: 16,
      metric_for_best_model: 'macro_f1',
      finetune_studio: {
        base_model: 'distilbert/distilbert-base-uncased',
        max_length: 48,
        mode: 'top-k',
        layers: 1,
      },
    }),
  );
  writeFileSync(
    join(runDir, 'data_summary.json'),
    JSON.stringify({
      rows: 120,
      labelCounts: { negative: 40, neutral: 35, positive: 45 },
      splits: { train: 96, validation: 12, test: 12 },
    }),
  );
  writeFileSync(
    join(runDir, 'test_predictions.jsonl'),
    [
      { text: 'Loved it, would come again', label: 'positive', probabilities: [0.1, 0.2, 0.7] },
      {
        text: '=HYPERLINK("http://evil.example","click")',
        label: 'negative',
        probabilities: [0.6, 0.3, 0.1],
      },
      { text: '-1 stars, "never" again', label: 'negative', probabilities: [0.2, 0.5, 0.3] },
    ]
      .map((row) => JSON.stringify(row))
      .join('\n') + '\n',
  );
});

afterAll(() => {
  if (root) removeDir(root);
});

describe('finetune-studio export', () => {
  it('writes the same zip as the studio’s export function, and predictions.csv', async () => {
    const out = join(root, 'model.zip');
    const predictions = join(root, 'predictions.csv');
    const result = cli('export', runDir, '--out', out, '--predictions', predictions);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^wrote .*model\.zip \(\d+\.\d MB, 15 files\)\nwrote .*predictions\.csv \(3 test rows\)/,
    );
    expect(result.stdout).toContain(
      'Left out of training_args.json because they name local paths: output_dir',
    );
    expect(result.stdout).toContain(
      'Left out onnx/model_quantized.onnx: this run records no check of the int8 model on its validation split. Train with "finetune-studio train --int8-check" to check it',
    );

    const zip = new Uint8Array(readFileSync(out));
    const expected = buildExportZip(await readExportInput(fsReader(runDir))).zip;
    expect(sameBytes(zip, expected)).toBe(true);

    const files = unzipFolder(zip);
    const card = new TextDecoder().decode(files.get('README.md'));
    expect(card).toContain('| macro\\_f1 | 0.7400 | 0.7100 |');
    expect(card).toContain('best validation checkpoint (step 20, epoch 2)');
    expect(card).toContain('| positive | 0.7000 | 0.8000 | 0.6500 | 7 |');
    expect(card).toContain('- Training mode: the top 1 transformer block(s) and the head');
    const tokenizerConfig = JSON.parse(
      new TextDecoder().decode(files.get('tokenizer_config.json')),
    ) as Record<string, unknown>;
    expect(tokenizerConfig.model_max_length).toBe(48);
    for (const [path, bytes] of files) {
      if (path.endsWith('.safetensors') || path.endsWith('.onnx')) continue;
      expect(new TextDecoder().decode(bytes).includes(root), path).toBe(false);
    }

    const rows = Papa.parse<string[]>(readFileSync(predictions, 'utf8').trimEnd(), { newline: '\r\n' }).data;
    expect(rows).toEqual([
      [
        'text',
        'true_label',
        'predicted_label',
        'probability_negative',
        'probability_neutral',
        'probability_positive',
      ],
      ['Loved it, would come again', 'positive', 'positive', '0.100000', '0.200000', '0.700000'],
      [
        `'=HYPERLINK("http://evil.example","click")`,
        'negative',
        'negative',
        '0.600000',
        '0.300000',
        '0.100000',
      ],
      [`'-1 stars, "never" again`, 'negative', 'neutral', '0.200000', '0.500000', '0.300000'],
    ]);
  });

  it('exports a run folder written by finetune-studio train, as the studio does from the same files', async () => {
    const trained = join(root, 'trained');
    const train = cli(
      'train',
      join(dataDir(), 'uci_sentiment', 'yelp.csv'),
      '--model',
      fixtureModelDir('distilbert-tiny-seqcls'),
      '--mode',
      'head',
      '--epochs',
      '1',
      '--max-length',
      '40',
      '--out',
      trained,
    );
    expect(train.status, train.stderr).toBe(0);
    const out = join(root, 'trained.zip');
    const predictions = join(root, 'trained.csv');
    const result = cli('export', trained, '--out', out, '--predictions', predictions);
    expect(result.status, result.stderr).toBe(0);

    const files = unzipFolder(new Uint8Array(readFileSync(out)));
    const card = new TextDecoder().decode(files.get('README.md'));
    const metrics = JSON.parse(readFileSync(join(trained, 'metrics.json'), 'utf8')) as {
      test: { accuracy: number };
      validation: { accuracy: number };
    };
    const accuracyRow = card.split('\n').find((line) => line.startsWith('| accuracy |'));
    expect(accuracyRow).toBe(
      `| accuracy | ${metrics.validation.accuracy.toFixed(4)} | ${metrics.test.accuracy.toFixed(4)} |`,
    );
    expect(card).toContain('- Rows: 1,000');
    expect(card).toContain('- Splits: train 800, validation 100, test 100');
    expect(card).toContain('- Training mode: head only (the encoder stayed frozen)');
    expect(card).toContain('### Confusion matrix (test split');
    const trainingArgs = JSON.parse(new TextDecoder().decode(files.get('training_args.json'))) as Record<
      string,
      unknown
    >;
    expect(trainingArgs).toMatchObject({
      num_train_epochs: 1,
      finetune_studio: { mode: 'head', max_length: 40 },
    });

    const rows = Papa.parse<string[]>(readFileSync(predictions, 'utf8').trimEnd(), { newline: '\r\n' }).data;
    expect(rows[0]).toEqual([
      'text',
      'true_label',
      'predicted_label',
      'probability_negative',
      'probability_positive',
    ]);
    expect(rows).toHaveLength(101);
    const runFiles = readdirSync(trained).map((path) => ({
      path,
      bytes: new Uint8Array(readFileSync(join(trained, path))),
    }));
    expect(
      sameBytes(
        concatBytes((await exportZipFromRunFiles(runFiles)).chunks),
        new Uint8Array(readFileSync(out)),
      ),
    ).toBe(true);
    expect(await predictionsCsvFromRunFiles(runFiles)).toBe(readFileSync(predictions, 'utf8'));
    const jsonl = readFileSync(join(trained, 'test_predictions.jsonl'), 'utf8').trim().split('\n');
    const first = JSON.parse(jsonl[0]!) as { text: string; label: string; predicted: string };
    expect(rows[1]?.slice(0, 3)).toEqual([first.text, first.label, first.predicted]);
  });

  it('prints JSON with --json', () => {
    const out = join(root, 'json.zip');
    const result = cli('--json', 'export', runDir, '--out', out);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { out: string; files: { path: string }[]; predictions: null };
    expect(report.out).toBe(out);
    expect(report.files.map((f) => f.path)).toContain('onnx/model.onnx');
    expect(report.predictions).toBeNull();
  });

  it('exports an exported zip again to the same model files', () => {
    const first = join(root, 'first.zip');
    const second = join(root, 'second.zip');
    expect(cli('export', runDir, '--out', first).status).toBe(0);
    const again = cli('export', first, '--out', second);
    expect(again.status, again.stderr).toBe(0);
    const a = unzipFolder(new Uint8Array(readFileSync(first)));
    const b = unzipFolder(new Uint8Array(readFileSync(second)));
    for (const path of [
      'config.json',
      'model.safetensors',
      'onnx/model.onnx',
      'tokenizer_config.json',
      'training_args.json',
    ]) {
      expect(sameBytes(a.get(path)!, b.get(path)!), path).toBe(true);
    }
  });

  it('fails with one clear line on bad input', () => {
    const missing = cli('export', join(root, 'nope'), '--out', join(root, 'x.zip'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^finetune-studio: .*nope: no such folder or zip\n$/);

    writeFileSync(join(root, 'exists.zip'), 'x');
    const exists = cli('export', runDir, '--out', join(root, 'exists.zip'));
    expect(exists.stderr).toMatch(/exists\.zip already exists \(add --force to overwrite it\)\n$/);
    const forced = cli('export', runDir, '--out', join(root, 'exists.zip'), '--force');
    expect(forced.status, forced.stderr).toBe(0);

    expect(cli('export', runDir, '--out', join(root, 'model.tar')).stderr).toMatch(
      /--out must name a \.zip file/,
    );

    const bare = join(root, 'bare');
    spawnSync('mkdir', ['-p', bare]);
    const noModel = cli('export', bare, '--out', join(root, 'bare.zip'));
    expect(noModel.stderr).toMatch(/no config\.json: not a model folder\n$/);
    expect(existsSync(join(root, 'bare.zip'))).toBe(false);

    const fixture = cli(
      'export',
      fixtureModelDir('distilbert-tiny-seqcls'),
      '--out',
      join(root, 'f.zip'),
      '--predictions',
      join(root, 'f.csv'),
    );
    expect(fixture.stderr).toMatch(
      /has no test_predictions\.jsonl .*so --predictions has nothing to write\n$/,
    );
    expect(
      fixture.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('finetune-studio:')),
    ).toHaveLength(1);
  });
});
