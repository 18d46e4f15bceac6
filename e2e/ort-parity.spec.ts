// The studio's ONNX Runtime engines in Chromium equal the tfjs forward pass within 1e-4 on the
// DistilBERT, ModernBERT and DeBERTa fixture checkpoints (pooled features, hidden states at every cut, logits, and classify,
// the finished runs' inference path, over repeated calls on one session), on
// onnxruntime-web's wasm provider and its WebGPU provider (SwiftShader here), and leave no
// session or tensor behind.
import { expect, test, type Page } from '@playwright/test';
import { buildHarness, callHarness, openHarness, startHarness, type RunningHarness } from './harness/host.ts';

const FIXTURES = [
  'distilbert-tiny-seqcls',
  'distilbert-tiny-mlm-f16',
  'modernbert-tiny-seqcls',
  'modernbert-tiny-mlm-f16',
  'deberta-v3-tiny-seqcls',
  'deberta-v2-tiny-mlm-f16',
];
const ENGINES = ['onnxruntime-web-wasm', 'onnxruntime-web-webgpu'] as const;

test.describe.configure({ mode: 'serial' });

let harness: RunningHarness;
let page: Page;

test.beforeAll(async ({ browser }) => {
  test.setTimeout(240_000);
  await buildHarness('e2e');
  harness = await startHarness('e2e');
  page = await browser.newPage();
  await openHarness(page, harness);
});

test.afterAll(async () => {
  await page?.close();
  await harness?.close();
});

for (const engine of ENGINES) {
  test(`${engine} gives the tfjs features, hidden states, logits and classifications within 1e-4`, async () => {
    test.setTimeout(300_000);
    const report = await callHarness(page, 'ortParity', {
      hubUrl: harness.hubUrl,
      engine,
      fixtures: FIXTURES,
    });
    test.info().annotations.push({
      type: 'engine',
      description: `${report.description}, ${report.seconds.toFixed(1)} s`,
    });
    expect(report.cases.map((c) => c.fixture)).toEqual(expect.arrayContaining(FIXTURES));
    for (const fixture of FIXTURES) {
      expect(report.cases, `${fixture}: classify compared`).toContainEqual(
        expect.objectContaining({ fixture, output: 'classify' }),
      );
    }
    for (const c of report.cases) {
      expect.soft(c.values, `${c.fixture} ${c.output}: values compared`).toBeGreaterThan(0);
      expect.soft(c.maxAbs, `${c.fixture} ${c.output}: max |ORT - tfjs|`).toBeLessThan(1e-4);
    }
    expect(report.openSessions, 'sessions left open').toBe(0);
    expect(report.tensorLeak, 'tfjs tensors left').toBe(0);
  });
}
