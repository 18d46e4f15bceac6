// The export in Python: transformers' AutoTokenizer and AutoModelForSequenceClassification load
// the folder unchanged and agree with the studio (ids equal, logits within 1e-4); ONNX Runtime
// (Python) runs onnx/model.onnx; zipfile reads the zip; train.py trains one epoch under
// `accelerate launch`; serve.py (PyTorch and ONNX Runtime) batches concurrent POST /predict
// requests and answers with the studio's labels.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryModelSource } from '../../node/model-source.ts';
import { pythonPath, requirePython, runPython, startPython } from '../../node/python.ts';
import { disposeParams, loadModel, type LoadedModel } from '../model/index.ts';
import { buildExportZip } from './export-model.ts';
import {
  familyInput,
  MULTI_LABELS,
  multiLabelInput,
  removeDir,
  sampleRows,
  seqclsInput,
  tempDir,
  writeFolder,
} from './test-support/fixtures.ts';
import { studioScores, type StudioScores } from './test-support/studio-scores.ts';
import type { ExportInput } from './types.ts';
import { unzipFolder } from './zip.ts';

requirePython();

const ROWS = sampleRows('uci_sentiment/yelp.csv', 50);
const TEXTS = ROWS.map((r) => r.text);
const HF_CHECK = join(dirname(new URL(import.meta.url).pathname), 'test-support', 'hf_check.py');

interface HfCheck {
  zip_damaged_entry: string | null;
  zip_entries: [string, number[], number][];
  tokenizer_class: string;
  model_max_length: number;
  input_ids: number[][];
  attention_mask: number[][];
  logits: number[][];
  onnx_logits: number[][];
  onnx_inputs: { name: string; type: string; shape: (string | number)[] }[] | null;
  onnx_outputs: { name: string; type: string; shape: (string | number)[] }[] | null;
  id2label: Record<string, string>;
  problem_type: string;
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i]?.length);
    row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - (b[i]?.[j] as number)))));
  });
  return worst;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForServer(url: string, deadlineMs: number, output: () => string): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`serve.py did not answer within ${deadlineMs} ms:\n${output().slice(-3000)}`);
}

// Every family's export loads in transformers and, where the family has an ONNX graph, in ONNX
// Runtime; the DistilBERT exports (one per problem type) and a RoBERTa one also run their train.py
// and serve.py.
const EXPORTS: { name: string; makeInput: () => Promise<ExportInput>; scripts: boolean }[] = [
  { name: 'single-label', makeInput: seqclsInput, scripts: true },
  { name: 'multi-label', makeInput: multiLabelInput, scripts: true },
  { name: 'bert-tiny-seqcls', makeInput: () => familyInput('bert-tiny-seqcls', 64), scripts: false },
  {
    name: 'bert-tiny-pretraining-f16',
    makeInput: () => familyInput('bert-tiny-pretraining-f16', 32),
    scripts: false,
  },
  { name: 'roberta-tiny-seqcls', makeInput: () => familyInput('roberta-tiny-seqcls', 64), scripts: true },
  {
    name: 'xlm-roberta-tiny-mlm-f16',
    makeInput: () => familyInput('xlm-roberta-tiny-mlm-f16', 32),
    scripts: false,
  },
  {
    name: 'modernbert-tiny-seqcls',
    makeInput: () => familyInput('modernbert-tiny-seqcls', 64),
    scripts: false,
  },
  {
    name: 'deberta-v3-tiny-seqcls',
    makeInput: () => familyInput('deberta-v3-tiny-seqcls', 64),
    scripts: true,
  },
  {
    name: 'deberta-v2-tiny-mlm-f16',
    makeInput: () => familyInput('deberta-v2-tiny-mlm-f16', 32),
    scripts: false,
  },
];

describe.each(EXPORTS)('Python on the $name export', ({ name: kind, makeInput, scripts }) => {
  let input: ExportInput;
  let root: string;
  let folder: string;
  let zipPath: string;
  let model: LoadedModel;
  let ours: StudioScores;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    input = await makeInput();
    root = tempDir('python');
    const { zip } = buildExportZip(input);
    zipPath = join(root, 'model.zip');
    writeFileSync(zipPath, zip);
    folder = writeFolder(unzipFolder(zip), join(root, 'model'));
    model = await loadModel(directoryModelSource(folder));
    ours = await studioScores(model, folder, TEXTS, input.maxLength);
  });

  afterAll(() => {
    if (model) disposeParams(model.params);
    if (root) removeDir(root);
  });

  it('loads in transformers with the same input ids and logits within 1e-4, and its ONNX graph in onnxruntime', async () => {
    const run = await runPython([HF_CHECK, folder, zipPath], {
      input: JSON.stringify(TEXTS),
      timeoutMs: 180_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const hf = JSON.parse(run.stdout) as HfCheck;

    expect(hf.zip_damaged_entry).toBeNull();
    expect(hf.zip_entries.map((e) => e[0])).toEqual([...hf.zip_entries.map((e) => e[0])].sort());
    expect(new Set(hf.zip_entries.map((e) => e[1].join('-')))).toEqual(new Set(['1980-1-1-0-0-0']));

    expect(hf.model_max_length).toBe(input.maxLength);
    expect(hf.problem_type).toBe(input.problemType);
    expect(Object.values(hf.id2label)).toEqual(input.labels);
    expect(hf.input_ids).toEqual(ours.ids);
    expect(hf.attention_mask).toEqual(ours.mask);
    expect(maxAbsDiff(hf.logits, ours.logits)).toBeLessThan(1e-4);
    expect(maxAbsDiff(hf.onnx_logits, hf.logits)).toBeLessThan(1e-4);

    expect(hf.onnx_inputs).toEqual([
      { name: 'input_ids', type: 'tensor(int64)', shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', type: 'tensor(int64)', shape: ['batch_size', 'sequence_length'] },
    ]);
    expect(hf.onnx_outputs).toEqual([
      { name: 'logits', type: 'tensor(float)', shape: ['batch_size', input.labels.length] },
    ]);
  }, 240_000);

  it.runIf(scripts)('train.py trains one epoch on a small CSV under accelerate launch, offline', async () => {
    const multi = input.problemType === 'multi_label_classification';
    const header = multi ? 'text,labels' : 'text,label';
    const lines = ROWS.slice(0, 40).map((row, i) => {
      const label = multi
        ? [MULTI_LABELS[i % 4], i % 3 === 0 ? MULTI_LABELS[(i + 1) % 4] : undefined].filter(Boolean).join('|')
        : row.label;
      return `"${row.text.replace(/"/g, '""')}",${label}`;
    });
    const csv = join(root, 'small.csv');
    writeFileSync(csv, [header, ...lines].join('\n') + '\n');
    const out = join(root, 'retrained');
    const accelerate = join(dirname(pythonPath()), 'accelerate');
    const launcher = existsSync(accelerate)
      ? ['-m', 'accelerate.commands.launch', '--cpu', '--num_processes', '1']
      : [];
    // The single-label run also exercises the studio's extras: head-only training, class weights
    // and layer-wise learning-rate decay.
    const extras = multi
      ? ['--set', 'finetune_studio.class_weights="balanced"']
      : [
          '--set',
          'finetune_studio.mode="head"',
          '--set',
          'finetune_studio.class_weights="balanced"',
          '--set',
          'finetune_studio.layer_lr_decay=0.8',
        ];
    const run = await runPython(
      [
        ...launcher,
        join(folder, 'train.py'),
        '--data',
        csv,
        '--model',
        '.',
        '--set',
        'num_train_epochs=1',
        ...extras,
        '--output-dir',
        out,
      ],
      { cwd: folder, timeoutMs: 300_000 },
    );
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    const retrained = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as {
      id2label: Record<string, string>;
    };
    expect(Object.values(retrained.id2label)).toEqual(input.labels);
    expect(run.stdout).toContain('"epoch": 1.0');
    if (multi) {
      const tuned = JSON.parse(readFileSync(join(out, 'thresholds.json'), 'utf8')) as {
        thresholds: Record<string, number>;
      };
      expect(Object.keys(tuned.thresholds).sort()).toEqual([...MULTI_LABELS].sort());
    } else {
      // Head only: the head's two Linear layers (32·32 + 32 and 3·32 + 3) train, nothing else.
      expect(run.stdout).toMatch(/training 1155 of \d+ parameters \(mode head\)/);
    }
  });

  it.runIf(kind === 'single-label')(
    'serve.py --onnx on a folder without onnx/model.onnx says so in one line instead of starting',
    async () => {
      const bare = join(root, 'without-onnx');
      cpSync(folder, bare, { recursive: true });
      rmSync(join(bare, 'onnx'), { recursive: true });
      const refused = await runPython([join(bare, 'serve.py'), '--onnx'], { cwd: root, timeoutMs: 60_000 });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr.trim().split('\n').at(-1)).toBe(
        'serve.py: --onnx needs onnx/model.onnx, which this model folder does not have; serve it with PyTorch (without --onnx)',
      );
    },
  );

  it.runIf(scripts).each([
    { backend: 'pytorch', flags: [] },
    { backend: 'onnxruntime', flags: ['--onnx'] },
  ])(
    `serve.py ($backend) on 127.0.0.1 batches concurrent requests and answers with the studio's labels (${kind})`,
    async ({ backend, flags }) => {
      const port = await freePort();
      // A long wait window: requests sent together must meet in one batch whatever the machine's load.
      const server = startPython(
        [
          join(folder, 'serve.py'),
          '--port',
          String(port),
          '--max-wait-ms',
          '300',
          '--max-batch',
          '16',
          ...flags,
        ],
        { cwd: root, maxLifetimeMs: 240_000 },
      );
      try {
        const base = `http://127.0.0.1:${port}`;
        await waitForServer(`${base}/health`, 120_000, server.output);
        await waitForServer(`${base}/ready`, 120_000, server.output);
        const ready = (await (await fetch(`${base}/ready`)).json()) as { backend: string; labels: string[] };
        expect(ready).toMatchObject({ backend, labels: input.labels });

        // 8 requests of 1 to 4 texts at once (20 texts), answered in order, each with its own texts.
        const texts = TEXTS.slice(0, 20);
        const sizes = [1, 4, 2, 3, 1, 4, 2, 3];
        const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
        const answers = await Promise.all(
          sizes.map(async (size, i) => {
            const response = await fetch(`${base}/predict`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ texts: texts.slice(starts[i], (starts[i] as number) + size) }),
              signal: AbortSignal.timeout(60_000),
            });
            expect(response.status).toBe(200);
            return (await response.json()) as {
              predictions: { label: string; labels?: string[]; probabilities: Record<string, number> }[];
            };
          }),
        );
        const predictions = answers.flatMap((answer) => answer.predictions);
        expect(predictions).toHaveLength(texts.length);
        predictions.forEach((prediction, row) => {
          const probabilities = ours.probabilities[row] as number[];
          const top = input.labels[probabilities.indexOf(Math.max(...probabilities))];
          expect(prediction.label).toBe(top);
          input.labels.forEach((label, i) => {
            expect(
              Math.abs((prediction.probabilities[label] as number) - (probabilities[i] as number)),
            ).toBeLessThan(1e-4);
          });
          if (input.problemType === 'multi_label_classification') {
            const expected = input.labels.filter(
              (_, i) => (probabilities[i] as number) >= (input.thresholds?.[i] ?? 0.5),
            );
            expect(prediction.labels).toEqual(expected);
          }
        });
        // The batch counter: every text counted once, in fewer batches than requests, none over 16.
        const stats = (await (await fetch(`${base}/stats`)).json()) as {
          batches: number;
          texts: number;
          requests: number;
          largest_batch_texts: number;
          largest_batch_requests: number;
        };
        expect(stats.texts).toBe(texts.length);
        expect(stats.requests).toBe(sizes.length);
        expect(stats.largest_batch_requests).toBeGreaterThan(1);
        expect(stats.batches).toBeLessThan(sizes.length);
        expect(stats.largest_batch_texts).toBeLessThanOrEqual(16);

        const tooBig = await fetch(`${base}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ texts: ['x'.repeat(1_100_000)] }),
          signal: AbortSignal.timeout(30_000),
        });
        expect(tooBig.status).toBe(413);
        const tooMany = await fetch(`${base}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ texts: Array.from({ length: 257 }, () => 'x') }),
          signal: AbortSignal.timeout(30_000),
        });
        expect(tooMany.status).toBe(413);
        const notTexts = await fetch(`${base}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ texts: 'just one string' }),
          signal: AbortSignal.timeout(30_000),
        });
        expect(notTexts.status).toBe(422);
      } finally {
        await server.stop();
      }
    },
  );
});
