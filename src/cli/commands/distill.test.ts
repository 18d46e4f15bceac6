// `finetune-studio distill` as a user runs it: a teacher trained by `train --out`, then students
// taken from its blocks or given as another model, on the tiny fixtures; the student's folder is
// loaded back by Hugging Face transformers, and bad input gets one line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
const MLM = fixtureModelDir('distilbert-tiny-mlm-f16');
const YELP = join(dataDir(), 'uci_sentiment', 'yelp.csv');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;

let dir: string;
let teacher: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'distill-cli-'));
  teacher = join(dir, 'yelp-teacher');
  const trained = cli(
    'train',
    YELP,
    '--model',
    SEQCLS,
    '--mode',
    'full',
    '--epochs',
    '1',
    '--lr',
    '3e-3',
    '--batch-size',
    '32',
    '--max-length',
    '48',
    '--out',
    teacher,
  );
  if (trained.status !== 0) throw new Error(`train failed (${trained.status}):\n${trained.stderr}`);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('finetune-studio distill --layers', () => {
  let out: string;
  let stdout: string;
  let stderr: string;
  beforeAll(() => {
    out = join(dir, 'student-1');
    const result = cli(
      '--threads',
      '2',
      'distill',
      teacher,
      YELP,
      '--layers',
      '1',
      '--epochs',
      '1',
      '--lr',
      '3e-3',
      '--batch-size',
      '32',
      '--json',
      '--out',
      out,
    );
    if (result.status !== 0) throw new Error(`distill failed (${result.status}):\n${result.stderr}`);
    stdout = result.stdout;
    stderr = result.stderr;
  }, 300_000);

  it('computes on the --threads asked for', () => {
    expect(stderr).toMatch(/^backend: wasm · 2 threads$/m);
  });

  it('writes a run folder as train does, with one of the teacher’s two blocks', () => {
    expect(readdirSync(out).sort()).toEqual(readdirSync(teacher).sort());
    const config = readJson(join(out, 'config.json'));
    expect(config.n_layers).toBe(1);
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
    // The teacher's max length is the student's default.
    expect(readJson(join(out, 'tokenizer_config.json')).model_max_length).toBe(48);
  });

  it('names the teacher and the distillation settings in training_args.json', () => {
    const studio = readJson(join(out, 'training_args.json')).finetune_studio;
    expect(studio.distillation).toMatchObject({
      teacher: 'yelp-teacher',
      teacher_layers: 2,
      teacher_max_length: 48,
      alpha: 0.5,
      temperature: 2,
      student: { layers: 1, teacher_layers: [0] },
    });
    expect(studio.distillation.teacher_test.accuracy).toBeGreaterThan(0);
    expect(studio.mode).toBe('full');
  });

  it('reports the student, the teacher on the same test split and both prediction speeds', () => {
    const report = JSON.parse(stdout);
    expect(report.test.accuracy).toBeGreaterThan(0);
    expect(report.distillation.teacher).toBe('yelp-teacher');
    expect(report.prediction_speed.split).toBe('test');
    expect(report.prediction_speed.teacher_rows_per_s).toBeGreaterThan(0);
    expect(report.prediction_speed.student_rows_per_s).toBeGreaterThan(0);
  });

  it('loads in Hugging Face transformers and predicts what the studio predicted', async () => {
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
print(json.dumps({'worst': worst, 'layers': len(model.distilbert.transformer.layer)}))
`;
    const run = await runPython(['-c', script, out], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const { worst, layers } = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(layers).toBe(1);
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('finetune-studio distill --student', () => {
  it('trains another model of the family, with its own settings, on the teacher’s outputs', () => {
    const out = join(dir, 'student-mlm');
    const result = cli(
      'distill',
      teacher,
      YELP,
      '--student',
      MLM,
      '--alpha',
      '0.3',
      '--temperature',
      '4',
      '--epochs',
      '1',
      '--max-length',
      '32',
      '--out',
      out,
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/teacher \(yelp-teacher\) on the same test split: loss [\d.]+, accuracy/);
    expect(readJson(join(out, 'config.json')).n_layers).toBe(3);
    expect(readJson(join(out, 'tokenizer_config.json')).model_max_length).toBe(32);
    expect(readJson(join(out, 'training_args.json')).finetune_studio.distillation).toMatchObject({
      teacher: 'yelp-teacher',
      teacher_max_length: 48,
      alpha: 0.3,
      temperature: 4,
      student: { model: 'distilbert-tiny-mlm-f16', layers: 3 },
    });
  }, 300_000);
});

describe('finetune-studio distill (multi-label)', () => {
  it('distils a multi-label teacher, which is scored with the thresholds its run tuned', () => {
    const banking = join(dataDir(), 'nlu_plus_plus', 'banking.csv');
    const mlTeacher = join(dir, 'nlu-teacher');
    const trained = cli(
      'train',
      banking,
      '--model',
      SEQCLS,
      '--mode',
      'head',
      '--epochs',
      '1',
      '--max-length',
      '32',
      '--out',
      mlTeacher,
    );
    expect(trained.status, trained.stderr).toBe(0);
    const tuned = readJson(join(mlTeacher, 'thresholds.json')).thresholds as Record<string, number>;
    expect(Object.values(tuned).some((t) => t !== 0.5)).toBe(true);
    const out = join(dir, 'nlu-student');
    const result = cli(
      'distill',
      mlTeacher,
      banking,
      '--layers',
      '1',
      '--epochs',
      '1',
      '--json',
      '--out',
      out,
    );
    expect(result.status, result.stderr).toBe(0);
    const config = readJson(join(out, 'config.json'));
    expect(config.problem_type).toBe('multi_label_classification');
    expect(config.n_layers).toBe(1);
    const teacherTest = JSON.parse(result.stdout).distillation.teacher_test;
    expect(readJson(join(mlTeacher, 'metrics.json')).test.micro_f1).toBeCloseTo(teacherTest.micro_f1, 6);
  }, 300_000);
});

describe('finetune-studio distill refuses bad input in one line', () => {
  const cases: [string, () => string[], number, RegExp][] = [
    [
      'a student deeper than the teacher',
      () => ['--layers', '3'],
      2,
      /--layers 3: the teacher has only 2 layers/,
    ],
    [
      'both --layers and --student',
      () => ['--layers', '1', '--student', MLM],
      2,
      /either --layers .* or --student/,
    ],
    ['alpha above 1', () => ['--alpha', '1.5'], 2, /--alpha must be a number in \[0, 1\], got "1.5"/],
    ['a zero temperature', () => ['--temperature', '0'], 2, /--temperature must be a positive number/],
  ];
  for (const [name, extra, code, message] of cases) {
    it(name, () => {
      const result = cli('distill', teacher, YELP, ...extra(), '--out', join(dir, 'never'));
      expect(result.status).toBe(code);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    });
  }

  it('a teacher trained on other labels', () => {
    // The fixture classifier knows negative, neutral and positive; yelp has no neutral rows.
    const result = cli('distill', SEQCLS, YELP, '--out', join(dir, 'never'));
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/the teacher has neutral, which the data lacks/);
  });

  it('a folder that is not a run', () => {
    const result = cli('distill', dir, YELP, '--out', join(dir, 'never'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/is not a run folder: it needs config.json and model.safetensors/);
  });
});
