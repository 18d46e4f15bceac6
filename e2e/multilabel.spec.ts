// The multi-label journey on NLU++ banking intents: the labels column is read as several labels
// per row, training uses sigmoid outputs, the Evaluate step shows multi-label metrics with a
// decision threshold, the playground lights up every label past its threshold, and the export
// carries the thresholds.
import { expect, test, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ARTIFACTS_DIR } from './support/env.ts';
import {
  loadTinyModel,
  openData,
  points,
  privacyViolations,
  runStatus,
  setSetting,
  watchPage,
} from './training.ts';

mkdirSync(ARTIFACTS_DIR, { recursive: true });

const NLU = resolve(import.meta.dirname, 'fixtures/nlu_banking_600.csv');
const TYPED = 'I want to open a new savings account today';

async function shoot(page: Page, name: string): Promise<void> {
  // The step tabs stick to the top; a full-page capture from a scrolled page would float them.
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${ARTIFACTS_DIR}/${name}-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('multi-label: train on NLU++, tune the threshold, classify, export the thresholds', async ({ page }) => {
  test.setTimeout(1_200_000);
  const seen = await watchPage(page);
  const labelsInFile = new Set(
    readFileSync(NLU, 'utf8')
      .split(/\r?\n/)
      .slice(1)
      .flatMap((line) => (line.match(/,([^,"]*)$/)?.[1] ?? '').split('|'))
      .filter(Boolean),
  ).size;
  // Multi-label is the same on every backend; threaded WASM keeps this spec quick (the journey trains on WebGPU).
  await page.goto('/?backend=wasm');
  await openData(page, NLU, 'nlu_banking_600.csv', 'wasm');
  await loadTinyModel(page);

  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('radio', { name: /Quick/ }).check();
  await setSetting(page, 'Epochs', '3');
  await setSetting(page, 'Batch size', '32');
  await setSetting(page, 'Learning rate', '5e-3');
  const metric = page.getByLabel('Metric for the best checkpoint');
  await expect(metric.locator('option', { hasText: 'hamming_loss' })).toHaveCount(1);
  await metric.selectOption('micro_f1');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(runStatus(page)).toHaveText('done', { timeout: 900_000 });
  expect(await points(page, 'Validation metric')).toBeGreaterThanOrEqual(3);
  await expect(page.getByRole('figure', { name: 'Validation metric chart' })).toContainText('micro F1');
  await shoot(page, 'multilabel-train');

  await page.getByRole('tab', { name: /Evaluate/ }).click();
  const metrics = page.getByRole('table', { name: 'Metrics', exact: true });
  for (const name of ['Micro F1', 'Macro F1', 'Subset accuracy', 'Hamming loss'])
    await expect(metrics).toContainText(name);
  const perLabel = page.getByRole('table', { name: 'Per-class metrics' });
  // Every label of the file, unless the Data step's checks set a too-rare one aside.
  const labelCount = (await perLabel.getByRole('row').count()) - 1;
  expect(labelCount).toBeGreaterThan(labelsInFile * 0.8);
  expect(labelCount).toBeLessThanOrEqual(labelsInFile);
  await expect(perLabel).toContainText('Threshold');
  await expect(page.getByRole('table', { name: 'Confusion matrix' })).toHaveCount(0);

  // One threshold for every label: moving it changes the decisions and the table says so.
  await page.getByLabel('Use the per-label thresholds tuned on validation').uncheck();
  const slider = page.getByRole('slider', { name: 'Decision threshold (all labels)' });
  await slider.focus();
  for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowLeft');
  await expect(slider).toHaveValue('0.3');
  await expect(perLabel.getByRole('row').nth(1)).toContainText('0.30');
  const hamming = async () =>
    Number(await metrics.locator('tr[data-metric="hamming_loss"] td').last().textContent());
  for (let i = 0; i < 60; i++) await page.keyboard.press('ArrowRight');
  await expect(slider).toHaveValue('0.9');
  const strict = await hamming();
  // At the lowest threshold every label with any frequency is predicted: many more wrong decisions.
  await page.keyboard.press('Home');
  await expect(slider).toHaveValue('0.05');
  await expect(perLabel.getByRole('row').nth(1)).toContainText('0.05');
  await expect.poll(hamming).toBeGreaterThan(strict);

  await page.getByRole('textbox', { name: 'Text to classify' }).fill(TYPED);
  const bars = page.getByRole('list', { name: 'Label probabilities' }).getByRole('meter');
  await expect(bars).toHaveCount(labelCount, { timeout: 60_000 });
  await expect(page.getByText(/^Labels on: /)).toBeVisible();
  await shoot(page, 'multilabel-evaluate');

  await page.getByRole('tab', { name: /Export/ }).click();
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download model (.zip)' }).click();
  const zip = unzipSync(new Uint8Array(readFileSync(await (await pending).path())));
  const config = JSON.parse(new TextDecoder().decode(zip['config.json'])) as {
    problem_type: string;
    id2label: object;
  };
  expect(config.problem_type).toBe('multi_label_classification');
  expect(Object.keys(config.id2label)).toHaveLength(labelCount);
  const thresholds = JSON.parse(new TextDecoder().decode(zip['thresholds.json'])) as {
    thresholds: Record<string, number>;
  };
  expect(Object.keys(thresholds.thresholds)).toHaveLength(labelCount);
  await shoot(page, 'multilabel-export');

  expect(privacyViolations(page.url(), seen.requests, [TYPED])).toEqual([]);
  expect(seen.problems).toEqual([]);
});
