// The studio open in several tabs of one browser: one tab writes the project, another opens it
// read-only and never replaces it (not by opening a file, training or deleting a run), and can
// take it over; when the writing tab closes, a read-only tab offers to continue the project.
import { expect, test, type Page } from '@playwright/test';
import { resolve } from 'node:path';
import { loadTinyModel, openData, runStatus, setSetting } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const NLU = resolve(import.meta.dirname, 'fixtures/nlu_banking_600.csv');
const READ_ONLY = 'This project is open in another tab';

async function open(page: Page): Promise<void> {
  await page.goto('/?backend=wasm');
  await expect(page.getByTestId('backend-badge')).toContainText('wasm');
}

function fileShown(page: Page) {
  return page.getByRole('region', { name: 'Dataset summary' }).locator('strong');
}

test('a second tab never replaces the project of the first, and can take it over', async ({ context }) => {
  test.setTimeout(300_000);
  const first = await context.newPage();
  await open(first);
  await openData(first, YELP, 'yelp.csv', 'wasm');
  // Saving is throttled; give the project a moment to reach storage.
  await first.waitForTimeout(1_500);

  // A second tab shows the project read-only; a file opened there is not saved over it.
  const second = await context.newPage();
  await open(second);
  await expect(second.getByText(READ_ONLY)).toBeVisible();
  await expect(fileShown(second)).toHaveText('yelp.csv', { timeout: 60_000 });
  await openData(second, NLU, 'nlu_banking_600.csv', 'wasm');
  await expect(fileShown(second)).toHaveText('nlu_banking_600.csv');
  await second.waitForTimeout(1_500);
  await expect(first.getByText(READ_ONLY)).toHaveCount(0);
  await second.close();
  await first.reload();
  await expect(fileShown(first)).toHaveText('yelp.csv', { timeout: 60_000 });
  await expect(first.getByText(READ_ONLY)).toHaveCount(0);

  // A third tab takes the project over: the first stops saving and says so.
  const third = await context.newPage();
  await open(third);
  await expect(third.getByText(READ_ONLY)).toBeVisible();
  await third.getByRole('button', { name: 'Take over here' }).click();
  await expect(first.getByText('Another tab took over this project')).toBeVisible({ timeout: 30_000 });
  await expect(fileShown(third)).toHaveText('yelp.csv', { timeout: 60_000 });
  await expect(third.getByText(READ_ONLY)).toHaveCount(0);
  await openData(third, NLU, 'nlu_banking_600.csv', 'wasm');
  await third.waitForTimeout(1_500);
  // The replaced tab's changes are not saved either.
  await openData(first, YELP, 'yelp.csv', 'wasm');
  await first.waitForTimeout(1_500);
  await first.close();

  // A fourth tab sees what the writer saved; when the writer closes it offers to continue.
  const fourth = await context.newPage();
  await open(fourth);
  await expect(fourth.getByText(READ_ONLY)).toBeVisible();
  await expect(fileShown(fourth)).toHaveText('nlu_banking_600.csv', { timeout: 60_000 });
  await third.close();
  await expect(fourth.getByText('The other tab with this project was closed')).toBeVisible({
    timeout: 15_000,
  });
  await fourth.getByRole('button', { name: 'Reload' }).click();
  await expect(fileShown(fourth)).toHaveText('nlu_banking_600.csv', { timeout: 60_000 });
  await expect(fourth.getByText(READ_ONLY)).toHaveCount(0);
  await expect(fourth.getByText('The other tab with this project was closed')).toHaveCount(0);
});

/** Starts a head-only run of one epoch (the tiny model, threaded WASM). */
async function startRun(page: Page): Promise<void> {
  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('radio', { name: /Quick/ }).check();
  await setSetting(page, 'Epochs', '1');
  await setSetting(page, 'Batch size', '64');
  await page.getByRole('button', { name: 'Start training' }).click();
}

const deleteButton = (page: Page, run: string) => page.getByRole('button', { name: `Delete ${run}` });

test('runs trained or deleted in a read-only tab leave the writing tab’s runs as they are', async ({
  context,
}) => {
  test.setTimeout(600_000);
  const first = await context.newPage();
  await open(first);
  await openData(first, YELP, 'yelp.csv', 'wasm');
  await loadTinyModel(first);
  await startRun(first);
  await expect(runStatus(first)).toHaveText('done', { timeout: 300_000 });

  const second = await context.newPage();
  second.on('dialog', (dialog) => void dialog.accept());
  await open(second);
  await expect(second.getByText(READ_ONLY)).toBeVisible();
  await expect(second.getByRole('tab', { name: /Model/ })).toContainText('done', { timeout: 120_000 });
  // Both tabs train at once; the read-only one also deletes the writer's first run.
  await startRun(first);
  await startRun(second);
  await expect(runStatus(first)).toHaveText('done', { timeout: 300_000 });
  await expect(runStatus(second)).toHaveText('done', { timeout: 300_000 });
  await deleteButton(second, 'Run 1').click();
  await expect(deleteButton(second, 'Run 1')).toHaveCount(0);
  await second.waitForTimeout(1_500);
  await second.close();

  await first.reload();
  await first.getByRole('tab', { name: /Train/ }).click();
  await expect(deleteButton(first, 'Run 1')).toBeVisible({ timeout: 60_000 });
  await expect(deleteButton(first, 'Run 2')).toBeVisible();
  await expect(deleteButton(first, 'Run 3')).toHaveCount(0);
});
