// Backup and move: a project with a trained run goes into one file, and the file restores it into
// a new, empty project: the same data, the same run with the same metrics, and the same predictions
// from its restored checkpoint. A file that is not a backup is refused with one line, changing nothing.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { unzipFolder } from '../src/core/export/index.ts';
import { ARTIFACTS_DIR } from './support/env.ts';
import { loadTinyModel, openData, playgroundProbabilities, runStatus, trainQuickRun } from './training.ts';

mkdirSync(ARTIFACTS_DIR, { recursive: true });

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const TEXT = 'The food was cold and the waiter ignored us.';

async function metricsText(page: Page): Promise<string> {
  const metrics = page.getByRole('table', { name: 'Metrics', exact: true });
  await expect(metrics).toContainText(/Test \(\d+ examples\)/);
  return (await metrics.textContent()) ?? '';
}

test('a backup restores the project, its run and its predictions in a new project', async ({ page }) => {
  test.setTimeout(900_000);
  await page.goto('/?backend=wasm');
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await loadTinyModel(page);
  await trainQuickRun(page, { epochs: '1', batchSize: '64', learningRate: '5e-3' }, 600_000);
  const before = await playgroundProbabilities(page, TEXT, 2);
  const metricsBefore = await metricsText(page);

  await page.getByRole('button', { name: 'Backup', exact: true }).click();
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download backup' }).click();
  const download = await pending;
  expect(download.suggestedFilename()).toBe('yelp.finetune-project.zip');
  const backupPath = join(ARTIFACTS_DIR, 'backup.finetune-project.zip');
  await download.saveAs(backupPath);
  const files = unzipFolder(new Uint8Array(readFileSync(backupPath)));
  const names = [...files.keys()];
  expect(names).toContain('finetune-project.json');
  expect(names.some((n) => /^blobs\/dataset-[0-9a-z]+$/.test(n))).toBe(true);
  expect(names.some((n) => /^blobs\/run\/[\w-]+\/(final|best)\.safetensors$/.test(n))).toBe(true);
  await page.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'New project' }).click();
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/[?&]project=p[0-9a-z]+/);
  await expect(page.getByText('Drop a labelled CSV anywhere on this page')).toBeVisible();

  // Something that is not a backup changes nothing and says why in one line.
  const notBackup = join(ARTIFACTS_DIR, 'not-a-backup.zip');
  writeFileSync(notBackup, 'text,label\nhello,a\n');
  await page.getByRole('button', { name: 'Backup', exact: true }).click();
  await page.getByLabel('Backup file to restore').setInputFiles(notBackup);
  await expect(page.getByRole('alert')).toHaveText(
    /not-a-backup\.zip: This is not a project file the studio can open: not a zip file/,
  );

  const reloaded = page.waitForEvent('load');
  await page.getByLabel('Backup file to restore').setInputFiles(backupPath);
  await reloaded;
  await expect(page.getByRole('tab', { name: /Data/ })).toContainText('done', { timeout: 60_000 });
  await expect(page.getByRole('tab', { name: /Model/ })).toContainText('done', { timeout: 120_000 });
  await page.getByRole('tab', { name: /Train/ }).click();
  await expect(runStatus(page)).toHaveText('done');
  const after = await playgroundProbabilities(page, TEXT, 2);
  expect(await metricsText(page)).toBe(metricsBefore);
  after.forEach((p, i) => expect(p).toBeCloseTo(before[i]!, 5));
});
