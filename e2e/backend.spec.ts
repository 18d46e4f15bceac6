// The compute backend the studio starts: cross-origin isolated, so WASM runs threaded in the
// train worker; Automatic never picks the software WebGPU adapter (SwiftShader, the only one
// here) over WASM; `?backend=webgpu` still forces it; the Hub on another origin still answers.
import { expect, test } from '@playwright/test';
import { resolve } from 'node:path';
import { APP_URL, HUB_URL } from './support/env.ts';
import { loadTinyModel, openData, trainQuickRun } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');

test('the preview is cross-origin isolated and Automatic picks threaded WASM over SwiftShader', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  const response = await page.goto('/');
  expect(response?.headers()['cross-origin-opener-policy']).toBe('same-origin');
  expect(response?.headers()['cross-origin-embedder-policy']).toBe('credentialless');
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const threads = Math.min(cores, 4);
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toContainText('wasm', { timeout: 60_000 });
  await expect(badge).toContainText(`${threads} thread${threads === 1 ? '' : 's'}`);
  await expect(badge).not.toContainText('chosen');
  // The badge says why the only WebGPU adapter lost.
  expect(await badge.getAttribute('title')).toMatch(
    /webgpu: only a software adapter \(google · swiftshader/i,
  );

  // The Hub lives on another origin: under COEP credentialless its CORS answers are enough.
  expect(new URL(HUB_URL).origin).not.toBe(new URL(APP_URL).origin);
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await loadTinyModel(page);
  const compute = page.getByRole('region', { name: 'Compute' });
  await expect(compute).toContainText(`wasm · ${threads} thread`);
  // A short head-only run trains on the threaded module in the train worker.
  await trainQuickRun(page, { epochs: '1', batchSize: '64' });
  expect(problems).toEqual([]);
});

test('?backend=webgpu forces the software WebGPU adapter for the visit', async ({ page }) => {
  await page.goto('/?backend=webgpu');
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toContainText('webgpu', { timeout: 60_000 });
  await expect(badge).toContainText(/swiftshader/i);
  await expect(badge).toContainText('chosen');
  await expect(badge).not.toContainText('thread');
});
