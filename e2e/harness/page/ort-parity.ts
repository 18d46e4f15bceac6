// The studio's ONNX Runtime engines in Chromium (onnxruntime-web, wasm and WebGPU providers)
// against the tfjs forward pass on the cpu backend, on the fixture checkpoints loaded from the
// hub as the studio loads them: first-token features, hidden states at every cut, logits, and
// classify (the finished run's inference path) over one session called twice. The
// page measures; the spec judges.
import * as tf from '@tensorflow/tfjs-core';
import {
  ModelGraphs,
  openForwardEngine,
  openOrtSessions,
  tfjsEngine,
  type ForwardEngine,
  type ForwardOutput,
  type TokenBatch,
} from '../../../src/core/infer/index.ts';
import { classify, disposeParams, type ModelConfig } from '../../../src/core/model/index.ts';
import { readSafetensors } from '../../../src/core/model/safetensors.ts';
import { createRng } from '../../../src/core/util/random.ts';
import { loadWebOrt } from '../../../src/workers/ort-runtime.ts';
import type { OrtParityCase, OrtParityReport } from '../types.ts';
import { useBackend } from './backends.ts';
import { loadFixture } from './parity.ts';

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return NaN;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    worst = Number.isNaN(d) ? NaN : Math.max(worst, d);
  }
  return worst;
}

/** Right-padded random batches: no padding, mixed, and every row padded. */
function batches(vocabSize: number): TokenBatch[] {
  const rng = createRng('ort-parity');
  // Ordinary words above the special tokens of each fixture's vocabulary, however small.
  const low = Math.min(1000, Math.floor(vocabSize / 2));
  return [
    { lengths: [9], seqLength: 9 },
    { lengths: [16, 2, 11], seqLength: 16 },
    { lengths: [3, 30, 14, 8, 25, 2, 27, 19], seqLength: 32 },
  ].map(({ lengths, seqLength }) => {
    const ids = new Int32Array(lengths.length * seqLength);
    const mask = new Int32Array(ids.length);
    lengths.forEach((length, b) => {
      for (let t = 0; t < length; t++) {
        ids[b * seqLength + t] = t === 0 ? 1 : t === length - 1 ? 2 : low + rng.int(vocabSize - low);
        mask[b * seqLength + t] = 1;
      }
    });
    return { ids, mask, batchSize: lengths.length, seqLength };
  });
}

/** The batches' rows through classify, twice on the ONNX Runtime session, against the tfjs engine. */
async function classifyParity(
  fixture: string,
  config: ModelConfig,
  onnx: ForwardEngine,
  tfjs: ForwardEngine,
): Promise<OrtParityCase> {
  const ids: number[] = [];
  const offsets = [0];
  for (const batch of batches(config.vocabSize)) {
    for (let b = 0; b < batch.batchSize; b++) {
      for (let t = 0; t < batch.seqLength && batch.mask[b * batch.seqLength + t] === 1; t++) {
        ids.push(batch.ids[b * batch.seqLength + t]!);
      }
      offsets.push(ids.length);
    }
  }
  const rows = { ids: Int32Array.from(ids), offsets: Int32Array.from(offsets) };
  const options = { padTokenId: config.padTokenId, batchSize: 4 };
  const expected = await classify(config, rows, { ...options, engine: tfjs });
  let worst = 0;
  for (let round = 0; round < 2; round++) {
    const actual = await classify(config, rows, { ...options, engine: onnx });
    for (const d of [
      maxAbsDiff(actual.logits, expected.logits),
      maxAbsDiff(actual.probabilities, expected.probabilities),
    ]) {
      worst = Number.isNaN(d) ? NaN : Math.max(worst, d);
    }
  }
  return { fixture, output: 'classify', maxAbs: worst, values: expected.logits.length };
}

export async function runOrtParity(options: {
  hubUrl: string;
  engine: 'onnxruntime-web-wasm' | 'onnxruntime-web-webgpu';
  fixtures: string[];
}): Promise<OrtParityReport> {
  const started = performance.now();
  await useBackend('cpu');
  const tensorsBefore = tf.memory().numTensors;
  const backend = options.engine === 'onnxruntime-web-webgpu' ? 'webgpu' : 'wasm';
  const { runtime } = await loadWebOrt({ backend, engine: options.engine });
  if (!runtime) throw new Error(`${options.engine} did not load`);
  const cases: OrtParityCase[] = [];
  for (const name of options.fixtures) {
    const base = `${options.hubUrl}/${name}/resolve/main`;
    const info = await (await fetch(`${base}/reference.json`)).json();
    const bytes = new Uint8Array(await (await fetch(`${base}/reference.safetensors`)).arrayBuffer());
    const reference = new Map(readSafetensors(bytes, 'reference.safetensors').map((t) => [t.name, t]));
    const model = await loadFixture(options.hubUrl, name, info, reference);
    try {
      const graphs = new ModelGraphs(model.config, model.params);
      const outputs: ForwardOutput[] = [
        { kind: 'features' },
        { kind: 'logits' },
        ...Array.from({ length: model.config.nLayers + 1 }, (_, layers) => ({
          kind: 'hidden' as const,
          layers,
        })),
      ];
      for (const output of outputs) {
        const onnx = await openForwardEngine({ runtime, ...model, graphs, output });
        const tfjs = tfjsEngine(model.params, model.config, output);
        let worst = 0;
        let values = 0;
        let classified: OrtParityCase | null = null;
        try {
          for (const batch of batches(model.config.vocabSize)) {
            const actual = await onnx.run(batch);
            const expected = await tfjs.run(batch);
            const d = maxAbsDiff(actual, expected);
            worst = Number.isNaN(d) ? NaN : Math.max(worst, d);
            values += expected.length;
          }
          if (output.kind === 'logits') classified = await classifyParity(name, model.config, onnx, tfjs);
        } finally {
          await onnx.dispose();
        }
        cases.push({
          fixture: name,
          output: output.kind === 'hidden' ? `hidden:${output.layers}` : output.kind,
          maxAbs: worst,
          values,
        });
        if (classified) cases.push(classified);
      }
    } finally {
      disposeParams(model.params);
    }
  }
  return {
    engine: options.engine,
    description: runtime.description,
    cases,
    openSessions: openOrtSessions(),
    tensorLeak: tf.memory().numTensors - tensorsBefore,
    seconds: (performance.now() - started) / 1000,
  };
}
