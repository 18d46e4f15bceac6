// `finetune-studio train` and `evaluate` as a user runs them: child processes through the bin
// entry, on the tiny fixture model, with the written folder loaded back by Hugging Face transformers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDir, fixtureModelDir } from '../../node/paths.ts';
import { requirePython, runPython } from '../../node/python.ts';

const bin = new URL('../bin.mjs', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, '--backend', 'wasm', ...args], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, HF_ENDPOINT: '' },
  });

const SEQCLS = fixtureModelDir('distilbert-tiny-seqcls');
const YELP = join(dataDir(), 'uci_sentiment', 'yelp.csv');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'train-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The run files are free-form JSON; the assertions below check their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;

describe('finetune-studio train (single-label)', () => {
  let out: string;
  let stdout: string;
  let stderr: string;
  beforeAll(() => {
    out = join(dir, 'yelp-head');
    const result = cli(
      'train',
      YELP,
      '--model',
      SEQCLS,
      '--mode',
      'head',
      '--epochs',
      '2',
      '--max-length',
      '64',
      '--int8-check',
      '--out',
      out,
    );
    if (result.status !== 0) throw new Error(`train failed (${result.status}):\n${result.stderr}`);
    stdout = result.stdout;
    stderr = result.stderr;
  });

  it("computes the frozen encoder's features on onnxruntime-node and says so in the run notes", () => {
    expect(stderr).toMatch(/^inference engine: ONNX Runtime \(onnxruntime-node [\d.]+, CPU, \d+ threads\)$/m);
    expect(stderr).toMatch(
      /^note: The frozen encoder's first-token features were computed by ONNX Runtime \(onnxruntime-node /m,
    );
  });

  it('writes a Hugging Face folder with the run files', () => {
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'data_summary.json',
      'metrics.json',
      'model.safetensors',
      'quantization.json',
      'report.json',
      'special_tokens_map.json',
      'split.json',
      'test_predictions.jsonl',
      'tokenizer.json',
      'tokenizer_config.json',
      'training_args.json',
      'vocab.txt',
    ]);
    const config = readJson(join(out, 'config.json'));
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
    expect(config.label2id).toEqual({ negative: 0, positive: 1 });
    expect(config.problem_type).toBe('single_label_classification');
    expect(readJson(join(out, 'tokenizer_config.json')).model_max_length).toBe(64);
    expect(readJson(join(out, 'special_tokens_map.json')).cls_token).toBe('[CLS]');
    const args = readJson(join(out, 'training_args.json'));
    expect(args).toMatchObject({
      num_train_epochs: 2,
      learning_rate: 1e-3,
      per_device_train_batch_size: 16,
      weight_decay: 0.01,
      warmup_ratio: 0.1,
      lr_scheduler_type: 'linear',
      seed: 42,
      finetune_studio: { mode: 'head', max_length: 64 },
    });
    const summary = readJson(join(out, 'data_summary.json'));
    expect(summary).toMatchObject({ rows: 1000, splits: { train: 800, validation: 100, test: 100 } });
  });

  it('records how the file was read and the split by data row, for train.py', () => {
    expect(readJson(join(out, 'training_args.json')).finetune_studio).toMatchObject({
      csv: { encoding: 'utf-8', delimiter: ',', header: true, quoting: true },
      case_fold: false,
      drop_duplicates: false,
      split_seed: 42,
      split_fractions: [0.8, 0.1, 0.1],
    });
    const split = readJson(join(out, 'split.json'));
    expect(split).toMatchObject({ format: 'finetune-studio-split/1', file_rows: 1000, kept_rows: 1000 });
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([800, 100, 100]);
    const rows = [...split.train, ...split.validation, ...split.test].sort((a: number, b: number) => a - b);
    expect(rows).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(split.rows_crc32).toMatch(/^[0-9a-f]{8}$/);
  });

  it('records history and test metrics as fractions', () => {
    const metrics = readJson(join(out, 'metrics.json'));
    expect(metrics.history).toHaveLength(2);
    for (const entry of metrics.history) {
      expect(entry).toMatchObject({
        step: expect.any(Number),
        epoch: expect.any(Number),
        train_loss: expect.any(Number),
      });
      expect(entry.eval.accuracy).toBeGreaterThanOrEqual(0);
      expect(entry.eval.accuracy).toBeLessThanOrEqual(1);
    }
    expect(metrics.test.accuracy).toBeGreaterThan(0);
    expect(metrics.test.accuracy).toBeLessThanOrEqual(1);
    expect(metrics.test.macro_f1).toBeLessThanOrEqual(1);
    expect(metrics.test.confusion_matrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(100);
    const lines = readFileSync(join(out, 'test_predictions.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(100);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({
      row: expect.any(Number),
      text: expect.any(String),
      label: expect.any(String),
    });
    expect(Object.keys(first.probabilities)).toEqual(['negative', 'positive']);
    const correct = lines.filter((l) => {
      const p = JSON.parse(l);
      return p.label === p.predicted;
    }).length;
    expect(correct / 100).toBeCloseTo(metrics.test.accuracy, 10);
  });

  it('prints a summary and writes the full report to report.json', () => {
    const metrics = readJson(join(out, 'metrics.json'));
    const report = readJson(join(out, 'report.json'));
    expect(report.labels).toEqual(['negative', 'positive']);
    expect(report.test.confusion_matrix).toEqual(metrics.test.confusion_matrix);
    expect(report.test.per_class.map((c: { label: string }) => c.label)).toEqual(['negative', 'positive']);
    expect(report.validation.n).toBe(100);
    expect(stdout).toMatch(/^test: loss \d\.\d{4}, accuracy /m);
    // Two labels: the whole per-class table and matrix fit on the terminal.
    expect(stdout).toContain('confusion matrix (rows: true label, columns: predicted)');
    expect(stdout).toContain(`per-class figures and confusion matrices: ${join(out, 'report.json')}`);
  });

  it('checks the int8 model on validation with --int8-check, so export can ship it', () => {
    const check = readJson(join(out, 'quantization.json'));
    expect(check).toMatchObject({ split: 'validation', rows: 100, metric: 'accuracy' });
    expect(check.agreement).toBeGreaterThanOrEqual(0);
    expect(check.agreement).toBeLessThanOrEqual(1);
    expect(stdout).toMatch(/^int8 check on 100 validation rows: same decision as the float model for /m);
    const zip = join(dir, 'yelp-head.zip');
    const exported = cli('export', out, '--out', zip);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).not.toContain('--int8-check');
    if (check.accepted) expect(exported.stdout).not.toContain('Left out onnx/model_quantized.onnx');
    else expect(exported.stdout).toContain('did not decide like the float model closely enough');
  });

  it('loads in transformers with the same probabilities', async () => {
    requirePython();
    const script = `
import json, sys, torch
from transformers import AutoTokenizer, AutoModelForSequenceClassification
out = sys.argv[1]
tok = AutoTokenizer.from_pretrained(out)
model = AutoModelForSequenceClassification.from_pretrained(out).eval()
rows = [json.loads(l) for l in open(out + '/test_predictions.jsonl')]
enc = tok([r['text'] for r in rows], padding=True, truncation=True, return_tensors='pt')
with torch.no_grad():
    p = model(**enc).logits.softmax(-1)
worst = max(abs(p[i][j].item() - r['probabilities'][model.config.id2label[j]]) for i, r in enumerate(rows) for j in range(2))
print(json.dumps({'worst': worst, 'max_length': tok.model_max_length}))
`;
    const run = await runPython(['-c', script, out], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const { worst, max_length } = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(max_length).toBe(64);
    expect(worst).toBeLessThan(1e-4);
  });

  it('evaluate on the test rows gives the run’s test metrics', () => {
    const rows = readFileSync(join(out, 'test_predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; label: string });
    const csv = join(dir, 'test-rows.csv');
    const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
    writeFileSync(csv, ['text,label', ...rows.map((r) => `${quote(r.text)},${r.label}`)].join('\n') + '\n');
    const result = cli('--json', 'evaluate', csv, '--model', out);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const metrics = readJson(join(out, 'metrics.json'));
    expect(report.rows).toBe(100);
    expect(report.maxLength).toBe(64);
    expect(report.metrics.accuracy).toBeCloseTo(metrics.test.accuracy, 10);
    expect(report.metrics.macro_f1).toBeCloseTo(metrics.test.macro_f1, 10);
    expect(Math.abs(report.metrics.loss - metrics.test.loss)).toBeLessThan(1e-5);
    expect(report.confusion_matrix).toEqual(metrics.test.confusion_matrix);
  });

  it('refuses a non-empty --out without --force', () => {
    const result = cli('train', YELP, '--model', SEQCLS, '--mode', 'head', '--out', out);
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(/^finetune-studio: --out .* is not empty; .*--force/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects bad settings in one line', () => {
    const bad = cli('train', YELP, '--model', SEQCLS, '--mode', 'sideways', '--out', join(dir, 'bad'));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('finetune-studio: --mode must be head, top-k or full, got "sideways"');
    const lr = cli(
      'train',
      YELP,
      '--model',
      SEQCLS,
      '--mode',
      'full',
      '--lr',
      'fast',
      '--out',
      join(dir, 'bad'),
    );
    expect(lr.stderr.trim()).toBe('finetune-studio: --lr must be a positive number, got "fast"');
    const layers = cli(
      'train',
      YELP,
      '--model',
      SEQCLS,
      '--mode',
      'top-k',
      '--layers',
      '5',
      '--out',
      join(dir, 'bad'),
    );
    expect(layers.status).toBe(1);
    expect(layers.stderr).toMatch(/layers 5 exceeds the model's 2 transformer blocks/);
    expect(existsSync(join(dir, 'bad', 'model.safetensors'))).toBe(false);
  });
});

describe('finetune-studio train (multi-label, top-k)', () => {
  it('trains the top block on NLU++ and writes thresholds tuned on validation', () => {
    // The first 400 banking rows keep the run short.
    const source = readFileSync(join(dataDir(), 'nlu_plus_plus', 'banking.csv'), 'utf8').split('\n');
    const csv = join(dir, 'nlu.csv');
    writeFileSync(csv, source.slice(0, 401).join('\n') + '\n');
    const out = join(dir, 'nlu-top1');
    const result = cli(
      'train',
      csv,
      '--model',
      SEQCLS,
      '--mode',
      'top-k',
      '--layers',
      '1',
      '--epochs',
      '1',
      '--lr',
      '1e-3',
      '--max-length',
      '32',
      '--class-weights',
      'balanced',
      '--out',
      out,
    );
    expect(result.status, result.stderr).toBe(0);
    const config = readJson(join(out, 'config.json'));
    expect(config.problem_type).toBe('multi_label_classification');
    const labels = Object.values(config.id2label) as string[];
    // Many labels: the terminal gets the weakest classes; every class is in report.json.
    expect(labels.length).toBeGreaterThan(10);
    expect(result.stdout).toMatch(new RegExp(`weakest \\d+ of ${labels.length} classes by F1:`));
    expect(result.stdout.split('\n').length).toBeLessThan(20);
    expect(readJson(join(out, 'report.json')).test.per_class).toHaveLength(labels.length);
    const thresholds = readJson(join(out, 'thresholds.json')).thresholds;
    expect(Object.keys(thresholds)).toEqual(labels);
    const metrics = readJson(join(out, 'metrics.json'));
    for (const key of ['micro_f1', 'macro_f1', 'subset_accuracy', 'hamming_loss']) {
      expect(metrics.test[key]).toBeGreaterThanOrEqual(0);
      expect(metrics.test[key]).toBeLessThanOrEqual(1);
    }
    expect(metrics.test.thresholds).toEqual(labels.map((l) => thresholds[l]));
    const first = JSON.parse(readFileSync(join(out, 'test_predictions.jsonl'), 'utf8').split('\n')[0]!);
    expect(Array.isArray(first.label)).toBe(true);
    expect(readJson(join(out, 'training_args.json')).finetune_studio).toMatchObject({
      mode: 'top-k',
      layers: 1,
      class_weights: 'balanced',
      // The columns as mapped, and the base model as the folder it is (no Hub link in the card).
      text_column: 'text',
      text_columns: ['text'],
      label_column: 'labels',
      label_separator: '|',
      base_model: 'distilbert-tiny-seqcls',
      base_model_origin: 'folder',
    });
  });
});
