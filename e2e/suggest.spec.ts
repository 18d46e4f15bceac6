// Active learning in the studio: rows with an empty label cell are kept as unlabelled, a finished
// run ranks them by uncertainty, the analyst labels the batch from the keyboard through the edit
// list, and a new run trains on the grown data, which the runs table counts.
import { expect, test } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { downloadZip, loadTinyModel, openData, trainQuickRun } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const LABELLED = 200;
const UNLABELLED = 40;

test('a run suggests unlabelled rows, the keyboard labels them, and a new run learns from them', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  const [header, ...yelp] = readFileSync(YELP, 'utf8').split(/\r?\n/).filter(Boolean);
  // The last rows lose their label: "text,label" becomes "text,".
  const rows = yelp
    .slice(0, LABELLED + UNLABELLED)
    .map((line, i) => (i < LABELLED ? line : line.replace(/,(negative|positive)$/, ',')));
  const unlabelledRows = new Set(Array.from({ length: UNLABELLED }, (_, i) => String(LABELLED + i + 1)));
  const path = testInfo.outputPath('rows.csv');
  writeFileSync(path, `${[header, ...rows].join('\n')}\n`);

  await page.goto('/?backend=wasm');
  await openData(page, path, 'rows.csv', 'wasm');
  await loadTinyModel(page);
  await trainQuickRun(page, { epochs: '1', batchSize: '32' });
  const runs = page.getByRole('table', { name: 'Runs' });
  await expect(runs.getByRole('row').filter({ hasText: 'Run 1' }).getByRole('cell').nth(5)).toHaveText(
    String(LABELLED),
  );

  // The export's model card says how many rows were left unlabelled.
  await page.getByRole('tab', { name: /Export/ }).click();
  const zip = await downloadZip(page, 'Download model (.zip)');
  expect(new TextDecoder().decode(zip['README.md'])).toContain(
    `- Unlabelled rows, not trained on: ${UNLABELLED}`,
  );

  await page.getByRole('tab', { name: /Evaluate/ }).click();
  const panel = page.getByRole('region', { name: 'Label next' });
  await expect(panel).toContainText(`${UNLABELLED} unlabelled rows`);
  await panel.getByLabel('Uncertainty').selectOption('margin');
  await panel.getByLabel('Batch').selectOption({ label: '10 rows' });
  await panel.getByRole('button', { name: 'Suggest rows to label' }).click();
  await expect(panel.getByLabel('Suggestion summary')).toContainText(
    `The 10 most uncertain of ${UNLABELLED} unlabelled rows (margin`,
    { timeout: 120_000 },
  );
  const table = panel.getByRole('table', { name: 'Suggested rows' });
  const body = table.getByRole('row').filter({ has: page.getByRole('cell') });
  await expect(body).toHaveCount(10);
  const suggested = await body.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')!.textContent!));
  for (const row of suggested) expect(unlabelledRows.has(row)).toBe(true);
  // Most uncertain first.
  const scores = (
    await body.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[3]!.textContent!))
  ).map(Number);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));

  // 2 labels the first row "positive", Enter gives the second the run's guess, S skips the third.
  const batch = panel.getByRole('group', { name: 'Label the suggested rows' });
  await batch.focus();
  await page.keyboard.press('2');
  await expect(body.nth(0).getByRole('cell').nth(4)).toHaveText('positive');
  const guess = await body.nth(1).getByRole('cell').nth(2).textContent();
  await page.keyboard.press('Enter');
  await expect(body.nth(1).getByRole('cell').nth(4)).toHaveText(guess!);
  await page.keyboard.press('s');
  await expect(batch).toContainText(`Row ${suggested[3]} · 4 of 10 · 2 labelled`);
  await expect(body.nth(2).getByRole('cell').nth(4)).toHaveText('');

  // The labels are edits: the Data step lists them; a new run trains on 202 labelled rows.
  await panel.getByRole('button', { name: 'Train again on the grown data' }).click();
  await expect(panel.getByRole('status')).toContainText('Run 2 started');
  await page.getByRole('tab', { name: /Train/ }).click();
  await expect(runs.getByRole('row')).toHaveCount(3);
  const second = runs.getByRole('row').filter({ hasText: 'Run 2' });
  await expect(second.getByRole('cell').nth(5)).toHaveText(String(LABELLED + 2), { timeout: 60_000 });
  await page.getByRole('tab', { name: /Data/ }).click();
  const edits = page.getByRole('region', { name: 'Edits' });
  await expect(edits.getByRole('paragraph').first()).toHaveText(/^2 relabelled/);
  await expect(edits.getByRole('button', { name: /^Undo last edit/ })).toHaveAttribute(
    'title',
    "Undo version 2: labelled from Run 1's suggestions",
  );
});
