// Steps the training specs share: open a CSV, load the tiny fixture model from the local hub,
// set up a run in the Train step, and watch what the charts hold.
import { expect, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { HUB_URL } from './support/env.ts';

export const TINY_MODEL = 'distilbert-tiny-seqcls';

/** Drops a file on the page the way a user drags one in from the file manager. */
export async function dropFile(page: Page, path: string, name: string): Promise<void> {
  const data = readFileSync(path).toString('base64');
  const transfer = await page.evaluateHandle(
    ({ name, data }) => {
      const raw = atob(data);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      const dataTransfer = new DataTransfer();
      dataTransfer.items.add(new File([bytes], name, { type: 'text/csv' }));
      return dataTransfer;
    },
    { name, data },
  );
  await page.locator('body').dispatchEvent('dragenter', { dataTransfer: transfer });
  await page.locator('body').dispatchEvent('drop', { dataTransfer: transfer });
}

/** Data step: drop the file and accept the guessed columns. */
export async function openData(page: Page, path: string, name: string): Promise<void> {
  await expect(page.getByTestId('backend-badge')).toContainText('webgpu');
  await dropFile(page, path, name);
  const confirm = page.getByRole('button', { name: 'Use these columns' });
  await expect(confirm).toBeEnabled({ timeout: 60_000 });
  await confirm.click();
  await expect(page.getByRole('button', { name: 'Columns confirmed' })).toBeVisible();
}

/** Model step: load the tiny fixture model from the local hub. */
export async function loadTinyModel(page: Page): Promise<void> {
  await page.getByRole('tab', { name: /Model/ }).click();
  await page.getByLabel('Hub repository').fill(TINY_MODEL);
  await page.getByRole('button', { name: 'Load from the Hub' }).click();
  await expect(page.getByRole('tab', { name: /Model/ })).toContainText('done', { timeout: 120_000 });
}

export function chart(
  page: Page,
  name: 'Training loss' | 'Validation loss' | 'Validation metric' | 'Learning rate',
): Locator {
  return page.getByRole('figure', { name: `${name} chart` });
}

/** Points the active run has in a chart (the full series, not the downsampled drawing). */
export async function points(page: Page, name: Parameters<typeof chart>[1]): Promise<number> {
  return Number((await chart(page, name).getAttribute('data-points')) ?? 0);
}

export function runStatus(page: Page): Locator {
  return page.getByRole('status', { name: 'Run status' });
}

/** Fills a training setting by its label (exact, so "Epochs" never matches a preset's text). */
export async function setSetting(page: Page, label: string, value: string): Promise<void> {
  const field = page.getByRole('textbox', { name: label, exact: true });
  await field.fill(value);
  await expect(field).toHaveValue(value);
}

/**
 * Collects every request the page makes and every main-thread long task, so a spec can assert
 * privacy (only the app and the hub, no user text) and record responsiveness.
 */
export async function watchPage(page: Page): Promise<{
  requests: { url: string; body: string | null }[];
  problems: string[];
}> {
  const requests: { url: string; body: string | null }[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push({ url: request.url(), body: request.postData() }));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.addInitScript(() => {
    const state = { tasks: [] as { start: number; duration: number }[] };
    (window as unknown as { __longTasks: typeof state }).__longTasks = state;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        state.tasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  return { requests, problems };
}

/** Long tasks (over 50 ms) on the main thread since `sinceMs` (performance.now time). */
export async function longTasksSince(
  page: Page,
  sinceMs: number,
): Promise<{ start: number; duration: number }[]> {
  return page.evaluate(
    (since) =>
      (
        window as unknown as { __longTasks: { tasks: { start: number; duration: number }[] } }
      ).__longTasks.tasks.filter((task) => task.start >= since),
    sinceMs,
  );
}

/** Requests to anything but the app itself and the hub, and requests that carry any of `texts`. */
export function privacyViolations(
  appUrl: string,
  requests: readonly { url: string; body: string | null }[],
  texts: readonly string[],
): string[] {
  const allowed = new Set([new URL(appUrl).origin, new URL(HUB_URL).origin]);
  const out: string[] = [];
  for (const { url, body } of requests) {
    const parsed = new URL(url);
    if (parsed.protocol.startsWith('http') && !allowed.has(parsed.origin)) out.push(`foreign origin: ${url}`);
    const decoded = decodeURIComponent(url).toLowerCase();
    for (const text of texts) {
      const probe = text.toLowerCase();
      if (decoded.includes(probe) || (body ?? '').toLowerCase().includes(probe)) {
        out.push(`request carries user text "${text}": ${url}`);
      }
    }
  }
  return out;
}
