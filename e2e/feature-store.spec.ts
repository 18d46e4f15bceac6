// Head-only feature caches outlive a run: a second run with the same model, data and max length
// reuses the first one's cache (kept in the worker for the session), a run after a reload reuses
// it from OPFS, and Settings lists the kept caches with their sizes and deletes them.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ARTIFACTS_DIR } from './support/env.ts';
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

async function download(page: Page, button: string): Promise<string> {
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: button }).click();
  return readFileSync(await (await pending).path(), 'utf8');
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${ARTIFACTS_DIR}/${name}-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
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
  await expect(panel(page, 'Run 1')).toContainText(
    /first-token features were computed by ONNX Runtime \(onnxruntime-web [^,]+, wasm, \d+ threads?\)/,
  );

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

  // Data quality: find the label issues of Run 5 (5 fold models on its settings, reading the kept
  // feature caches), relabel the most suspect row, drop a misclassified test row, undo the drop;
  // the corrected file and a run on the edited data follow the edit list.
  const qualityStart = Date.now();
  await page.getByRole('tab', { name: /Evaluate/ }).click();
  const issues = page.getByRole('region', { name: 'Label issues' });
  await issues.getByRole('button', { name: 'Find label issues' }).click();
  await expect(issues.getByLabel('Label issue summary')).toContainText(
    /^\d+ of 1000 rows flagged \(5 folds, self-confidence, data as uploaded, \d+ s\)$/,
    { timeout: 300_000 },
  );
  const flagged = issues.getByRole('table', { name: 'Flagged rows' }).getByRole('row').nth(1);
  await flagged.getByRole('button', { name: /^Relabel row \d+ as / }).click();
  await expect(flagged).toContainText('relabelled');
  await issues.scrollIntoViewIfNeeded();
  await shoot(page, 'evaluate-label-issues');
  const mistakes = page.getByRole('region', { name: 'Misclassified, most confident first' });
  const mistake = mistakes.getByRole('listitem').filter({ hasNotText: 'relabelled' }).first();
  await mistake.getByRole('button', { name: 'Drop', exact: true }).click();
  await page.getByRole('tab', { name: /Data/ }).click();
  const edits = page.getByRole('region', { name: 'Edits' });
  await expect(edits.getByLabel('Edit counts')).toHaveText('1 relabelled · 1 dropped · 0 kept');
  await expect(edits.getByTestId('data-version')).toHaveText('Data version 2');
  await edits.getByLabel('Show edited rows').check();
  const editedRows = edits.getByRole('table', { name: 'Edited rows' });
  await expect(editedRows.getByRole('row')).toHaveCount(3);
  await edits.scrollIntoViewIfNeeded();
  await shoot(page, 'data-edits');
  const relabelled = editedRows.getByRole('row').filter({ hasText: 'relabelled' }).getByRole('cell');
  const [text, label] = [await relabelled.nth(1).innerText(), await relabelled.nth(4).innerText()];
  const corrected = (await download(page, 'Download corrected file')).split(/\r?\n/).filter(Boolean);
  const original = readFileSync(YELP, 'utf8').split(/\r?\n/).filter(Boolean);
  expect(corrected).toHaveLength(original.length - 1);
  expect(corrected.some((line) => line.includes(text.slice(0, 12)) && line.endsWith(`,${label}`))).toBe(true);
  await edits.getByRole('button', { name: /Undo last edit/ }).click();
  await expect(edits.getByTestId('data-version')).toHaveText('Data version 1');
  await expect(edits.getByLabel('Edit counts')).toHaveText('1 relabelled · 0 dropped · 0 kept');
  await train(page, 'Run 6');
  const runs = page.getByRole('table', { name: 'Runs' });
  await expect(runs.getByRole('row').filter({ hasText: 'Run 6' })).toContainText('edited v1');
  await expect(runs.getByRole('row').filter({ hasText: 'Run 1' })).toContainText('as uploaded');
  console.log(`data-quality check: ${((Date.now() - qualityStart) / 1000).toFixed(1)} s`);
});
