// Parity with Hugging Face transformers in real Chromium: the fixture checkpoints, loaded from a
// local hub as the studio loads them, give the reference's last_hidden_state, logits, loss and
// per-parameter gradients on WebGPU (SwiftShader here), WebGL, WASM and CPU, and leak no tensor:
// every family's checkpoints on WebGPU and WASM, one checkpoint per family on WebGL and CPU.
// DeBERTa is left off WebGL: its padded queries attend to fully masked rows, which tfjs-webgl's
// softmax (normalised by a log-sum-exp that absorbs the fill value) does not spread uniformly as
// transformers does; only padded positions' states differ, and the studio trains on WebGPU or WASM.
// The harness page (e2e/harness) measures; this spec judges against each fixture's tolerances.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fixtureModelDir } from '../src/node/paths.ts';
import { buildHarness, callHarness, openHarness, startHarness, type RunningHarness } from './harness/host.ts';
import type { FixtureParity, HarnessBackend } from './harness/types.ts';
import { ARTIFACTS_DIR } from './support/env.ts';

const FIXTURES = [
  'distilbert-tiny-seqcls',
  'distilbert-tiny-mlm-f16',
  'bert-tiny-seqcls',
  'bert-tiny-pretraining-f16',
  'roberta-tiny-seqcls',
  'xlm-roberta-tiny-mlm-f16',
  'modernbert-tiny-seqcls',
  'modernbert-tiny-mlm-f16',
  'deberta-v3-tiny-seqcls',
  'deberta-v2-tiny-mlm-f16',
] as const;
const ONE_PER_FAMILY = [
  'distilbert-tiny-seqcls',
  'bert-tiny-seqcls',
  'roberta-tiny-seqcls',
  'xlm-roberta-tiny-mlm-f16',
] as const;
const BACKENDS: [HarnessBackend, readonly (typeof FIXTURES)[number][]][] = [
  ['webgpu', FIXTURES],
  ['webgl', ONE_PER_FAMILY],
  ['wasm', FIXTURES],
  ['cpu', ONE_PER_FAMILY],
];

interface ReferenceJson {
  loss: number;
  tolerances: {
    logits_max_abs: number;
    last_hidden_state_max_abs: number;
    grad_rel_l2: number;
    'grad_abs_when_norm_below_1e-6': number;
  };
}

function referenceJson(name: (typeof FIXTURES)[number]): ReferenceJson {
  return JSON.parse(readFileSync(resolve(fixtureModelDir(name), 'reference.json'), 'utf8')) as ReferenceJson;
}

function judge(result: FixtureParity): void {
  const ref = referenceJson(result.fixture as (typeof FIXTURES)[number]);
  const tol = ref.tolerances;
  const where = result.fixture;

  // The fixture must exercise padding: rows of several lengths, one of them unpadded.
  const lengths = new Set(result.rows.map((r) => r.tokens));
  expect(lengths.size, `${where}: padding patterns`).toBeGreaterThan(1);
  expect(lengths.has(result.seqLength), `${where}: an unpadded row`).toBe(true);
  for (const row of result.rows) {
    const label = `${where} row ${row.row} (${row.tokens} of ${result.seqLength} tokens)`;
    expect
      .soft(row.hiddenMaxAbs, `${label}: last_hidden_state max abs error`)
      .toBeLessThan(tol.last_hidden_state_max_abs);
    expect.soft(row.logitsMaxAbs, `${label}: logits max abs error`).toBeLessThan(tol.logits_max_abs);
    expect
      .soft(row.aloneLogitsMaxAbs, `${label}: logits of the row alone, unpadded`)
      .toBeLessThan(tol.logits_max_abs);
  }
  expect.soft(Math.abs(result.loss - ref.loss), `${where}: loss error`).toBeLessThan(1e-5);

  expect
    .soft(Math.abs(result.checkpointed.loss - ref.loss), `${where}: loss error with gradient checkpointing`)
    .toBeLessThan(1e-5);
  for (const [how, gradients] of [
    ['', { grads: result.grads, missingGrads: result.missingGrads }],
    [' with gradient checkpointing', result.checkpointed],
  ] as const) {
    const at = `${where}${how}`;
    expect(gradients.missingGrads, `${at}: parameters without a gradient`).toEqual([]);
    expect(gradients.grads.map((g) => g.name).sort(), `${at}: every reference gradient is checked`).toEqual(
      [...result.referenceGradNames].sort(),
    );
    for (const grad of gradients.grads) {
      expect.soft(grad.nonFinite, `${at} ${grad.name}: non-finite gradient values`).toBe(0);
      if (grad.referenceNorm < 1e-6) {
        // Zero in exact arithmetic (k_lin.bias): compared by absolute size.
        expect
          .soft(grad.errorNorm, `${at} ${grad.name}: |grad error| (reference norm ${grad.referenceNorm})`)
          .toBeLessThan(tol['grad_abs_when_norm_below_1e-6']);
      } else {
        expect
          .soft(grad.errorNorm / grad.referenceNorm, `${at} ${grad.name}: relative L2 error`)
          .toBeLessThan(tol.grad_rel_l2);
      }
    }
  }

  expect.soft(result.leaks.forwardLive, `${where}: tensors held by a forward pass's two outputs`).toBe(2);
  expect.soft(result.leaks.forward, `${where}: tensors left after a forward pass`).toBe(0);
  expect.soft(result.leaks.stepChangedWeights, `${where}: the training step updated the weights`).toBe(true);
  expect.soft(result.leaks.trainingStep, `${where}: tensors left after a training step`).toBe(0);
}

test.describe.configure({ mode: 'serial' });

let harness: RunningHarness;
let page: Page;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(240_000);
  await buildHarness('e2e');
  harness = await startHarness('e2e');
  page = await browser.newPage();
  await openHarness(page, harness);
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
});

test.afterAll(async () => {
  await page?.close();
  await harness?.close();
});

for (const [backend, fixtures] of BACKENDS) {
  test(`forward, loss, gradients and no leaks equal transformers on ${backend}`, async () => {
    test.setTimeout(300_000);
    const report = await callHarness(page, 'parity', {
      hubUrl: harness.hubUrl,
      backend,
      fixtures: [...fixtures],
    });
    writeFileSync(resolve(ARTIFACTS_DIR, `parity-${backend}.json`), JSON.stringify(report, null, 2));
    test.info().annotations.push({
      type: 'backend',
      description: `${report.backend.name}${report.backend.adapter ? ` (${report.backend.adapter})` : ''}, ${report.seconds.toFixed(1)} s`,
    });
    expect(report.backend.name).toBe(backend);
    expect(report.fixtures.map((f) => f.fixture)).toEqual([...fixtures]);
    for (const fixture of report.fixtures) judge(fixture);
  });
}
