// Hyperparameter search in the Train step on the tiny model: a small head-only space, three
// trials; the objective chart and the trials table fill as trials end, the best trial becomes a
// run with its charts, evaluation and export, and another trial promoted is trained again from its
// parameters and seed to the same objective.
import { expect, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chart, loadTinyModel, openData, points, runStatus, setSetting } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const ROWS = 200;
const TRIALS = 3;

test('a search fills its chart and table, keeps the best trial as a run and promotes another', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  const lines = readFileSync(YELP, 'utf8').split(/\r?\n/).filter(Boolean);
  const path = testInfo.outputPath('yelp-200.csv');
  writeFileSync(path, `${lines.slice(0, ROWS + 1).join('\n')}\n`);

  // Trials run the same loop on every backend; threaded WASM keeps this spec quick.
  await page.goto('/?backend=wasm');
  await openData(page, path, 'yelp-200.csv', 'wasm');
  await loadTinyModel(page);
  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('radio', { name: /Quick/ }).check();
  await setSetting(page, 'Batch size', '32');

  const panel = page.getByRole('region', { name: 'Hyperparameter search' });
  const space = panel.getByRole('table', { name: 'Search space' });
  await expect(space.getByRole('rowheader')).toHaveText([
    'learning_rate',
    'num_train_epochs',
    'seed',
    'per_device_train_batch_size',
  ]);
  // Head-only's learning-rate range, searched on a log scale; one or two epochs, two batch sizes.
  await expect(panel.getByLabel('learning_rate low')).toHaveValue('0.0001');
  await expect(panel.getByLabel('learning_rate high')).toHaveValue('0.01');
  await panel.getByLabel('num_train_epochs high').fill('2');
  await panel.getByLabel('per_device_train_batch_size choices').fill('32, 64');
  await panel.getByLabel('Search budget').fill(String(TRIALS));
  await panel.getByLabel('Objective').selectOption('accuracy');
  await panel.getByRole('button', { name: 'Start search' }).click();

  // The chart and the table fill as trials end.
  const objective = panel.getByRole('figure', { name: 'Objective by trial chart' });
  await expect(panel.getByRole('button', { name: 'Pause search' })).toBeVisible({ timeout: 60_000 });
  await expect
    .poll(async () => Number(await objective.getAttribute('data-values')), { timeout: 300_000 })
    .toBeGreaterThanOrEqual(1);
  const summary = panel.getByLabel('Search summary');
  await expect(summary).toHaveText(
    new RegExp(`^${TRIALS} trials ended; best trial (\\d+) \\(accuracy (\\d\\.\\d{4})\\), kept as a run$`),
    { timeout: 300_000 },
  );
  await expect(objective).toHaveAttribute('data-trials', String(TRIALS));
  const scatter = panel.getByRole('figure', { name: 'Parameter against objective chart' });
  await expect(scatter).toHaveAttribute('data-points', String(TRIALS));
  const trialRows = panel.getByRole('table', { name: 'Trials' }).getByRole('row');
  await expect(trialRows).toHaveCount(TRIALS + 1);
  const [, best] = /best trial (\d+)/.exec(await summary.innerText())!;
  await expect(trialRows.nth(Number(best) + 1)).toContainText('(best)');

  // The best trial is a run like any other: its curves and its evaluation.
  const runs = page.getByRole('table', { name: 'Runs' });
  await expect(runs.getByRole('row')).toHaveCount(2);
  await expect(runStatus(page)).toHaveText('done');
  expect(await points(page, 'Validation metric')).toBeGreaterThanOrEqual(1);
  await expect(chart(page, 'Training loss')).toBeVisible();
  await page.getByRole('tab', { name: /Evaluate/ }).click();
  await expect(page.getByRole('table', { name: 'Metrics', exact: true })).toContainText('Accuracy');
  await page.getByRole('tab', { name: /Export/ }).click();
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download model (.zip)' }).click();
  const zip = unzipSync(new Uint8Array(readFileSync(await (await pending).path())));
  expect(Object.keys(zip)).toEqual(expect.arrayContaining(['config.json', 'model.safetensors']));

  // Another trial, promoted, trains again from its parameters and seed to the objective it had.
  await page.getByRole('tab', { name: /Train/ }).click();
  const other = (Number(best) + 1) % TRIALS;
  const otherCells = await trialRows
    .nth(other + 1)
    .getByRole('cell')
    .allInnerTexts();
  expect(otherCells[1]).toBe('complete');
  const [learningRate, epochs, , batch] = otherCells.slice(2, 6);
  const otherValue = Number(otherCells[6]);
  await panel.getByRole('button', { name: `Promote trial ${other}` }).click();
  await expect(runs.getByRole('row')).toHaveCount(3, { timeout: 60_000 });
  await expect(runStatus(page)).toHaveText('done', { timeout: 300_000 });
  const promoted = runs.getByRole('row').nth(2);
  const cells = await promoted.getByRole('cell').allInnerTexts();
  // Runs table, after the data and its label count: learning rate (2 digits), epochs, batch, best
  // validation (3 decimals).
  expect(Math.abs(Number(cells[6]) / Number(learningRate) - 1)).toBeLessThan(0.06);
  expect(cells[7]).toBe(epochs);
  expect(cells[8]).toBe(batch);
  expect(Number.parseFloat(cells[9]!)).toBeCloseTo(otherValue, 2);
});
