// `finetune-studio search` as a user runs it: a child process through the bin entry, on the tiny
// fixture model, writing trials.json and the best trial's run folder, which transformers loads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
requirePython();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'search-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as any;

interface TrialRecord {
  number: number;
  params: Record<string, number>;
  value: number | null;
  state: string;
}

describe('finetune-studio search', () => {
  let out: string;
  let stdout: string;
  let stderr: string;
  beforeAll(() => {
    out = join(dir, 'yelp-search');
    const space = join(dir, 'space.json');
    writeFileSync(
      space,
      JSON.stringify({
        num_train_epochs: { low: 1, high: 2 },
        per_device_train_batch_size: { choices: [16, 32] },
      }),
    );
    const result = cli(
      '--threads',
      '2',
      'search',
      YELP,
      '--model',
      SEQCLS,
      '--mode',
      'head',
      '--trials',
      '3',
      '--metric',
      'accuracy',
      '--space',
      space,
      '--max-length',
      '64',
      '--out',
      out,
    );
    if (result.status !== 0) throw new Error(`search failed (${result.status}):\n${result.stderr}`);
    stdout = result.stdout;
    stderr = result.stderr;
  });

  it('computes on the --threads asked for', () => {
    expect(stderr).toMatch(/^backend: wasm · 2 threads$/m);
  });

  it("computes the frozen encoder's features once, on onnxruntime-node, for every trial", () => {
    expect(stderr.match(/^inference engine: .*$/gm)).toEqual([
      expect.stringMatching(/^inference engine: ONNX Runtime \(onnxruntime-node [\d.]+, CPU/),
    ]);
  });

  it('writes trials.json: number, params under training_args.json names, value, state', () => {
    const trials = readJson(join(out, 'trials.json')) as TrialRecord[];
    expect(trials.map((t) => t.number)).toEqual([0, 1, 2]);
    for (const trial of trials) {
      expect(Object.keys(trial).sort()).toEqual(['number', 'params', 'state', 'value']);
      expect(Object.keys(trial.params)).toEqual([
        'learning_rate',
        'num_train_epochs',
        'seed',
        'per_device_train_batch_size',
      ]);
      expect(trial.params.learning_rate).toBeGreaterThanOrEqual(1e-4);
      expect(trial.params.learning_rate).toBeLessThan(1e-2);
      expect([1, 2]).toContain(trial.params.num_train_epochs);
      expect([16, 32]).toContain(trial.params.per_device_train_batch_size);
      expect(trial.state).toBe('complete');
      expect(trial.value).toBeGreaterThan(0);
      expect(trial.value).toBeLessThanOrEqual(1);
    }
    expect(stdout).toMatch(/^3 trials: 3 complete, 0 pruned, 0 failed\./);
  });

  it("writes the best trial's run folder at best/, as train --out does", () => {
    const trials = readJson(join(out, 'trials.json')) as TrialRecord[];
    const best = trials.reduce((a, b) => (b.value! > a.value! ? b : a));
    const bestDir = join(out, 'best');
    expect(readdirSync(bestDir).sort()).toEqual([
      'config.json',
      'data_summary.json',
      'metrics.json',
      'model.safetensors',
      'special_tokens_map.json',
      'test_predictions.jsonl',
      'tokenizer.json',
      'tokenizer_config.json',
      'training_args.json',
      'vocab.txt',
    ]);
    const args = readJson(join(bestDir, 'training_args.json'));
    expect(args).toMatchObject({
      ...best.params,
      metric_for_best_model: 'accuracy',
      greater_is_better: true,
    });
    const metrics = readJson(join(bestDir, 'metrics.json'));
    expect(metrics.best).toMatchObject({ metric: 'accuracy', value: best.value });
    expect(metrics.validation.accuracy).toBe(best.value);
  });

  it('best/ loads in transformers and predicts the test split as its test_predictions.jsonl says', async () => {
    const bestDir = join(out, 'best');
    const script = `
import json, sys, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
d = sys.argv[1]
model = AutoModelForSequenceClassification.from_pretrained(d).eval()
tok = AutoTokenizer.from_pretrained(d)
rows = [json.loads(l) for l in open(d + "/test_predictions.jsonl")]
texts = [r["text"] for r in rows]
with torch.no_grad():
    enc = tok(texts, truncation=True, max_length=64, padding=True, return_tensors="pt")
    pred = model(**enc).logits.argmax(-1).tolist()
labels = [model.config.id2label[i] for i in pred]
print(json.dumps({"agree": sum(a == r["predicted"] for a, r in zip(labels, rows)), "n": len(rows)}))
`;
    const run = await runPython(['-c', script, bestDir], { timeoutMs: 120_000 });
    if (run.code !== 0) throw new Error(run.stderr);
    const { agree, n } = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { agree: number; n: number };
    expect(n).toBe(100);
    expect(agree).toBeGreaterThanOrEqual(99);
  });

  it('rejects bad flags with one line', () => {
    const base = ['search', YELP, '--model', SEQCLS, '--mode', 'head', '--out', join(dir, 'bad')];
    const cases: Array<[string[], RegExp]> = [
      [[], /give a budget: --trials N, --minutes M or both/],
      [['--trials', '2', '--sampler', 'grid'], /--sampler must be tpe or random, got "grid"/],
    ];
    writeFileSync(
      join(dir, 'bad-space.json'),
      JSON.stringify({ learning_rate: { low: 0, high: 1, log: true } }),
    );
    cases.push([
      ['--trials', '2', '--space', join(dir, 'bad-space.json')],
      /learning_rate: a log scale needs low > 0, got 0/,
    ]);
    for (const [extra, message] of cases) {
      const result = cli(...base, ...extra);
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });
});
