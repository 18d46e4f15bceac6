// A model trained elsewhere, back in the studio: a run's exported folder is picked in the Model
// step, scored as it is with "Evaluate as loaded" (a run of no steps), and reaches the runs table
// with the test score of the run that made it; its own export says it was not trained here.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  downloadZip,
  loadTinyModel,
  openData,
  playgroundProbabilities,
  runStatus,
  trainQuickRun,
  watchPage,
} from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');

const TEXT = 'The food was cold and the waiter ignored us.';

/** The test-split cell of a run's row in the runs table. */
function testCell(page: Page, run: string) {
  return page
    .getByRole('table', { name: 'Runs' })
    .getByRole('row')
    .filter({ hasText: run })
    .locator('td')
    .nth(9);
}

test('a folder trained elsewhere is evaluated as loaded, joins the runs table and exports', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const seen = await watchPage(page);
  await page.goto('/?backend=wasm');
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await loadTinyModel(page);

  await page.getByRole('tab', { name: /Train/ }).click();
  // The fixture's classifier is for three labels: a new one is made for the data's two, so there
  // is nothing trained to evaluate.
  await expect(page.getByRole('button', { name: 'Evaluate as loaded' })).toHaveCount(0);
  await trainQuickRun(page, { epochs: '1', batchSize: '64', learningRate: '5e-3' });
  const trainedScore = (await testCell(page, 'Run 1').textContent())!.trim();
  expect(trainedScore).toMatch(/^(0\.\d{3}|1\.000) /);
  const trainedProbabilities = await playgroundProbabilities(page, TEXT, 2);

  await page.getByRole('tab', { name: /Export/ }).click();
  const trained = await downloadZip(page, 'Download model (.zip)');
  const folder = join(mkdtempSync(join(tmpdir(), 'finetune-evaluate-e2e-')), 'yelp-classifier');
  try {
    for (const [name, bytes] of Object.entries(trained)) {
      if (name.endsWith('/')) continue;
      mkdirSync(dirname(join(folder, name)), { recursive: true });
      writeFileSync(join(folder, name), bytes);
    }
    await page.getByRole('tab', { name: /Model/ }).click();
    await page.getByLabel('Choose a model folder').setInputFiles(folder);
    await expect(page.getByRole('region', { name: /Loaded: the folder yelp-classifier/ })).toBeVisible({
      timeout: 120_000,
    });
  } finally {
    rmSync(dirname(folder), { recursive: true, force: true });
  }

  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('button', { name: 'Evaluate as loaded' }).click();
  const runs = page.getByRole('table', { name: 'Runs' });
  await expect(runs).toContainText('yelp-classifier as loaded');
  await expect(runs).toContainText('trained elsewhere, evaluated here');
  await expect(runStatus(page)).toHaveText('done', { timeout: 300_000 });
  // The same weights on the same test split: the score of the run that trained them.
  await expect(testCell(page, 'yelp-classifier as loaded')).toHaveText(trainedScore);
  const row = runs.getByRole('row').filter({ hasText: 'yelp-classifier as loaded' });
  await expect(row.locator('td').nth(3)).toHaveText('as loaded');
  // The playground answers with the loaded model: the trained run's probabilities.
  expect(await playgroundProbabilities(page, TEXT, 2)).toEqual(trainedProbabilities);

  await page.getByRole('tab', { name: /Export/ }).click();
  const evaluated = await downloadZip(page, 'Download model (.zip)');
  const args = JSON.parse(new TextDecoder().decode(evaluated['training_args.json'])) as {
    finetune_studio: Record<string, unknown>;
  };
  expect(args.finetune_studio.evaluated_only).toBe(true);
  expect(new TextDecoder().decode(evaluated['README.md'])).toContain(
    'trained elsewhere and evaluated as it is',
  );
  // The exported weights are the loaded folder's, unchanged.
  expect(
    Buffer.from(evaluated['model.safetensors']!).equals(Buffer.from(trained['model.safetensors']!)),
  ).toBe(true);
  expect(seen.problems).toEqual([]);
});
