// The data map under a finished run: drawn from every row with progress, coloured by label and by
// split with a legend, the same picture again for the same seed, a hovered point read back as its
// row, a box selection dropped through the edit list, and the wheel zooming the map, not the page.
import { expect, test, type Locator } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadTinyModel, openData, trainQuickRun } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const ROWS = 240;

/** The canvas' pixels: how many are drawn, and a digest of all of them. */
async function canvasPixels(
  canvas: Locator,
): Promise<{ drawn: number; digest: number; first: [number, number] | null }> {
  return canvas.evaluate((element) => {
    const c = element as HTMLCanvasElement;
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let drawn = 0;
    let digest = 0;
    let first: [number, number] | null = null;
    for (let i = 0; i < data.length; i += 4) {
      digest = (digest * 31 + data[i]! * 7 + data[i + 1]! * 3 + data[i + 2]! + data[i + 3]!) >>> 0;
      if (data[i + 3] === 0) continue;
      drawn++;
      if (!first) first = [(i / 4) % c.width, Math.floor(i / 4 / c.width)];
    }
    return { drawn, digest, first };
  });
}

test('the data map draws every row, recolours, repeats for a seed, reads a hovered row and drops a selection', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  const [header, ...yelp] = readFileSync(YELP, 'utf8').split(/\r?\n/).filter(Boolean);
  const path = testInfo.outputPath('rows.csv');
  writeFileSync(path, `${[header, ...yelp.slice(0, ROWS)].join('\n')}\n`);

  await page.goto('/?backend=wasm');
  await openData(page, path, 'rows.csv', 'wasm');
  await loadTinyModel(page);
  await trainQuickRun(page, { epochs: '1', batchSize: '32' });

  await page.getByRole('tab', { name: /Evaluate/ }).click();
  const panel = page.getByRole('region', { name: 'Data map' });
  await panel.getByRole('button', { name: 'Draw the map' }).click();
  const summary = panel.getByLabel('Data map summary');
  await expect(summary).toContainText(new RegExp(`^${ROWS} rows, seed 42, PCA to \\d+ dimensions`), {
    timeout: 180_000,
  });
  const canvas = panel.getByTestId('data-map');
  const legend = panel.getByRole('list', { name: 'Map legend' });
  await expect(legend.getByRole('listitem')).toHaveText(['negative', 'positive']);
  const byLabel = await canvasPixels(canvas);
  // Every point is 2×2 pixels; points may overlap, but most of 240 show.
  expect(byLabel.drawn).toBeGreaterThan(ROWS);

  await panel.getByLabel('Colour by').selectOption({ label: 'Split' });
  await expect(legend.getByRole('listitem')).toHaveText(['train', 'validation', 'test']);
  const bySplit = await canvasPixels(canvas);
  expect(bySplit.digest).not.toBe(byLabel.digest);

  // The same seed draws the same map.
  await panel.getByLabel('Colour by').selectOption({ label: 'Given label' });
  await panel.getByRole('button', { name: 'Draw the map' }).click();
  await expect(summary).toContainText(`${ROWS} rows, seed 42`, { timeout: 180_000 });
  expect((await canvasPixels(canvas)).digest).toBe(byLabel.digest);

  // Hovering a drawn pixel names its row, labels, prediction and text.
  const box = (await canvas.boundingBox())!;
  const size = await canvas.evaluate((c) => [
    (c as HTMLCanvasElement).width,
    (c as HTMLCanvasElement).height,
  ]);
  const [px, py] = byLabel.first!;
  await page.mouse.move(
    box.x + ((px + 1) * box.width) / size[0]!,
    box.y + ((py + 1) * box.height) / size[1]!,
  );
  await expect(panel.getByLabel('Hovered row')).toHaveText(
    /^Row \d+ · given (negative|positive) · predicted (negative|positive) \(\d\.\d\d\) · \S/,
  );

  // Shift + drag over the left half selects some rows; dropping them goes through the edit list.
  await page.keyboard.down('Shift');
  await page.mouse.move(box.x + 1, box.y + 1);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height - 1, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.up('Shift');
  const selection = panel.getByLabel('Selected rows', { exact: true });
  await expect(selection).toContainText(/^\d+ rows? selected/);
  const count = Number((await selection.getByText(/rows? selected/).innerText()).match(/^(\d+)/)![1]);
  expect(count).toBeGreaterThan(0);
  expect(count).toBeLessThan(ROWS);
  const listed = await panel.getByRole('table', { name: 'Selected rows table' }).getByRole('row').count();
  expect(listed - 1).toBe(Math.min(count, 50));
  await selection.getByRole('button', { name: `Drop ${count}` }).click();
  await page.getByRole('tab', { name: /Data/ }).click();
  await expect(page.getByRole('region', { name: 'Edits' }).getByLabel('Edit counts')).toHaveText(
    `0 relabelled · ${count} dropped · 0 kept`,
  );

  // The map stays with its run, says the data changed since, and the wheel zooms it, not the page.
  await page.getByRole('tab', { name: /Evaluate/ }).click();
  await expect(summary).toContainText('the data has changed since');
  await canvas.scrollIntoViewIfNeeded();
  const before = await canvasPixels(canvas);
  const scrolled = await page.evaluate(() => window.scrollY);
  const middle = (await canvas.boundingBox())!;
  await page.mouse.move(middle.x + middle.width / 2, middle.y + middle.height / 2);
  await page.mouse.wheel(0, -400);
  await expect.poll(async () => (await canvasPixels(canvas)).digest).not.toBe(before.digest);
  expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);
});
