// A student of another model in the train worker: a DistilBERT teacher (the loaded model) distilled
// into a ModernBERT student with its own tokenizer. The teacher's outputs come from its own
// tokenization, the student trains on its own, and its predictions, prediction speed, export and
// reattachment after a reload all read the student's model and tokenizer.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { strFromU8, unzipSync } from 'fflate';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bytesFromString } from '../core/csv/index.ts';
import { importDataset, splitDataset } from '../core/dataset/index.ts';
import type * as distill from '../core/distill/index.ts';
import type { TeacherLogits } from '../core/distill/index.ts';
import { loadModel, probabilitiesOf, type LoadedModel } from '../core/model/index.ts';
import { encodeDataset, encodeTexts, loadTokenizer, type EncodedDataset } from '../core/tokenize/index.ts';
import { defaultTrainConfig, type TrainConfig } from '../core/train/config.ts';
import { directoryModelSource } from '../node/model-source.ts';
import { dataDir, fixtureModelDir } from '../node/paths.ts';
import { requirePython, runPython } from '../node/python.ts';
import type { RunExportRequest, StudentSummary, TrainCommand, TrainEvent } from './protocol.ts';
import { runEvents, type RunRecordOfEvents } from './test-support/run-events.ts';

vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
// onnxruntime-node stands in for onnxruntime-web, whose wasm the page's bundler places.
vi.mock('./ort-runtime.ts', async () => {
  const { loadNodeOrt } = await import('../node/ort-runtime.ts');
  return { loadWebOrt: () => loadNodeOrt(), wasmThreads: () => 1 };
});
let loaded: LoadedModel | null = null;
vi.mock('./modelHost.ts', () => ({ currentModel: () => loaded, currentModelSource: () => 'teacher base' }));
// Records the data each teacher's logits are computed on.
const teacherInputs: { data: EncodedDataset; logits: TeacherLogits }[] = [];
vi.mock('../core/distill/index.ts', async (original) => {
  const actual = await original<typeof distill>();
  return {
    ...actual,
    computeTeacherLogits: async (...args: Parameters<typeof actual.computeTeacherLogits>) => {
      const logits = await actual.computeTeacherLogits(...args);
      teacherInputs.push({ data: args[1], logits });
      return logits;
    },
  };
});
const { attachRun, dropRun, exportRun, loadStudent, predict, predictionSpeed, startRun } =
  await import('./runHost.ts');

const TEACHER_BASE = fixtureModelDir('distilbert-tiny-seqcls');
const STUDENT_DIR = fixtureModelDir('modernbert-tiny-mlm-f16');
const LABELS = ['negative', 'positive'];

const config: TrainConfig = {
  ...defaultTrainConfig('full'),
  epochs: 3,
  batchSize: 16,
  evalBatchSize: 32,
  learningRate: 3e-3,
  dropout: false,
};

let teacherData: EncodedDataset;
let studentData: EncodedDataset;
let work: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  work = mkdtempSync(join(tmpdir(), 'student-model-'));
  // Every fifth review of yelp.csv: 200 rows, both labels.
  const lines = readFileSync(join(dataDir(), 'uci_sentiment', 'yelp.csv'), 'utf8')
    .trimEnd()
    .split('\n');
  const csv = [lines[0], ...lines.slice(1).filter((_, i) => i % 5 === 0)].join('\n');
  const { dataset } = await importDataset(bytesFromString(csv));
  const split = splitDataset(dataset, { seed: 1 });
  loaded = await loadModel(directoryModelSource(TEACHER_BASE), {
    labels: LABELS,
    problemType: 'single_label_classification',
  });
  const teacherTokenizer = await loadTokenizer(directoryModelSource(TEACHER_BASE));
  const studentTokenizer = await loadTokenizer(directoryModelSource(STUDENT_DIR));
  teacherData = (await encodeDataset(teacherTokenizer, dataset, split, { maxLength: 64 })).encoded;
  studentData = (await encodeDataset(studentTokenizer, dataset, split, { maxLength: 32 })).encoded;
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs one train command to its end: the outcome, or the error's message, every notice and loss. */
async function run(
  command: Omit<Extract<TrainCommand, { type: 'train' }>, 'type' | 'config'>,
): Promise<RunRecordOfEvents> {
  const events: TrainEvent[] = [];
  await startRun({ type: 'train', config, ...command }, (event) => events.push(event));
  return runEvents(events);
}

/** The student model's folder as a dropped folder. */
function droppedFolder(dir: string): File[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.startsWith('reference'))
    .map((entry) => entry.name)
    .map((name) => new File([readFileSync(join(dir, name))], name));
}

async function load(runId: string, dir: string): Promise<TrainEvent> {
  const events: TrainEvent[] = [];
  await loadStudent(
    {
      type: 'loadStudent',
      requestId: `load-${runId}`,
      runId,
      source: { kind: 'files', label: 'student', files: droppedFolder(dir) },
      labels: LABELS,
      multiLabel: false,
      seed: 7,
    },
    (event) => events.push(event),
  );
  return events.find((event) => event.type === 'studentLoaded' || event.type === 'error')!;
}

/** Row i's token ids of a split. */
const tokens = (split: EncodedDataset['test'], i: number) =>
  Array.from(split.ids.subarray(split.offsets[i]!, split.offsets[i + 1]!));

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

describe('a student of another model in the train worker', () => {
  let student: Awaited<ReturnType<typeof run>>;
  let summary: StudentSummary;

  beforeAll(async () => {
    const teacher = await run({ runId: 'teacher', data: teacherData });
    expect(teacher.error).toBeNull();
    const answer = await load('student', STUDENT_DIR);
    if (answer.type !== 'studentLoaded') throw new Error(JSON.stringify(answer));
    expect(answer.files.tokenizerFiles['tokenizer.json']).toBe(
      readFileSync(join(STUDENT_DIR, 'tokenizer.json'), 'utf8'),
    );
    summary = answer.summary;
    student = await run({
      runId: 'student',
      data: studentData,
      distill: {
        teacherRunId: 'teacher',
        student: { kind: 'model', teacherData },
        alpha: 0.5,
        temperature: 2,
      },
    });
  }, 300_000);

  it('loads the student with its own family, layers and a head for the data’s labels', () => {
    expect(summary).toMatchObject({ modelType: 'modernbert', layers: 4, maxPositionEmbeddings: 48 });
    expect(summary.message).toMatch(/classifier/i);
  });

  it('trains the student: the loss goes down over the steps', () => {
    expect(student.error).toBeNull();
    expect(student.outcome?.reason).toBe('completed');
    expect(student.notices.some((n) => /modernbert with 4 layers/.test(n))).toBe(true);
    const third = Math.floor(student.losses.length / 3);
    expect(third).toBeGreaterThan(1);
    expect(mean(student.losses.slice(-third))).toBeLessThan(mean(student.losses.slice(0, third)));
  });

  it('computes the teacher’s outputs on the teacher’s tokenization, row for row the student’s', async () => {
    const used = teacherInputs.at(-1)!;
    expect(used.data).toBe(teacherData);
    // A row the two tokenizers cut into different numbers of tokens.
    const { train } = teacherData;
    const differs = Array.from({ length: train.rows.length }, (_, i) => i).find(
      (i) => tokens(train, i).length !== tokens(studentData.train, i).length,
    );
    expect(differs).toBeDefined();
    expect(teacherData.train.rows).toEqual(studentData.train.rows);
    // Those outputs are the teacher run's predictions of its own tokenization of the same rows.
    const { probabilities } = await predict('teacher', train.ids, train.offsets);
    const fromLogits = probabilitiesOf(used.logits.train, LABELS.length, 'single_label_classification');
    for (let i = 0; i < probabilities.length; i++) {
      expect(Math.abs(probabilities[i]! - fromLogits[i]!)).toBeLessThan(1e-4);
    }
  });

  it('predicts on the student’s tokenization, and refuses the loaded model’s ids in one line', async () => {
    const { test } = studentData;
    const { probabilities, numLabels } = await predict('student', test.ids, test.offsets, 'student');
    expect(numLabels).toBe(2);
    // The evaluation at the end of training read the same tokenization.
    const kept = student.outcome!.testPredictions!.probabilities;
    for (let i = 0; i < kept.length; i++) expect(Math.abs(probabilities[i]! - kept[i]!)).toBeLessThan(1e-4);
    await expect(predict('student', teacherData.test.ids, teacherData.test.offsets)).rejects.toThrow(
      /^this run has its own model and tokenizer: encode the rows with the run's tokenizer[^\n]*$/,
    );
    await expect(predict('teacher', test.ids, test.offsets, 'student')).rejects.toThrow(
      /encoded with another run's tokenizer/,
    );
  });

  it('times each run on its own tokenization of the same rows', async () => {
    const { rowsPerSecond, rows } = await predictionSpeed([
      { runId: 'teacher', split: teacherData.test, padTokenId: teacherData.padTokenId, maxLength: 64 },
      {
        runId: 'student',
        split: studentData.test,
        padTokenId: studentData.padTokenId,
        maxLength: 32,
        tokenizer: 'student',
      },
    ]);
    expect(rows).toBe(teacherData.test.rows.length);
    expect(rowsPerSecond.every((speed) => speed > 0)).toBe(true);
    await expect(
      predictionSpeed([{ runId: 'student', split: teacherData.test, padTokenId: 0, maxLength: 64 }]),
    ).rejects.toThrow(/own model and tokenizer/);
  });

  describe('the student’s export', () => {
    let files: Record<string, Uint8Array>;
    const request: RunExportRequest = {
      baseModel: 'modernbert-tiny-mlm-f16',
      baseModelOrigin: { kind: 'folder' },
      maxLength: 32,
      metrics: {},
      dataSummary: { rows: 200 },
      distillation: { teacher: 'teacher', student: { model: 'modernbert-tiny-mlm-f16', layers: 4 } },
    };

    beforeAll(async () => {
      const { zip } = await exportRun('student', request);
      files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    }, 120_000);

    const text = (name: string) => {
      const entry = Object.keys(files).find((path) => path.endsWith(`/${name}`) || path === name);
      if (!entry) throw new Error(`no ${name} in ${Object.keys(files).join(', ')}`);
      return strFromU8(files[entry]!);
    };

    it('holds the student’s config, tokenizer and model card', () => {
      const config = JSON.parse(text('config.json'));
      expect(config.model_type).toBe('modernbert');
      expect(config.num_hidden_layers).toBe(4);
      expect(config.id2label).toEqual({ 0: 'negative', 1: 'positive' });
      expect(JSON.parse(text('tokenizer.json'))).toEqual(
        JSON.parse(readFileSync(join(STUDENT_DIR, 'tokenizer.json'), 'utf8')),
      );
      expect(text('README.md')).toContain('modernbert-tiny-mlm-f16');
      expect(JSON.parse(text('training_args.json')).finetune_studio.distillation.student.model).toBe(
        'modernbert-tiny-mlm-f16',
      );
    });

    it('classifies in Python transformers as the studio does', async () => {
      requirePython();
      const folder = join(work, 'export');
      for (const [path, bytes] of Object.entries(files)) {
        if (path.endsWith('/')) continue;
        const inside = path.split('/').slice(1).join('/') || path;
        mkdirSync(dirname(join(folder, inside)), { recursive: true });
        writeFileSync(join(folder, inside), bytes);
      }
      const texts = ['The food was great and the staff friendly.', 'Cold fries, rude waiter, never again.'];
      const script = `
import json, sys, torch
from transformers import AutoTokenizer, AutoModelForSequenceClassification
tok = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModelForSequenceClassification.from_pretrained(sys.argv[1]).eval()
enc = tok(json.loads(sys.argv[2]), padding=True, truncation=True, max_length=32, return_tensors='pt')
with torch.no_grad():
    p = model(**enc).logits.softmax(-1)
print(json.dumps({'ids': [[int(t) for t, m in zip(row, mask) if m] for row, mask in zip(enc['input_ids'], enc['attention_mask'])], 'p': p.tolist()}))
`;
      const result = await runPython(['-c', script, folder, JSON.stringify(texts)], { timeoutMs: 120_000 });
      expect(result.code, result.stderr).toBe(0);
      const python = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
        ids: number[][];
        p: number[][];
      };
      const tokenizer = await loadTokenizer(directoryModelSource(STUDENT_DIR));
      const ours = await encodeTexts(tokenizer, texts, { maxLength: 32 });
      expect(
        texts.map((_, i) => Array.from(ours.ids.subarray(ours.offsets[i]!, ours.offsets[i + 1]!))),
      ).toEqual(python.ids);
      const { probabilities } = await predict('student', ours.ids, ours.offsets, 'student');
      python.p.flat().forEach((p, i) => expect(Math.abs(p - probabilities[i]!)).toBeLessThan(1e-4));
    }, 180_000);
  });

  it('comes back after a reload from its weights and its own model files, without the loaded model', async () => {
    const { test } = studentData;
    const before = await predict('student', test.ids, test.offsets, 'student');
    const weights = new Uint8Array(await student.outcome!.weights!.arrayBuffer());
    // What the page stored of the run: its weights and its own model's files.
    const model = student.outcome!.model!;
    expect(model.config.model_type).toBe('modernbert');
    dropRun('student');
    attachRun({
      type: 'attachRun',
      requestId: 'attach',
      runId: 'student',
      labels: LABELS,
      multiLabel: false,
      config,
      weights,
      model,
    });
    const teacherBase = loaded;
    loaded = null;
    const after = await predict('student', test.ids, test.offsets, 'student');
    loaded = teacherBase;
    after.probabilities.forEach((p, i) => expect(Math.abs(p - before.probabilities[i]!)).toBeLessThan(1e-5));
  }, 60_000);

  it.each([
    [
      'a folder that is not a model',
      () => load('bad', join(dataDir(), 'uci_sentiment')),
      /^The student model could not be loaded: .*config\.json/,
    ],
    [
      'a model of a family the studio does not train',
      () => {
        const folder = join(work, 'gpt2');
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 2 }));
        return load('gpt2', folder);
      },
      /^The student model could not be loaded: .*gpt2.*distilbert/,
    ],
    [
      'a student the worker did not load',
      async () => {
        const { error } = await run({
          runId: 'unloaded',
          data: studentData,
          distill: {
            teacherRunId: 'teacher',
            student: { kind: 'model', teacherData },
            alpha: 0.5,
            temperature: 2,
          },
        });
        return { type: 'error', message: error } as TrainEvent;
      },
      /student model is not loaded/,
    ],
  ])('refuses %s in one line', async (_name, attempt, message) => {
    const answer = await attempt();
    expect(answer.type).toBe('error');
    const line = (answer as Extract<TrainEvent, { type: 'error' }>).message;
    expect(line).toMatch(message);
    expect(line).not.toContain('\n');
  });

  it('refuses a teacher encoding of other rows', async () => {
    const answer = await load('misaligned', STUDENT_DIR);
    expect(answer.type).toBe('studentLoaded');
    const shifted = {
      ...teacherData,
      train: { ...teacherData.train, rows: teacherData.train.rows.map((r) => r + 1) },
    };
    const { error } = await run({
      runId: 'misaligned',
      data: studentData,
      distill: {
        teacherRunId: 'teacher',
        student: { kind: 'model', teacherData: shifted },
        alpha: 0.5,
        temperature: 2,
      },
    });
    expect(error).toMatch(/train splits hold different rows/);
  });
});
