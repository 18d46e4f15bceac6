// Frozen-layer caches over the memory budget go to OPFS in a real Chromium worker: the harness
// forces a tiny budget, and the cache must spill, say so, read back what the memory cache holds,
// and leave no file behind (sweeping one a crashed run left).
import { expect, test, type Page } from '@playwright/test';
import { buildHarness, callHarness, openHarness, startHarness, type RunningHarness } from './harness/host.ts';

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

test('a cache over the memory budget spills to OPFS and reads back the memory cache’s rows', async () => {
  const lengths = [5, 1, 3, 8, 2, 7];
  const dim = 24;
  const report = await callHarness(page, 'opfsCache', { lengths, dim, budgetBytes: 1000 });
  const bytes = lengths.reduce((a, b) => a + b, 0) * dim * 4;
  expect(report.spilled).toBe(true);
  expect(report.byteLength).toBe(bytes);
  expect(report.notices).toEqual([
    `The frozen layers' output for 6 examples (2.5 kB) is over the 1.0 kB memory budget: cached in OPFS (the browser's private storage for this site) instead, read back from disk each epoch.`,
  ]);
  expect(report.compared).toBeGreaterThan(0);
  expect(report.maxDiff).toBe(0);
  // The crashed run's file was swept when this run opened its own.
  expect(report.whileOpen).toEqual(['harness-run.0.f32']);
  expect(report.afterDispose).toEqual([]);
});
