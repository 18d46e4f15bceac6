// The analyst's corrections across a reload: a run's label issues, found on a file with planted
// label flips, are listed again after the reload, and so are the relabel and drop made from them.
// The corrected file holds exactly the edited rows and labels (formula-like text defused) and
// imports as the same data; the edit log lists both edits; undo gives back the previous version's
// file byte for byte, and undoes a bulk keep as one entry.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dropFile, loadTinyModel, openData, trainQuickRun } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
/** Few rows keep the run and the fold models quick; every eighth label is flipped. */
const ROWS = 240;
const FLIP_EVERY = 8;

const flipped = (line: string) =>
  line.endsWith(',negative')
    ? line.replace(/,negative$/, ',positive')
    : line.replace(/,positive$/, ',negative');

async function download(page: Page, button: string): Promise<string> {
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: button }).click();
  return readFileSync(await (await pending).path(), 'utf8');
}

/**
 * A line of the planted file as the corrected file writes it: text a spreadsheet would run as a
 * formula gets a leading apostrophe (the file is meant to be opened in one).
 */
const defused = (line: string) => line.replace(/^("?)([=+\-@])/, "$1'$2");

/** Data rows of a CSV text (header and blank end left out). */
const dataLines = (text: string) => text.split(/\r?\n/).filter(Boolean).slice(1);

test('label issues and the edits made from them survive a reload; the corrected file round-trips', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  const [header, ...yelp] = readFileSync(YELP, 'utf8').split(/\r?\n/).filter(Boolean);
  const planted = yelp.slice(0, ROWS).map((line, i) => (i % FLIP_EVERY === 3 ? flipped(line) : line));
  const path = testInfo.outputPath('planted.csv');
  writeFileSync(path, `${[header, ...planted].join('\n')}\n`);

  await page.goto('/?backend=wasm');
  await openData(page, path, 'planted.csv', 'wasm');
  await loadTinyModel(page);
  await trainQuickRun(page, { epochs: '2', batchSize: '32', learningRate: '5e-3' });

  await page.getByRole('tab', { name: /Evaluate/ }).click();
  const issues = page.getByRole('region', { name: 'Label issues' });
  await issues.getByLabel('Folds').selectOption('3');
  await issues.getByRole('button', { name: 'Find label issues' }).click();
  const summary = issues.getByLabel('Label issue summary');
  await expect(summary).toContainText(
    /^\d+ of \d+ rows flagged \(3 folds, self-confidence, data as uploaded/,
    {
      timeout: 300_000,
    },
  );
  const summaryText = await summary.innerText();
  const flaggedRows = issues.getByRole('table', { name: 'Flagged rows' }).getByRole('row');
  expect(await flaggedRows.count()).toBeGreaterThanOrEqual(3);
  const [first, second] = [flaggedRows.nth(1), flaggedRows.nth(2)];
  const cellsOf = async (row: typeof first) => row.getByRole('cell').allInnerTexts();
  const [firstCells, secondCells] = [await cellsOf(first), await cellsOf(second)];
  const [relabelledRow, droppedRow] = [Number(firstCells[0]), Number(secondCells[0])];
  const suggested = firstCells[3]!;

  // Version 1: one row relabelled as the models suggest; its corrected file is kept to compare.
  await first.getByRole('button', { name: /^Relabel row \d+ as / }).click();
  await expect(first).toContainText('relabelled');
  await page.getByRole('tab', { name: /Data/ }).click();
  const edits = page.getByRole('region', { name: 'Edits' });
  await expect(edits.getByTestId('data-version')).toHaveText('Data version 1');
  const versionOne = await download(page, 'Download corrected file');
  const expectedOne = planted.map((line, i) =>
    defused(i + 1 === relabelledRow ? line.replace(/,[a-z]+$/, `,${suggested}`) : line),
  );
  expect(dataLines(versionOne)).toEqual(expectedOne);

  // Version 2: a second flagged row dropped; then the page reloads.
  await page.getByRole('tab', { name: /Evaluate/ }).click();
  await second.getByRole('button', { name: /^Drop row \d+$/ }).click();
  await expect(second).toContainText('dropped');
  await page.getByRole('tab', { name: /Data/ }).click();
  await expect(edits.getByLabel('Edit counts')).toHaveText('1 relabelled · 1 dropped · 0 kept');
  const keptBefore = await page.getByTestId('kept-count').innerText();
  await page.waitForTimeout(2_000); // saving is throttled
  await page.reload();
  await expect(page.getByRole('tab', { name: /Data/ })).toContainText('done', { timeout: 60_000 });
  await expect(page.getByRole('tab', { name: /Model/ })).toContainText('done', { timeout: 120_000 });

  // The label issues are listed as before, with the edits made from them.
  await page.getByRole('tab', { name: /Evaluate/ }).click();
  await expect(summary).toHaveText(summaryText);
  expect(await cellsOf(first).then((cells) => cells.slice(0, 4))).toEqual(firstCells.slice(0, 4));
  await expect(first).toContainText('relabelled');
  await expect(second).toContainText('dropped');

  await page.getByRole('tab', { name: /Data/ }).click();
  await expect(edits.getByLabel('Edit counts')).toHaveText('1 relabelled · 1 dropped · 0 kept');
  await expect(edits.getByTestId('data-version')).toHaveText('Data version 2');
  await expect(page.getByTestId('kept-count')).toHaveText(keptBefore);
  const versionTwo = await download(page, 'Download corrected file');
  expect(dataLines(versionTwo)).toEqual(expectedOne.filter((_, i) => i + 1 !== droppedRow));

  // The edit log, kept across the reload: one line per edit, oldest first.
  const log = (await download(page, 'Download edit log (CSV)')).replace(/^\ufeff/, '').split('\r\n');
  expect(log[0]).toBe('version,time,note,row,action,given_label,new_label,text');
  expect(log[1]).toMatch(
    new RegExp(`^1,[^,]+,label issues of Run 1,${relabelledRow},relabel,${firstCells[2]},${suggested},`),
  );
  expect(log[2]).toMatch(new RegExp(`^2,[^,]+,label issues of Run 1,${droppedRow},drop,${secondCells[2]},,`));

  // Undo gives back version 1 exactly.
  await edits.getByRole('button', { name: /Undo last edit/ }).click();
  await expect(edits.getByTestId('data-version')).toHaveText('Data version 1');
  await expect(edits.getByLabel('Edit counts')).toHaveText('1 relabelled · 0 dropped · 0 kept');
  expect(await download(page, 'Download corrected file')).toBe(versionOne);

  // Every flagged row kept at once is one entry (a new version number), undone as one.
  await page.getByRole('tab', { name: /Evaluate/ }).click();
  const keepAll = issues.getByRole('button', { name: /^Keep all \d+$/ });
  const shown = Number(/\d+/.exec(await keepAll.innerText())![0]);
  await keepAll.click();
  await page.getByRole('tab', { name: /Data/ }).click();
  await expect(edits.getByTestId('data-version')).toHaveText('Data version 3');
  await expect(edits.getByLabel('Edit counts')).toHaveText(`0 relabelled · 0 dropped · ${shown} kept`);
  await edits.getByRole('button', { name: `Undo last edit (${shown} rows)` }).click();
  await expect(edits.getByTestId('data-version')).toHaveText('Data version 1');
  await expect(edits.getByLabel('Edit counts')).toHaveText('1 relabelled · 0 dropped · 0 kept');

  // Version 2's corrected file, imported, is the same rows and labels as the edited data was.
  const correctedPath = testInfo.outputPath('corrected.csv');
  writeFileSync(correctedPath, versionTwo);
  await dropFile(page, correctedPath, 'corrected.csv');
  const confirm = page.getByRole('button', { name: 'Use these columns' });
  await expect(confirm).toBeEnabled({ timeout: 60_000 });
  await confirm.click();
  await expect(page.getByTestId('rows-count')).toHaveText(String(ROWS - 1));
  await expect(page.getByTestId('kept-count')).toHaveText(keptBefore);
  await expect(edits.getByTestId('data-version')).toHaveText('Data as uploaded');
});
