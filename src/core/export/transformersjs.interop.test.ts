// The unzipped export loaded by transformers.js in Node, as a web page would load it:
// pipeline('text-classification', folder, { dtype: 'fp32' }) must give, for 50 real texts, the
// same top label as our tfjs model and every probability within 1e-4.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { AutoTokenizer, env, pipeline, type TextClassificationPipeline } from '@huggingface/transformers';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directoryModelSource } from '../../node/model-source.ts';
import { disposeParams, loadModel, type LoadedModel } from '../model/index.ts';
import { buildExportZip } from './export-model.ts';
import {
  familyInput,
  multiLabelInput,
  removeDir,
  sampleRows,
  seqclsInput,
  tempDir,
  writeFolder,
} from './test-support/fixtures.ts';
import { scoresOfIds, studioScores } from './test-support/studio-scores.ts';
import type { ExportInput } from './types.ts';
import { unzipFolder } from './zip.ts';

const TEXTS = sampleRows('uci_sentiment/yelp.csv', 50).map((r) => r.text);

interface Scored {
  label: string;
  score: number;
}

describe.each([
  ['single-label', seqclsInput],
  ['multi-label', multiLabelInput],
  ['bert-tiny-seqcls', () => familyInput('bert-tiny-seqcls', 64)],
  ['bert-tiny-pretraining-f16', () => familyInput('bert-tiny-pretraining-f16', 32)],
  ['roberta-tiny-seqcls', () => familyInput('roberta-tiny-seqcls', 64)],
  ['xlm-roberta-tiny-mlm-f16', () => familyInput('xlm-roberta-tiny-mlm-f16', 32)],
  ['modernbert-tiny-seqcls', () => familyInput('modernbert-tiny-seqcls', 64)],
  ['modernbert-tiny-mlm-f16', () => familyInput('modernbert-tiny-mlm-f16', 32)],
  ['deberta-v3-tiny-seqcls', () => familyInput('deberta-v3-tiny-seqcls', 64)],
  ['deberta-v2-tiny-mlm-f16', () => familyInput('deberta-v2-tiny-mlm-f16', 32)],
] as const)('transformers.js on the %s export', (_kind, makeInput) => {
  let input: ExportInput;
  let root: string;
  let folder: string;
  let model: LoadedModel;
  let classifier: TextClassificationPipeline;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    input = await makeInput();
    root = tempDir('transformersjs');
    folder = writeFolder(unzipFolder(buildExportZip(input).zip), join(root, 'model'));
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(folder) + '/';
    classifier = (await pipeline('text-classification', basename(folder), {
      dtype: 'fp32',
    })) as TextClassificationPipeline;
    model = await loadModel(directoryModelSource(folder));
  });

  afterAll(async () => {
    await classifier?.dispose();
    if (model) disposeParams(model.params);
    if (root) removeDir(root);
  });

  // transformers.js cuts a text longer than the max length after adding the special tokens, so
  // the closing one goes with the rest (transformers and the studio keep it; the model card says
  // so). Texts it keeps whole give the studio's scores; a cut text gives the studio model's scores
  // for the ids transformers.js made, which checks the graph apart from that known difference.
  it('gives the studio’s top label and probabilities within 1e-4 for 50 texts', async () => {
    const outputs = (await classifier(TEXTS, { top_k: null })) as unknown as Scored[][];
    const tokenizer = await AutoTokenizer.from_pretrained(basename(folder));
    const theirIds = TEXTS.map((text) =>
      Array.from(tokenizer(text, { truncation: true }).input_ids.data as BigInt64Array, Number),
    );
    const studio = await studioScores(model, folder, TEXTS, input.maxLength);
    const sameIds = (row: number) => {
      const ours = studio.ids[row]!.slice(
        0,
        studio.mask[row]!.reduce((a, b) => a + b, 0),
      );
      return ours.join() === theirIds[row]!.join();
    };
    const cut = TEXTS.map((_, row) => row).filter((row) => !sameIds(row));
    const onTheirIds =
      cut.length === 0
        ? []
        : scoresOfIds(
            model,
            cut.map((row) => theirIds[row]!),
            tokenizer.pad_token_id as number,
          ).probabilities;
    expect(outputs).toHaveLength(TEXTS.length);
    let worst = 0;
    outputs.forEach((scores, row) => {
      const ours = (cut.includes(row) ? onTheirIds[cut.indexOf(row)] : studio.probabilities[row]) as number[];
      const byLabel = new Map(scores.map((s) => [s.label, s.score]));
      expect([...byLabel.keys()].sort()).toEqual([...input.labels].sort());
      input.labels.forEach((label, i) => {
        worst = Math.max(worst, Math.abs((byLabel.get(label) as number) - (ours[i] as number)));
      });
      const ourTop = input.labels[ours.indexOf(Math.max(...ours))];
      expect(scores[0]?.label, `row ${row}: ${TEXTS[row]}`).toBe(ourTop);
    });
    expect(worst).toBeLessThan(1e-4);
    // Only texts over the max length differ in their ids, and by the closing special token alone.
    for (const row of cut) {
      expect(theirIds[row]!.length, `row ${row}`).toBe(input.maxLength);
      expect(theirIds[row]!.slice(0, -1), `row ${row}`).toEqual(
        studio.ids[row]!.slice(0, input.maxLength - 1),
      );
    }
    // Most texts are shorter than the max length, so the comparison with the studio is not vacuous.
    expect(cut.length).toBeLessThan(TEXTS.length / 2);
  });

  it('truncates to the run’s max length, read from tokenizer_config.json', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(basename(folder));
    expect(tokenizer.model_max_length).toBe(input.maxLength);
    const long = TEXTS.join(' ');
    const encoded = tokenizer(long, { truncation: true });
    expect((encoded.input_ids as { dims: number[] }).dims[1]).toBe(input.maxLength);
    const [scores] = (await classifier([long], { top_k: null })) as unknown as Scored[][];
    expect(scores).toHaveLength(input.labels.length);
  });
});
