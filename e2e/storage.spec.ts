// Crash safety of the project's storage: a page closed while a new file is being stored reopens
// one consistent project, the old file with its own settings or the new one, never a mix.
import { expect, test, type Page } from '@playwright/test';
import { resolve } from 'node:path';
import { dropFile, openData } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const NLU = resolve(import.meta.dirname, 'fixtures/nlu_banking_600.csv');
const ROWS: Record<string, string> = { 'yelp.csv': '1,000', 'nlu_banking_600.csv': '600' };
/** The folder of the origin's private file system where the studio keeps its files. */
const OPFS_FOLDER = 'finetune-studio';

async function shownFile(page: Page): Promise<{ name: string; rows: string }> {
  const summary = page.getByRole('region', { name: 'Dataset summary' });
  await expect(summary.getByTestId('rows-count')).not.toHaveText('', { timeout: 60_000 });
  return {
    name: (await summary.locator('strong').textContent()) ?? '',
    rows: (await summary.getByTestId('rows-count').textContent()) ?? '',
  };
}

test('a reload while a new file is being stored reopens the old file or the new one, never a mix', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('/?backend=wasm');
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await page.waitForTimeout(1_500);
  // The file's bytes and the record naming it are written one after the other; reloading at
  // different moments lands before, between and after the two.
  for (const delay of [0, 150, 300, 450, 600, 800, 1_000, 1_300]) {
    const next = (await shownFile(page)).name === 'yelp.csv' ? NLU : YELP;
    await dropFile(page, next, next === NLU ? 'nlu_banking_600.csv' : 'yelp.csv');
    await page.waitForTimeout(delay);
    await page.reload();
    const shown = await shownFile(page);
    expect(ROWS[shown.name], `after a reload ${delay} ms into storing: ${shown.name}`).toBe(shown.rows);
  }
  // Files of replaced or never-recorded imports are deleted once the record names another.
  await page.waitForTimeout(1_500);
  await dropFile(page, YELP, 'yelp.csv');
  await expect.poll(() => storedDatasets(page), { timeout: 10_000 }).toHaveLength(1);
});

/** The dataset files in the studio's OPFS folder. */
function storedDatasets(page: Page): Promise<string[]> {
  return page.evaluate(async (folder) => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(folder);
    const names: string[] = [];
    for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
      if (name.startsWith('dataset')) names.push(name);
    }
    return names;
  }, OPFS_FOLDER);
}
