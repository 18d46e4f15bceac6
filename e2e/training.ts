// Steps the training specs share: open a CSV, load the tiny fixture model from the local hub,
// set up a run in the Train step, and watch what the charts hold.
import { expect, type Locator, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
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
export async function openData(page: Page, path: string, name: string, backend = 'webgpu'): Promise<void> {
  await expect(page.getByTestId('backend-badge')).toContainText(backend);
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

/** Clicks a download button and returns the downloaded zip's files by path. */
export async function downloadZip(page: Page, button: string): Promise<Record<string, Uint8Array>> {
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: button }).click();
  return unzipSync(new Uint8Array(readFileSync(await (await pending).path())));
}

/** The active run's probabilities for `text` in the Evaluate step's playground, one per label. */
export async function playgroundProbabilities(page: Page, text: string, labels: number): Promise<number[]> {
  await page.getByRole('tab', { name: /Evaluate/ }).click();
  await page.getByRole('textbox', { name: 'Text to classify' }).fill(text);
  const bars = page.getByRole('list', { name: 'Label probabilities' }).getByRole('meter');
  await expect(bars).toHaveCount(labels, { timeout: 60_000 });
  return bars.evaluateAll((meters) => meters.map((m) => Number(m.getAttribute('aria-valuenow'))));
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

/**
 * The step of the active run's last point in a chart. A step event stands for every step since the
 * one before (ten a second at most), so a fast run has fewer points than steps.
 */
export async function lastStep(page: Page, name: Parameters<typeof chart>[1]): Promise<number> {
  return Number((await chart(page, name).getAttribute('data-last-x')) || 0);
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

/** A main-thread task over 50 ms from a Chrome trace: how long it took, how much of that it ran
 *  on a CPU (the rest it waited for one), and the work inside it that took longest. */
export interface TracedTask {
  /** performance.now() time of the page. */
  start: number;
  wallMs: number;
  cpuMs: number;
  what: string[];
}

/**
 * Records a Chrome trace of the page's main thread (the same events DevTools' Performance panel
 * shows, without the JS sampler) until the returned function is called. Long tasks measured by
 * the clock alone cannot tell a page that works for 200 ms from one that waits 190 ms for a CPU
 * the other processes hold; the trace's thread time can.
 */
export async function traceMainThread(page: Page): Promise<() => Promise<TracedTask[]>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    traceConfig: { includedCategories: ['toplevel', 'devtools.timeline', 'blink.user_timing'] },
  });
  const mark = `trace-origin-${Date.now()}`;
  const markTime = await page.evaluate((name) => performance.mark(name).startTime, mark);
  return async () => {
    const complete = new Promise<string>((resolve) =>
      cdp.once('Tracing.tracingComplete', (event) => resolve(event.stream ?? '')),
    );
    await cdp.send('Tracing.end');
    const handle = await complete;
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = await cdp.send('IO.read', { handle, size: 4 << 20 });
      chunks.push(Buffer.from(chunk.data, chunk.base64Encoded ? 'base64' : 'utf8'));
      if (chunk.eof) break;
    }
    await cdp.send('IO.close', { handle });
    await cdp.detach();
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as
      { traceEvents: TraceEvent[] } | TraceEvent[];
    return longTracedTasks(Array.isArray(parsed) ? parsed : parsed.traceEvents, mark, markTime);
  };
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: { url?: string; functionName?: string } };
}

function longTracedTasks(events: TraceEvent[], mark: string, markTime: number): TracedTask[] {
  const markEvent = events.find((e) => e.name === mark);
  const mains = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  // The page's main thread is the one that recorded the mark.
  const main = markEvent ? `${markEvent.pid}:${markEvent.tid}` : [...mains][0];
  if (!markEvent || !main) return [];
  const toPageTime = (ts: number) => markTime + (ts - markEvent.ts) / 1000;
  const own = events
    .filter((e) => e.ph === 'X' && `${e.pid}:${e.tid}` === main && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts);
  // The scheduler's task event; 'RunTask' is only recorded with DevTools' disabled-by-default categories.
  const taskName = own.some((e) => e.name === 'ThreadControllerImpl::RunTask')
    ? 'ThreadControllerImpl::RunTask'
    : 'RunTask';
  const tasks: TracedTask[] = [];
  for (let i = 0; i < own.length; i++) {
    const task = own[i]!;
    if (task.name !== taskName || task.dur! < 50_000) continue;
    const inside = new Map<string, number>();
    for (let j = i + 1; j < own.length && own[j]!.ts < task.ts + task.dur!; j++) {
      const e = own[j]!;
      if (e.name === 'RunTask' || e.name.startsWith('ThreadControllerImpl')) continue;
      const data = e.args?.data;
      const script = data?.url ? ` ${data.functionName || '(anonymous)'} ${data.url.split('/').pop()}` : '';
      const key = `${e.name}${script}`;
      inside.set(key, Math.max(inside.get(key) ?? 0, e.dur! / 1000));
    }
    tasks.push({
      start: toPageTime(task.ts),
      wallMs: task.dur! / 1000,
      cpuMs: (task.tdur ?? 0) / 1000,
      what: [...inside]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, ms]) => `${name} ${Math.round(ms)} ms`),
    });
  }
  return tasks;
}

/** Train step: a Quick run with these settings, started and waited for until it is done. */
export async function trainQuickRun(
  page: Page,
  settings: { epochs: string; batchSize: string; learningRate?: string },
  timeout = 300_000,
): Promise<void> {
  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('radio', { name: /Quick/ }).check();
  await setSetting(page, 'Epochs', settings.epochs);
  await setSetting(page, 'Batch size', settings.batchSize);
  if (settings.learningRate) await setSetting(page, 'Learning rate', settings.learningRate);
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(runStatus(page)).toHaveText('done', { timeout });
}
