// Head-only feature caches outlive a run: a second run with the same model, data and max length
// reuses the first one's cache (kept in the worker for the session), a run after a reload reuses
// it from OPFS, and Settings lists the kept caches with their sizes and deletes them.
import { expect, test, type Page } from '@playwright/test';
import { resolve } from 'node:path';
import { loadTinyModel, openData, runStatus, setSetting } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const REUSED = /reused the feature cache/;

async function train(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('radio', { name: /Quick/ }).check();
  await setSetting(page, 'Epochs', '1');
  await setSetting(page, 'Batch size', '64');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(page.getByRole('region', { name: `${name} progress` })).toBeVisible({ timeout: 60_000 });
  await expect(runStatus(page)).toHaveText('done', { timeout: 600_000 });
}

/** The run's panel: its notes list exists only once it has a note. */
const panel = (page: Page, name: string) => page.getByRole('region', { name: `${name} progress` });

test('a head-only run reuses the feature cache of an earlier one, after a reload too, and Settings lists it', async ({
  page,
}) => {
  test.setTimeout(1_200_000);
  await page.goto('/?backend=wasm');
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await loadTinyModel(page);

  await train(page, 'Run 1');
  await expect(panel(page, 'Run 1')).not.toContainText(REUSED);

  await train(page, 'Run 2');
  await expect(panel(page, 'Run 2')).toContainText(REUSED);
  await expect(panel(page, 'Run 2')).toContainText('(train, validation, test; from memory)');

  // A new max length is other features: computed again, not reused.
  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('spinbutton', { name: 'Max length (tokens)' }).fill('8');
  await train(page, 'Run 3');
  await expect(panel(page, 'Run 3')).not.toContainText(REUSED);

  await page.reload();
  await expect(page.getByRole('tab', { name: /Data/ })).toContainText('done', { timeout: 60_000 });
  await expect(page.getByRole('tab', { name: /Model/ })).toContainText('done', { timeout: 120_000 });
  await train(page, 'Run 4');
  await expect(panel(page, 'Run 4')).toContainText(REUSED);
  await expect(panel(page, 'Run 4')).toContainText('(train, validation, test; from OPFS)');

  // Settings: two max lengths × three splits, each with its size; deleting one leaves five.
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const kept = page.getByRole('table', { name: 'Kept feature caches' });
  await expect(kept.getByRole('row')).toHaveCount(7);
  await expect(kept).toContainText('distilbert-tiny-seqcls');
  await expect(kept.getByRole('row').nth(1)).toContainText(/\d+(\.\d)? kB/);
  await expect(page.getByText(/^6 kept, [\d.]+ kB of 1\.00 GB\.$/)).toBeVisible();
  await kept
    .getByRole('button', { name: /Delete the train cache/ })
    .first()
    .click();
  await expect(kept.getByRole('row')).toHaveCount(6);
  await page.getByRole('button', { name: 'Delete all', exact: true }).click();
  await expect(page.getByText('No feature caches are kept.')).toBeVisible();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();

  // Deleted means computed again.
  await train(page, 'Run 5');
  await expect(panel(page, 'Run 5')).not.toContainText(REUSED);
});
