// The Data step in the built studio: files dropped anywhere land, bad files explain themselves
// and leave the studio usable, a bad drop keeps what was open, big files stay smooth.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dataDir } from '../src/node/paths.ts';
import { ARTIFACTS_DIR } from './support/env.ts';

mkdirSync(ARTIFACTS_DIR, { recursive: true });

const yelp = readFileSync(resolve(dataDir(), 'uci_sentiment/yelp.csv'));
const ROOT = resolve(import.meta.dirname, '..');

/** The dropped rows of a file as `finetune-studio inspect --export-dropped` writes them. */
function cliDroppedRows(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fs-dropped-'));
  try {
    writeFileSync(join(dir, name), text);
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'src/cli/bin.mjs'),
        'inspect',
        join(dir, name),
        '--export-dropped',
        join(dir, 'dropped.csv'),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
    );
    return readFileSync(join(dir, 'dropped.csv'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function dropFile(page: Page, target: Locator, name: string, bytes: Buffer | string): Promise<void> {
  const data = Buffer.from(bytes).toString('base64');
  const dataTransfer = await page.evaluateHandle(
    ({ name, data }) => {
      const raw = atob(data);
      const buffer = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) buffer[i] = raw.charCodeAt(i);
      const transfer = new DataTransfer();
      transfer.items.add(new File([buffer], name));
      return transfer;
    },
    { name, data },
  );
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

function summary(page: Page): Locator {
  return page.getByRole('region', { name: 'Dataset summary' });
}

/** A tiny PNG (1×1, RGBA): what an analyst drops when they pick the wrong file. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

test('a file dropped on a nested element lands, with preview, guesses and checks', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('backend-badge')).toContainText(/webgpu|webgl|wasm|cpu/);
  // Deep inside the sample list: the listener sits on the document.
  await dropFile(page, page.getByText('Sentiment, 2 classes'), 'yelp.csv', yelp);
  await expect(summary(page).getByTestId('rows-count')).toHaveText('1,000');
  await expect(summary(page).getByTestId('kept-count')).toHaveText('1,000');
  await expect(summary(page).getByTestId('dropped-count')).toHaveText('0');
  await expect(page.getByRole('checkbox', { name: /^text/ })).toBeChecked();
  await expect(page.getByLabel('Label column')).toHaveValue('1');
  await expect(page.getByRole('img', { name: /Bar chart of 2 label counts/ })).toBeVisible();
  // yelp.csv repeats four sentences: reported, kept, kept together.
  await expect(page.getByRole('table').filter({ hasText: 'Exact duplicates' })).toContainText('4');
  await expect(page.getByRole('heading', { name: 'Splits' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Dataset summary' })).toBeVisible();
  await page.getByRole('button', { name: 'Use these columns' }).click();
  await expect(page.getByRole('button', { name: 'Columns confirmed' })).toBeDisabled();
  await expect(page.getByRole('tab', { name: /Data/ })).toContainText('done');
  await page.screenshot({ path: `${ARTIFACTS_DIR}/data-yelp.png`, fullPage: true });
});

test('pasting rows imports them', async ({ page }) => {
  await page.goto('/');
  const text =
    'text\tlabel\nthe soup was cold\tnegative\nlovely staff\tpositive\nnever again\tnegative\nwill come back\tpositive\n';
  await page.evaluate((value) => {
    const transfer = new DataTransfer();
    transfer.setData('text/plain', value);
    document.body.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
    );
  }, text);
  await expect(summary(page)).toContainText('pasted text');
  await expect(summary(page).getByTestId('rows-count')).toHaveText('4');
  await expect(summary(page)).toContainText('delimiter “tab”');
});

test('the label-column choice shows its whole text: name and distinct count', async ({ page }) => {
  await page.goto('/');
  const intents = ['greeting', 'goodbye', 'balance', 'transfer', 'card_lost', 'complaint'];
  const rows = Array.from(
    { length: 24 },
    (_, i) => `please help me with request number ${i} about my account\t${intents[i % 6]}`,
  );
  await page.evaluate(
    (value) => {
      const transfer = new DataTransfer();
      transfer.setData('text/plain', value);
      document.body.dispatchEvent(
        new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }),
      );
    },
    ['utterance\tintent_name', ...rows].join('\n') + '\n',
  );
  const select = page.getByLabel('Label column');
  await select.selectOption({ label: 'intent_name (6 distinct)' });
  const shown = await select.evaluate((element: HTMLSelectElement) => {
    const style = getComputedStyle(element);
    const context = document.createElement('canvas').getContext('2d')!;
    context.font = style.font;
    const text = element.options[element.selectedIndex]!.text;
    // Text, padding, and the drop-down arrow (about 24 px in Chromium).
    const needed =
      context.measureText(text).width + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 24;
    return { text, needed, width: element.clientWidth };
  });
  expect(shown.text).toBe('intent_name (6 distinct)');
  expect(shown.needed).toBeLessThanOrEqual(shown.width);
});

const BAD_FILES: { name: string; bytes: Buffer; message: RegExp }[] = [
  { name: 'empty.csv', bytes: Buffer.alloc(0), message: /empty/i },
  { name: 'photo.csv', bytes: PNG, message: /PNG image/i },
  {
    name: 'one-column.csv',
    bytes: Buffer.from('text\nfirst\nsecond\nthird\nfourth\n'),
    message: /single column/i,
  },
  { name: 'header-only.csv', bytes: Buffer.from('text,label\n'), message: /no data rows|no rows/i },
];

test('bad files show their message and the studio stays usable', async ({ page }) => {
  await page.goto('/');
  for (const bad of BAD_FILES) {
    await dropFile(page, page.locator('main'), bad.name, bad.bytes);
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(bad.name);
    await expect(alert).toContainText(bad.message);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/data-bad-${bad.name.replace(/\W+/g, '-')}.png` });
    await alert.getByRole('button', { name: 'Dismiss message' }).click();
  }
  await dropFile(page, page.locator('main'), 'yelp.csv', yelp);
  await expect(summary(page).getByTestId('rows-count')).toHaveText('1,000');
});

test('a bad drop keeps the dataset that was open', async ({ page }) => {
  await page.goto('/');
  await dropFile(page, page.locator('main'), 'yelp.csv', yelp);
  await expect(summary(page).getByTestId('rows-count')).toHaveText('1,000');
  await dropFile(page, page.locator('main'), 'photo.csv', PNG);
  await expect(page.getByRole('alert')).toContainText(/PNG image/);
  await expect(page.getByRole('alert')).toContainText('yelp.csv is still loaded');
  await expect(summary(page).getByTestId('rows-count')).toHaveText('1,000');
  await expect(page.getByRole('table', { name: 'Rows of the file' })).toContainText('Crust is not good.');
});

test('UTF-16 and Windows-1252 files are decoded, and the fallback is announced', async ({ page }) => {
  await page.goto('/');
  const rows =
    'text,label\nCafé très bon,positive\nSoupe froide, à éviter,negative\nParfait,positive\nDéçu,negative\n';
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows.replace(', à', ' à'), 'utf16le')]);
  await dropFile(page, page.locator('main'), 'utf16.csv', utf16);
  await expect(summary(page)).toContainText('UTF-16LE');
  await expect(page.getByRole('table', { name: 'Rows of the file' })).toContainText('Café très bon');

  const cp1252 = Buffer.from(rows.replace(', à', ' à'), 'latin1');
  await dropFile(page, page.locator('main'), 'excel.csv', cp1252);
  await expect(summary(page)).toContainText('WINDOWS-1252');
  await expect(page.getByRole('status').filter({ hasText: 'read as Windows-1252' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Rows of the file' })).toContainText('Déçu');
});

test('malformed rows are dropped, counted and downloadable; nothing else is lost', async ({ page }) => {
  await page.goto('/');
  const lines = yelp.toString('utf8').trimEnd().split('\n').slice(0, 41);
  // Row 5 gets an extra field (a formula), row 9 loses its label (kept as unlabelled, not
  // dropped), and the last row opens a quote it never closes.
  lines[5] = `${lines[5]},=HYPERLINK("http://x")`;
  lines[9] = lines[9]!.replace(/,(positive|negative)$/, ',');
  const file = `${lines.join('\n')}\n"an unfinished thought,positive\n`;
  await dropFile(page, page.locator('main'), 'ragged.csv', file);
  await expect(summary(page).getByTestId('kept-count')).toHaveText('38');
  await expect(summary(page).getByTestId('unlabelled-count')).toHaveText('1');
  await expect(summary(page).getByTestId('dropped-count')).toHaveText('2');
  const checks = page.getByRole('table').filter({ hasText: 'Check' }).first();
  await expect(checks).toContainText(/Malformed/i);
  await expect(checks).toContainText(/Unlabelled rows/i);
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download dropped rows (CSV)' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('ragged-dropped-rows.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  expect(csv.split(/\r\n/).filter(Boolean)).toHaveLength(3); // header + 2 rows
  expect(csv.split(/\r\n/)[0]).toBe('\ufeffrow,reason,detail,text,label,extra field 1');
  expect(csv).toContain(`'=HYPERLINK(""http://x"")`);
  expect(csv).toContain('an unfinished thought');
  // The CLI writes the same file, byte for byte.
  expect(cliDroppedRows('ragged.csv', file)).toBe(csv);
});

test('labels that cannot be trained on say so and block confirmation', async ({ page }) => {
  await page.goto('/');
  const texts = yelp
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .slice(1, 61)
    .map((line) => line.replace(/,(positive|negative)$/, ''));
  const oneClass = `text,label\n${texts.map((t) => `${t},positive`).join('\n')}\n`;
  await dropFile(page, page.locator('main'), 'one-class.csv', oneClass);
  await expect(page.getByRole('alert')).toContainText(/cannot be trained on/);
  await expect(page.getByRole('button', { name: 'Use these columns' })).toBeDisabled();

  const idLike = `text,label\n${texts.map((t, i) => `${t},ticket-${1000 + i}`).join('\n')}\n`;
  await dropFile(page, page.locator('main'), 'id-labels.csv', idLike);
  await expect(page.getByRole('alert')).toContainText(/cannot be trained on/);
  await expect(page.getByRole('button', { name: 'Use these columns' })).toBeDisabled();
});

test('labels with spaces and mixed case are trimmed, and case folding merges them', async ({ page }) => {
  await page.goto('/');
  const texts = yelp
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .slice(1, 41)
    .map((line) => line.replace(/,(positive|negative)$/, ''));
  const labels = [' Positive', 'positive ', 'NEGATIVE', ' negative '];
  const long = 'word '.repeat(2000).trim(); // a 10,000-character cell
  const file = `text,label\n${texts.map((t, i) => `${t},${labels[i % 4]}`).join('\n')}\n"${long}", positive\n`;
  await dropFile(page, page.locator('main'), 'messy.csv', file);
  await expect(summary(page).getByTestId('kept-count')).toHaveText('41');
  await expect(page.getByRole('img', { name: /Bar chart of 4 label counts/ })).toBeVisible();
  await page.getByRole('checkbox', { name: 'Ignore case in labels' }).check();
  await expect(page.getByRole('img', { name: /Bar chart of 2 label counts/ })).toBeVisible();
  await expect(summary(page).getByTestId('kept-count')).toHaveText('41');
});

test('100,000 rows import in the worker and the preview scrolls to the end', async ({ page }, testInfo) => {
  const sentences = yelp.toString('utf8').trimEnd().split('\n').slice(1);
  const lines = ['text,label'];
  for (let i = 0; i < 100_000; i++) {
    const line = sentences[i % sentences.length]!;
    const cut = line.lastIndexOf(',');
    lines.push(`"${line.slice(0, cut).replace(/"/g, '""')} (#${i + 1})",${line.slice(cut + 1)}`);
  }
  const path = testInfo.outputPath('big.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);

  await page.goto('/');
  await page.evaluate(() => {
    const w = window as unknown as { longestTask: number };
    w.longestTask = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.longestTask = Math.max(w.longestTask, entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.getByLabel('Choose a data file').setInputFiles(path);
  await expect(summary(page).getByTestId('rows-count')).toHaveText('100,000', { timeout: 120_000 });
  await expect(summary(page).getByTestId('kept-count')).toHaveText('100,000', { timeout: 120_000 });
  const table = page.getByRole('table', { name: 'Rows of the file' });
  await table.evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
  await expect(table).toContainText('(#100000)');
  await table.evaluate((element) => element.scrollTo({ top: element.scrollHeight / 2 }));
  await expect(table).toContainText(/\(#5000\d\)/);
  const longest = await page.evaluate(() => (window as unknown as { longestTask: number }).longestTask);
  testInfo.annotations.push({
    type: 'longest main-thread task during a 100,000-row import (ms)',
    description: String(longest),
  });
  await page.screenshot({ path: `${ARTIFACTS_DIR}/data-100k.png` });
});

test('a reload restores the dataset and its mapping; New project opens an empty one after confirmation', async ({
  page,
}) => {
  await page.goto('/');
  await dropFile(page, page.locator('main'), 'yelp.csv', yelp);
  await expect(summary(page).getByTestId('rows-count')).toHaveText('1,000');
  await page.getByRole('checkbox', { name: 'Ignore case in labels' }).check();
  await page.getByRole('button', { name: 'Use these columns' }).click();
  await expect(page.getByRole('button', { name: 'Columns confirmed' })).toBeVisible();
  await page.waitForTimeout(1500); // saving follows changes after a short pause
  await page.reload();
  await expect(summary(page)).toContainText('yelp.csv');
  await expect(summary(page).getByTestId('rows-count')).toHaveText('1,000');
  await expect(page.getByRole('checkbox', { name: 'Ignore case in labels' })).toBeChecked();
  await expect(page.getByRole('button', { name: 'Columns confirmed' })).toBeVisible();

  await page.getByRole('button', { name: 'New project' }).click();
  const dialog = page.getByRole('dialog', { name: 'Start a new project?' });
  await expect(dialog).toContainText('This project stays in Projects');
  await dialog.getByRole('button', { name: 'Keep working' }).click();
  await expect(summary(page).getByTestId('rows-count')).toHaveText('1,000');
  await page.getByRole('button', { name: 'New project' }).click();
  await dialog.getByRole('button', { name: 'Create project' }).click();
  await expect(page).toHaveURL(/[?&]project=p[0-9a-z]+/);
  await expect(page.getByText('Drop a labelled CSV anywhere on this page')).toBeVisible();
  await page.reload();
  await expect(page.getByText('Drop a labelled CSV anywhere on this page')).toBeVisible();
});

test('a full storage quota is reported, and what was saved before survives', async ({ page }) => {
  await page.goto('/');
  const small = yelp.toString('utf8').split('\n').slice(0, 51).join('\n');
  await dropFile(page, page.locator('main'), 'small.csv', small);
  await expect(summary(page).getByTestId('rows-count')).toHaveText('50');
  await page.waitForTimeout(1500);
  // No room beyond what the site already uses, then a bigger file.
  const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', {
    origin: new URL(page.url()).origin,
    quotaSize: usage,
  });
  const big = `text,label\n${'this sentence only fills the disk,positive\nand so does this one,negative\n'.repeat(40_000)}`;
  await dropFile(page, page.locator('main'), 'big.csv', big);
  await expect(summary(page).getByTestId('rows-count')).toHaveText('80,000');
  const warning = page.getByRole('status').filter({ hasText: 'out of storage space' });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText('Everything saved before is intact');
  await page.screenshot({ path: `${ARTIFACTS_DIR}/data-quota.png` });
  await page.reload();
  await expect(summary(page)).toContainText('small.csv');
  await expect(summary(page).getByTestId('rows-count')).toHaveText('50');
});

test('a long import shows its progress and can be cancelled', async ({ page }, testInfo) => {
  // About 29 MB: the largest file the browser tests feed in (given by path, not through memory).
  const sentences = yelp.toString('utf8').trimEnd().split('\n').slice(1);
  const lines = ['text,label'];
  for (let i = 0; lines.length < 330_000; i++) {
    const line = sentences[i % sentences.length]!;
    const cut = line.lastIndexOf(',');
    lines.push(`"${line.slice(0, cut).replace(/"/g, '""')} (#${i + 1})",${line.slice(cut + 1)}`);
  }
  const path = testInfo.outputPath('large.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  await page.goto('/');
  await page.getByLabel('Choose a data file').setInputFiles(path);
  await expect(page.getByRole('progressbar', { name: /large\.csv/ })).toBeVisible();
  await page.getByRole('button', { name: 'Cancel import' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Import of large.csv cancelled.' })).toBeVisible();
  await expect(page.getByText('Drop a labelled CSV anywhere on this page')).toBeVisible();
  // Nothing is stuck: the next file imports.
  await dropFile(page, page.locator('main'), 'yelp.csv', yelp);
  await expect(summary(page).getByTestId('rows-count')).toHaveText('1,000');
});
