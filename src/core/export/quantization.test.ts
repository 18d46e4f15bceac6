import { describe, expect, it } from 'vitest';
import { buildExportFiles, buildExportZip } from './export-model.ts';
import { floatLinear, type LinearEmitter } from './onnx/encoder-graph.ts';
import { buildOnnx } from './onnx/graphs.ts';
import { dequantizeColumns, isQuantizedWeight, quantizeColumns } from './onnx/quantize.ts';
import { checkQuantization, quantizationCheckFrom, type QuantizationCheck } from './quantization.ts';
import { buildRunFolderZipChunks } from './run-files.ts';
import { mapFolderReader, readExportInput } from './run-folder.ts';
import { familyInput, seqclsInput } from './test-support/fixtures.ts';
import { zipDifference } from './zip-compare.ts';
import { concatBytes, unzipFolder } from './zip.ts';

describe('int8 weights', () => {
  it('map each column’s largest magnitude to ±127 and stay within half a step of the float', () => {
    const data = Float32Array.from([0.5, -2, 0, -0.2, 1.1, 0, 0.125, 0.3, 0]);
    const q = quantizeColumns(data, 3, 3);
    expect(Array.from(q.values)).toEqual([127, -127, 0, -51, 70, 0, 32, 19, 0]);
    expect(q.scales[0]).toBeCloseTo(0.5 / 127, 9);
    expect(q.scales[2]).toBe(1); // an all-zero column
    const back = dequantizeColumns(q, 3, 3);
    for (let i = 0; i < data.length; i++) {
      expect(Math.abs((back[i] as number) - (data[i] as number))).toBeLessThanOrEqual(
        (q.scales[i % 3] as number) / 2 + 1e-9,
      );
    }
  });
});

// The accuracy check evaluates the model with the weights isQuantizedWeight names dequantized:
// they must be exactly the weights each family's graph sends through its Linear emitter.
describe.each([
  ['distilbert', seqclsInput],
  ['bert', () => familyInput('bert-tiny-seqcls', 64)],
  ['roberta', () => familyInput('roberta-tiny-seqcls', 64)],
  ['xlm-roberta', () => familyInput('xlm-roberta-tiny-mlm-f16', 32)],
  ['modernbert', () => familyInput('modernbert-tiny-seqcls', 64)],
  ['deberta-v2 (shared attention keys)', () => familyInput('deberta-v3-tiny-seqcls', 64)],
  ['deberta-v2 (separate position projections)', () => familyInput('deberta-v2-tiny-mlm-f16', 32)],
] as const)('the int8 weights of a %s graph', (_family, makeInput) => {
  it('are every Linear weight the graph writes, and nothing else', async () => {
    const input = await makeInput();
    const emitted = new Set<string>();
    const recording: LinearEmitter = (graph, x, name, ...rest) => {
      emitted.add(`${name}.weight`);
      return floatLinear(graph, x, name, ...rest);
    };
    buildOnnx(input.config, input.weights, input.labels, { linear: recording });
    const named = input.weights
      .map((w) => w.name)
      .filter((name) => isQuantizedWeight(name))
      .map((name) => name.replace(/^(distilbert|bert|roberta|deberta|model)\./, ''));
    expect(emitted.size).toBeGreaterThan(0);
    expect([...new Set(named)].sort()).toEqual([...emitted].sort());
  });
});

describe('the quantization check', () => {
  // 100 rows, 2 labels; the float model is right on 90.
  const truth = Int32Array.from({ length: 100 }, (_, i) => i % 2);
  const floatScores = Float32Array.from({ length: 200 }, (_, at) => {
    const row = Math.floor(at / 2);
    const predicted = row < 90 ? row % 2 : 1 - (row % 2);
    return at % 2 === predicted ? 0.9 : 0.1;
  });
  const flip = (rows: number[]) => {
    const out = floatScores.slice();
    for (const r of rows) [out[2 * r], out[2 * r + 1]] = [out[2 * r + 1]!, out[2 * r]!];
    return out;
  };

  it('accepts an int8 model that decides like the float one', () => {
    const check = checkQuantization({
      numLabels: 2,
      multiLabel: false,
      truth,
      floatScores,
      quantizedScores: flip([0]),
    });
    expect(check).toMatchObject({
      rows: 100,
      metric: 'accuracy',
      float: 0.9,
      quantized: 0.89,
      agreement: 0.99,
      accepted: true,
    });
  });

  it('refuses one that loses more than a point of accuracy or agrees on fewer than 99% of rows', () => {
    expect(
      checkQuantization({
        numLabels: 2,
        multiLabel: false,
        truth,
        floatScores,
        quantizedScores: flip([0, 1]),
      }).accepted,
    ).toBe(false);
    // Two rows change, one for better and one for worse: accuracy holds, agreement does not.
    expect(
      checkQuantization({
        numLabels: 2,
        multiLabel: false,
        truth,
        floatScores,
        quantizedScores: flip([0, 95]),
      }),
    ).toMatchObject({ float: 0.9, quantized: 0.9, agreement: 0.98, accepted: false });
  });

  it('compares label sets and micro F1 for multi-label models', () => {
    const multiTruth = Uint8Array.from([1, 0, 1, 1, 0, 0]);
    const scores = Float32Array.from([0.9, 0.2, 0.7, 0.6, 0.1, 0.3]);
    const same = checkQuantization({
      numLabels: 2,
      multiLabel: true,
      truth: multiTruth,
      floatScores: scores,
      quantizedScores: scores,
      thresholds: [0.5, 0.5],
    });
    expect(same).toMatchObject({ metric: 'micro_f1', agreement: 1, accepted: true });
    const worse = checkQuantization({
      numLabels: 2,
      multiLabel: true,
      truth: multiTruth,
      floatScores: scores,
      quantizedScores: Float32Array.from([0.9, 0.2, 0.7, 0.4, 0.1, 0.3]),
    });
    expect(worse.agreement).toBeCloseTo(2 / 3, 9);
    expect(worse.accepted).toBe(false);
  });

  it('is decided again under the current margin when read from a run folder', () => {
    const recorded = {
      split: 'validation',
      rows: 100,
      metric: 'accuracy',
      float: 0.9,
      quantized: 0.8,
      agreement: 0.9,
      accepted: true,
    };
    expect(quantizationCheckFrom(recorded)?.accepted).toBe(false);
    expect(quantizationCheckFrom({ rows: 'many' })).toBeUndefined();
  });
});

describe('the export with a quantization check', () => {
  const accepted: QuantizationCheck = {
    split: 'validation',
    rows: 120,
    metric: 'accuracy',
    float: 0.85,
    quantized: 0.8417,
    agreement: 0.9917,
    accepted: true,
  };

  it('writes onnx/model_quantized.onnx only when the check accepted it, and the card says why', async () => {
    const input = await seqclsInput();
    const card = (files: { path: string; bytes: Uint8Array }[]) =>
      new TextDecoder().decode(files.find((f) => f.path === 'README.md')!.bytes);
    const { files: none, notes } = buildExportFiles(input);
    expect(notes.join(' ')).toContain('records no check of the int8 model');
    expect(none.map((f) => f.path)).not.toContain('onnx/model_quantized.onnx');
    expect(card(none)).toContain('had no validation split to check it on');
    const refused = buildExportFiles({
      ...input,
      quantization: { ...accepted, quantized: 0.8, accepted: false },
    }).files;
    expect(refused.map((f) => f.path)).not.toContain('onnx/model_quantized.onnx');
    expect(card(refused)).toContain('did not keep its margin');
    const shipped = buildExportFiles({ ...input, quantization: accepted }).files;
    expect(shipped.map((f) => f.path)).toContain('onnx/model_quantized.onnx');
    expect(card(shipped)).toContain('at least 99.0% of validation rows decided as by the float model');
    expect(card(shipped)).toContain('accuracy 0.8500 (float) and 0.8417 (int8)');
    expect(card(shipped)).toContain('- `onnx/model_quantized.onnx`');
  });

  it('exports to the same bytes through the run folder', async () => {
    const input = { ...(await seqclsInput()), quantization: accepted };
    const folder = unzipFolder(concatBytes(buildRunFolderZipChunks(input)));
    expect([...folder.keys()]).toContain('quantization.json');
    const again = buildExportZip(await readExportInput(mapFolderReader(folder))).zip;
    expect(zipDifference(buildExportZip(input).zip, again)).toBeNull();
  });
});
