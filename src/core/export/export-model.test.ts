import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { directoryModelSource } from '../../node/model-source.ts';
import { fixtureModelDir } from '../../node/paths.ts';
import { ModelGraphs } from '../infer/index.ts';
import { disposeParams, loadModel } from '../model/index.ts';
import { namedTensorsFromParams } from './params.ts';
import { buildExportFiles, buildExportZip, buildExportZipChunks } from './export-model.ts';
import { dataSummaryFrom, mapFolderReader, readExportInput } from './run-folder.ts';
import { decodeSafetensors } from './safetensors.ts';
import {
  familyInput,
  MULTI_LABELS,
  multiLabelInput,
  SEQCLS_LABELS,
  seqclsInput,
} from './test-support/fixtures.ts';
import type { ExportFile, ExportInput } from './types.ts';
import { concatBytes, unzipFolder } from './zip.ts';

const decoder = new TextDecoder();
const fileText = (files: ExportFile[], path: string): string => {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} is not in the export`);
  return decoder.decode(file.bytes);
};
/** Index of the first differing byte, or -1 when equal (fast on megabytes, unlike deep equality). */
function firstDifference(a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined): number {
  if (!a || !b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
const fileJson = (files: ExportFile[], path: string) =>
  JSON.parse(fileText(files, path)) as Record<string, unknown>;

const SINGLE_FILES = [
  'Dockerfile',
  'README.md',
  'config.json',
  'k8s/deployment.json',
  'k8s/hpa.json',
  'k8s/service.json',
  'model.safetensors',
  'onnx/model.onnx',
  'serve.py',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'train.py',
  'training_args.json',
  'vocab.txt',
];

describe('the single-label export', () => {
  let input: ExportInput;
  let files: ExportFile[];
  let notes: string[];

  beforeAll(async () => {
    input = await seqclsInput();
    input = {
      ...input,
      config: { ...input.config, _name_or_path: '/home/analyst/models/base', num_labels: 7 },
    };
    ({ files, notes } = buildExportFiles(input));
  });

  it('holds exactly the Hugging Face, transformers.js and recipe files', () => {
    expect(files.map((f) => f.path)).toEqual(SINGLE_FILES);
  });

  it('writes config.json with the classifier’s architecture, labels and task, and the base fields', () => {
    const config = fileJson(files, 'config.json');
    expect(config.architectures).toEqual(['DistilBertForSequenceClassification']);
    expect(config.id2label).toEqual({ '0': 'negative', '1': 'neutral', '2': 'positive' });
    expect(config.label2id).toEqual({ negative: 0, neutral: 1, positive: 2 });
    expect(config.problem_type).toBe('single_label_classification');
    expect(config.model_type).toBe('distilbert');
    expect([config.dim, config.n_layers, config.n_heads, config.hidden_dim]).toEqual([32, 2, 4, 64]);
    expect(config).not.toHaveProperty('_name_or_path');
    expect(config).not.toHaveProperty('num_labels');
  });

  it("writes onnx/model.onnx byte for byte as the run's inference graph, and ships a kept one as it is", async () => {
    await tf.setBackend('cpu');
    const model = await loadModel(directoryModelSource(fixtureModelDir('distilbert-tiny-seqcls')), {
      labels: [...SEQCLS_LABELS],
    });
    try {
      const kept = await new ModelGraphs(model.config, model.params).graph({ kind: 'logits' });
      const own = { ...input, weights: await namedTensorsFromParams(model.params) };
      const written = buildExportFiles(own).files.find((f) => f.path === 'onnx/model.onnx')!.bytes;
      expect(written.length).toBe(kept.length);
      expect(firstDifference(written, kept)).toBe(-1);
      const shipped = buildExportFiles({ ...own, onnxModel: kept }).files.find(
        (f) => f.path === 'onnx/model.onnx',
      )!.bytes;
      expect(shipped).toBe(kept);
    } finally {
      disposeParams(model.params);
    }
  });

  it('writes float32 weights under Hugging Face names, equal to the input', () => {
    const written = decodeSafetensors(files.find((f) => f.path === 'model.safetensors')!.bytes);
    const original = decodeSafetensors(
      new Uint8Array(readFileSync(join(fixtureModelDir('distilbert-tiny-seqcls'), 'model.safetensors'))),
    );
    expect(written.map((t) => t.name).sort()).toEqual(original.map((t) => t.name).sort());
    for (const tensor of original) {
      const copy = written.find((t) => t.name === tensor.name)!;
      expect(copy.shape).toEqual(tensor.shape);
      expect(firstDifference(copy.data, tensor.data), tensor.name).toBe(-1);
    }
    const header = fileText(files, 'model.safetensors').slice(8, 80);
    expect(header).toContain('"__metadata__":{"format":"pt"}');
  });

  it('sets the run’s max length in tokenizer_config.json and writes special_tokens_map.json', () => {
    const tokenizerConfig = fileJson(files, 'tokenizer_config.json');
    expect(tokenizerConfig.model_max_length).toBe(64);
    expect(tokenizerConfig.do_lower_case).toBe(true);
    expect(fileJson(files, 'special_tokens_map.json')).toEqual({
      cls_token: '[CLS]',
      mask_token: '[MASK]',
      pad_token: '[PAD]',
      sep_token: '[SEP]',
      unk_token: '[UNK]',
    });
    const dir = fixtureModelDir('distilbert-tiny-seqcls');
    expect(fileText(files, 'tokenizer.json')).toBe(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
    expect(fileText(files, 'vocab.txt')).toBe(readFileSync(join(dir, 'vocab.txt'), 'utf8'));
  });

  it('rebuilds vocab.txt from tokenizer.json when the base model had none', () => {
    const { vocabTxt: _dropped, ...tokenizer } = input.tokenizer;
    const rebuilt = buildExportFiles({ ...input, tokenizer });
    expect(fileText(rebuilt.files, 'vocab.txt')).toBe(
      readFileSync(join(fixtureModelDir('distilbert-tiny-seqcls'), 'vocab.txt'), 'utf8'),
    );
  });

  it('writes training_args.json under TrainingArguments names, without local paths', () => {
    const args = fileJson(files, 'training_args.json');
    expect(args).toMatchObject({
      learning_rate: 5e-5,
      num_train_epochs: 3,
      per_device_train_batch_size: 16,
      lr_scheduler_type: 'linear',
      output_dir: 'outputs',
      finetune_studio: {
        base_model: 'distilbert/distilbert-base-uncased',
        max_length: 64,
        problem_type: 'single_label_classification',
        text_column: 'text',
        label_column: 'label',
        mode: 'full',
      },
    });
    expect(args).not.toHaveProperty('logging_dir');
    expect(notes.join(' ')).toContain('logging_dir');
  });

  it('contains no local path anywhere in its text files', () => {
    for (const file of files) {
      if (file.path.endsWith('.safetensors') || file.path.endsWith('.onnx')) continue;
      const content = decoder.decode(file.bytes);
      expect(
        /\/home\/|\/Users\/|[A-Z]:\\|finetune-export-|secret-project|\/work\//.test(content),
        file.path,
      ).toBe(false);
    }
  });

  it('writes a model card with usage, data aggregates, settings, metrics and limits', () => {
    const card = fileText(files, 'README.md');
    expect(card).toMatch(
      /^---\nlibrary_name: transformers\npipeline_tag: text-classification\nbase_model: "distilbert\/distilbert-base-uncased"/,
    );
    expect(card).toContain('pipeline("text-classification", model="MODEL")');
    expect(card).toContain("pipeline('text-classification', 'MODEL', { dtype: 'fp32' })");
    for (const snippet of card.match(/```(python|js)\n[\s\S]*?```/g) ?? [])
      expect(snippet.split('\n')).toHaveLength(5);
    expect(card).toContain('| 2 | positive | 320 |');
    expect(card).toContain('- Splits: train 800, validation 100, test 100');
    expect(card).toContain('- Check "duplicates removed": 4 rows');
    expect(card).toContain('| learning\\_rate | 5.000e-5 |');
    expect(card).toContain('| accuracy | 0.8100 | 0.8000 |');
    expect(card).toContain('### Per label (test split)');
    expect(card).toContain('| neutral | 0.8100 | 0.7100 | 0.7600 | 11 |');
    expect(card).toContain('| true \\ predicted | negative | neutral | positive |');
    expect(card).toContain('| negative | 8 | 1 | 1 |');
    expect(card).toContain('best validation checkpoint (epoch 2)');
    expect(card).toContain('- Training mode: full fine-tuning');
    expect(card).toContain('## Intended use and limits');
    expect(card).toContain('accelerate launch train.py --data data.csv');
    expect(card).toContain('opset 17');
  });

  it.each([
    [undefined, true, 'distilbert/distilbert-base-uncased'],
    [{ kind: 'hub', url: 'https://huggingface.co/' }, true, 'distilbert/distilbert-base-uncased'],
    [
      { kind: 'hub', url: 'http://127.0.0.1:8802' },
      false,
      'distilbert/distilbert-base-uncased (from a hub on the training machine, not the Hugging Face Hub)',
    ],
    [
      { kind: 'hub', url: 'https://hf-mirror.example' },
      false,
      'distilbert/distilbert-base-uncased (from the hub at https://hf-mirror.example, not the Hugging Face Hub)',
    ],
    [{ kind: 'folder' }, false, 'distilbert/distilbert-base-uncased (a local model folder)'],
  ] as const)(
    'links the base model to the Hugging Face Hub only when it came from there (%j)',
    (origin, linked, text) => {
      const card = fileText(
        buildExportFiles({ ...input, ...(origin ? { baseModelOrigin: origin } : {}) }).files,
        'README.md',
      );
      const link =
        '[distilbert/distilbert-base-uncased](https://huggingface.co/distilbert/distilbert-base-uncased)';
      if (linked) {
        expect(card).toContain(`Fine-tuned from ${link} with Finetune Studio.`);
        expect(card).toContain('base_model: "distilbert/distilbert-base-uncased"');
      } else {
        expect(card).not.toContain('https://huggingface.co/distilbert');
        expect(card).not.toContain('base_model:');
        expect(card).toContain(`Fine-tuned from ${text} with Finetune Studio.`);
      }
    },
  );

  it('gives byte-identical zips for the same checkpoint, whichever way it is built', async () => {
    const again = await seqclsInput();
    const first = buildExportZip(input).zip;
    const second = buildExportZip({ ...again, config: { ...again.config, _name_or_path: '/elsewhere' } }).zip;
    expect(firstDifference(second, first)).toBe(-1);
    expect(firstDifference(concatBytes(buildExportZipChunks(input).chunks), first)).toBe(-1);
  });

  it('can be opened again and re-exported to the same model files', async () => {
    const zip = buildExportZip(input).zip;
    const reopened = await readExportInput(mapFolderReader(unzipFolder(zip)));
    expect(reopened.labels).toEqual(SEQCLS_LABELS);
    expect(reopened.maxLength).toBe(64);
    expect(reopened.baseModel).toBe('distilbert/distilbert-base-uncased');
    const again = buildExportFiles(reopened).files;
    for (const path of [
      'config.json',
      'model.safetensors',
      'onnx/model.onnx',
      'tokenizer_config.json',
      'training_args.json',
    ]) {
      const before = files.find((f) => f.path === path)?.bytes;
      expect(firstDifference(again.find((f) => f.path === path)?.bytes, before), path).toBe(-1);
    }
  });
});

describe('the multi-label export', () => {
  let input: ExportInput;
  let files: ExportFile[];
  let notes: string[];

  beforeAll(async () => {
    input = await multiLabelInput();
    ({ files, notes } = buildExportFiles(input));
  });

  it('adds thresholds.json and shows the thresholds in the card', () => {
    expect(files.map((f) => f.path)).toEqual([...SINGLE_FILES, 'thresholds.json'].sort());
    expect(fileJson(files, 'thresholds.json')).toEqual({
      thresholds: { billing: 0.3, delivery: 0.4, praise: 0.6, refund: 0.5 },
    });
    const card = fileText(files, 'README.md');
    expect(card).toContain('| 3 | praise | 330 | 0.6000 |');
    expect(card).toContain('top_k=None');
    expect(card).toContain('multi-label');
    expect(fileJson(files, 'config.json').problem_type).toBe('multi_label_classification');
    expect(fileJson(files, 'training_args.json').finetune_studio).toMatchObject({
      label_column: 'labels',
      label_separator: '|',
    });
  });

  it('leaves out the pretraining head and says so', () => {
    const names = decodeSafetensors(files.find((f) => f.path === 'model.safetensors')!.bytes).map(
      (t) => t.name,
    );
    expect(names.some((n) => n.startsWith('vocab_'))).toBe(false);
    expect(names).toContain('classifier.weight');
    expect(names.filter((n) => n.startsWith('distilbert.'))).toHaveLength(names.length - 4);
    expect(notes.join(' ')).toMatch(/Left out weights the classifier does not use: .*vocab_projector/);
  });

  it('refuses thresholds that do not fit the labels', () => {
    expect(() => buildExportFiles({ ...input, thresholds: [0.5] })).toThrow(/1 thresholds for 4 labels/);
    expect(() => buildExportFiles({ ...input, thresholds: [0.5, 2, 0.5, 0.5] })).toThrow(/\[0, 1\]/);
    expect(MULTI_LABELS).toHaveLength(4);
  });
});

describe('the model card of another family', () => {
  it('names BERT, with the transformers.js usage and what it does with long texts', async () => {
    const card = fileText(buildExportFiles(await familyInput('bert-tiny-seqcls', 64)).files, 'README.md');
    expect(card).toContain('# BERT text classifier (3 labels, single-label)');
    expect(card).toMatch(
      /tags:\n {2}- text-classification\n {2}- bert\n {2}- onnx\n {2}- transformers\.js\n/,
    );
    expect(card).toContain("pipeline('text-classification', 'MODEL', { dtype: 'fp32' })");
    expect(card).toContain('A text longer than 64 tokens is cut to 64 tokens.');
    expect(card).not.toContain('DistilBERT');
  });

  it.each([
    ['modernbert-tiny-seqcls', 'ModernBERT', 'modernbert'],
    ['deberta-v3-tiny-seqcls', 'DeBERTa-v2', 'deberta-v2'],
  ] as const)(
    'names %s’s family, with its ONNX graph and the transformers.js usage',
    async (name, family, modelType) => {
      const { files } = buildExportFiles(await familyInput(name, 64));
      expect(files.map((f) => f.path)).toContain('onnx/model.onnx');
      const card = fileText(files, 'README.md');
      expect(card).toContain(`# ${family} text classifier`);
      expect(card).toMatch(
        new RegExp(
          `tags:\\n {2}- text-classification\\n {2}- ${modelType}\\n {2}- onnx\\n {2}- transformers\\.js\\n`,
        ),
      );
      expect(card).toContain("pipeline('text-classification', 'MODEL', { dtype: 'fp32' })");
      expect(card).toContain('`--onnx` runs `onnx/model.onnx`');
    },
  );

  it('writes ModernBERT’s config as transformers’ strict config reads it', async () => {
    const { files } = buildExportFiles(await familyInput('modernbert-tiny-seqcls', 64));
    // transformers' strict ModernBertConfig refuses an int where it declares a float.
    expect(fileText(files, 'config.json')).toContain('"initializer_cutoff_factor": 2.0,');
    expect(fileText(files, 'config.json')).toContain('"num_hidden_layers": 3,');
  });
});

describe('export input checks', () => {
  let input: ExportInput;
  beforeAll(async () => {
    input = await seqclsInput();
  });

  it('names a missing or misshapen weight', () => {
    const without = input.weights.filter((w) => !w.name.endsWith('ffn.lin1.bias'));
    expect(() => buildExportFiles({ ...input, weights: without })).toThrow(
      /"distilbert.transformer.layer.0.ffn.lin1.bias" is missing/,
    );
    const wrong = input.weights.map((w) =>
      w.name === 'classifier.weight' ? { ...w, shape: [32, 3], data: w.data } : w,
    );
    expect(() => buildExportFiles({ ...input, weights: wrong })).toThrow(
      /"classifier.weight" has shape \[32, 3\], expected \[3, 32\]/,
    );
  });

  it('refuses labels that do not match the head, repeat or are empty', () => {
    expect(() => buildExportFiles({ ...input, labels: ['a', 'b'] })).toThrow(
      /"classifier.weight" has shape \[3, 32\], expected \[2, 32\]/,
    );
    expect(() => buildExportFiles({ ...input, labels: ['a', 'a', 'b'] })).toThrow(/label "a" appears twice/);
    expect(() => buildExportFiles({ ...input, labels: ['a', '', 'b'] })).toThrow(/label name is empty/);
  });

  it('escapes label names in the model card', () => {
    const labels = ['*bold*', 'a|b', '<script>'];
    const card = fileText(
      buildExportFiles({ ...input, labels, dataSummary: undefined, metrics: undefined }).files,
      'README.md',
    );
    expect(card).toContain('| 0 | \\*bold\\* |');
    expect(card).toContain('| 1 | a\\|b |');
    expect(card).toContain('| 2 | \\<script\\> |');
    expect(card).not.toContain('<script>');
  });

  it('keeps only counts from the data worker’s analysis, never check details or row numbers', () => {
    const summary = dataSummaryFrom({
      kept: 97,
      labelCounts: [
        { label: 'negative', count: 50 },
        { label: 'positive', count: 47 },
      ],
      checks: [
        {
          id: 'dup',
          title: 'Exact duplicates',
          severity: 'dropped',
          count: 3,
          rows: [4, 9, 12],
          detail: 'e.g. "my secret text"',
        },
      ],
      splits: { sizes: { train: 77, validation: 10, test: 10 }, perClass: [], notes: [] },
    });
    expect(summary).toEqual({
      rows: 97,
      labelCounts: { negative: 50, positive: 47 },
      checks: [{ name: 'Exact duplicates', count: 3 }],
      splits: { train: 77, validation: 10, test: 10 },
    });
    const card = fileText(buildExportFiles({ ...input, dataSummary: summary! }).files, 'README.md');
    expect(card).not.toContain('my secret text');
    expect(card).toContain('- Check "Exact duplicates": 3 rows');
    expect(card).not.toContain('Unlabelled rows');
  });

  it('reads the unlabelled rows from the analysis and from the CLI’s data_summary.json', () => {
    expect(dataSummaryFrom({ kept: 97, unlabelled: 12 })).toEqual({ rows: 97, unlabelledRows: 12 });
    const fromCli = dataSummaryFrom({ rows: 97, unlabelled_rows: 1234, label_counts: [] });
    expect(fromCli).toEqual({ rows: 97, unlabelledRows: 1234, labelCounts: {} });
    const card = fileText(buildExportFiles({ ...input, dataSummary: fromCli! }).files, 'README.md');
    expect(card).toContain('- Rows: 97\n- Unlabelled rows, not trained on: 1,234\n');
  });
});
