// Head-only training end to end in Chromium, as the CLI row of the engines benchmark times it:
// the Banking77 rows as a CSV file, imported, split (all train), tokenized, the checkpoint loaded
// from the hub, the frozen encoder's features computed once on onnxruntime-web (wasm on the page's
// threads; the studio's engine choice), then the head's 3 epochs on the tfjs backend.
import * as tf from '@tensorflow/tfjs-core';
import Papa from 'papaparse';
import { bytesFromArray } from '../../../src/core/csv/source.ts';
import { importDataset } from '../../../src/core/dataset/pipeline.ts';
import { splitDataset } from '../../../src/core/dataset/split.ts';
import { engineOpener } from '../../../src/core/infer/index.ts';
import { disposeParams, hubModelSource, loadModel } from '../../../src/core/model/index.ts';
import { encodeDataset } from '../../../src/core/tokenize/encode.ts';
import { loadTokenizer } from '../../../src/core/tokenize/tokenizer.ts';
import { defaultTrainConfig } from '../../../src/core/train/config.ts';
import { trainModel } from '../../../src/core/train/trainer/index.ts';
import { loadWebOrt } from '../../../src/workers/ort-runtime.ts';
import type { HeadOnlyRunReport, HeadOnlyRunRequest } from '../types.ts';
import { useBackend } from './backends.ts';

/** `rows` rows evenly spaced over the file, as the Node benchmark picks them. */
function subsetCsv(csvText: string, rows: number): { csv: string; rows: number } {
  const parsed = Papa.parse<Record<string, string>>(csvText, { header: true, skipEmptyLines: true });
  const all = parsed.data;
  const take = Math.min(rows, all.length);
  const picked = Array.from({ length: take }, (_, i) => all[Math.floor((i * all.length) / take)]!);
  return { csv: Papa.unparse(picked), rows: take };
}

export async function runHeadOnlyBench(request: HeadOnlyRunRequest): Promise<HeadOnlyRunReport> {
  const backend = await useBackend(request.backend, request.threads);
  const subset = subsetCsv(await (await fetch(request.csvUrl)).text(), request.rows);
  const bytes = new TextEncoder().encode(subset.csv);
  const tensorsBefore = tf.memory().numTensors;
  const started = performance.now();
  const { dataset } = await importDataset(bytesFromArray(bytes));
  const split = splitDataset(dataset, { fractions: [1, 0, 0] });
  const source = hubModelSource(request.repo, { hubUrl: request.hubUrl });
  const tokenizer = await loadTokenizer(source);
  const { encoded } = await encodeDataset(tokenizer, dataset, split, { maxLength: request.maxLength });
  const model = await loadModel(source, { labels: encoded.labels, seed: 42 });
  const ort = await loadWebOrt({ backend: backend.name as 'wasm', threads: request.threads });
  if (!ort.runtime) throw new Error(`onnxruntime-web did not load: ${ort.fallback}`);
  let featuresFrom: number | null = null;
  let featuresSeconds = NaN;
  let engine = '';
  try {
    await trainModel(
      {
        model,
        data: encoded,
        config: { ...defaultTrainConfig('head'), epochs: 3, maxLength: request.maxLength },
        callbacks: {
          featureEngine: async (frozen, output) => {
            const opened = await engineOpener(ort.runtime)(frozen, output);
            engine = opened.description;
            return opened;
          },
        },
      },
      (event) => {
        if (event.type !== 'progress' || event.stage !== 'cache') return;
        featuresFrom ??= performance.now();
        if (event.done === event.total) featuresSeconds = (performance.now() - featuresFrom) / 1000;
      },
    );
  } finally {
    disposeParams(model.params);
  }
  return {
    backend,
    rows: subset.rows,
    labels: encoded.labels.length,
    seconds: (performance.now() - started) / 1000,
    featuresSeconds,
    engine,
    leakedTensors: tf.memory().numTensors - tensorsBefore,
  };
}
