// Long runs in the studio itself: the built app in Chromium, served with a hub over the fixture
// models, trains the tiny DistilBERT on the Yelp sentences (full fine-tuning) for a set time,
// as an analyst would leave a run going. Every sample collects garbage and then reads what each
// part holds: the training engine's tensors and bytes (shown in the Train step at each epoch's end),
// the JS heap of the page and of each worker (DevTools protocol), and the origin's storage use.
// The page's longest main-thread task is recorded from a PerformanceObserver. After warm-up (the
// first sample past epoch 2) the tensor count must stay flat: growth there is a leak, and the
// suite fails rather than report it as a figure.
import { chromium, expect, type Browser, type CDPSession, type Page } from '@playwright/test';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, findChromium } from '../../e2e/support/browser.ts';
import { loadTinyModel, openData, setSetting } from '../../e2e/training.ts';
import { startHub } from '../hub/server.ts';
import { fixtureModelsDir, repoRoot } from '../node/paths.ts';
import type { BenchRow } from './table.ts';

export interface BrowserSoakOptions {
  /** Minutes of training (default 20). */
  minutes?: number;
  /** Seconds between samples (default 60). */
  sampleEverySec?: number;
  /** The backend the studio trains on (default wasm; webgpu on a machine with a real GPU). */
  backend?: 'wasm' | 'webgpu';
  onProgress?: (message: string) => void;
}

/** One reading of everything the studio holds. */
export interface BrowserSoakSample {
  seconds: number;
  step: number;
  /** The latest epoch-end figures of the training engine (null before the first epoch ends). */
  engine: { epoch: number; tensors: number; bytes: number } | null;
  pageHeapBytes: number;
  /** JS heap of each worker after a collection, by the worker script's name. */
  workerHeapBytes: Record<string, number>;
  storageBytes: number;
}

export interface BrowserSoakSummary {
  backend: string;
  minutes: number;
  samples: BrowserSoakSample[];
  /** Longest main-thread task (ms) while the run trained; 0 when none reached 50 ms. */
  longestTaskMs: number;
  longTasks: number;
}

const YELP = 'e2e/fixtures/yelp.csv';
const BATCH = 16;

/** The DevTools sessions the soak reads heaps through: the page's and one per worker. */
class HeapReader {
  private nextId = 0;
  private readonly waiting = new Map<number, (result: unknown) => void>();
  private readonly attached = new Map<string, { sessionId: string; name: string }>();
  private readonly silent = new Set<string>();

  private constructor(
    private readonly browserSession: CDPSession,
    private readonly pageSession: CDPSession,
  ) {
    browserSession.on('Target.receivedMessageFromTarget', (event) => {
      const reply = JSON.parse(event.message) as { id?: number; result?: unknown };
      if (reply.id !== undefined) this.waiting.get(reply.id)?.(reply.result);
      if (reply.id !== undefined) this.waiting.delete(reply.id);
    });
  }

  static async open(browser: Browser, page: Page): Promise<HeapReader> {
    return new HeapReader(await browser.newBrowserCDPSession(), await page.context().newCDPSession(page));
  }

  async pageHeap(): Promise<number> {
    await this.pageSession.send('HeapProfiler.collectGarbage');
    return (await this.pageSession.send('Runtime.getHeapUsage')).usedSize;
  }

  async workerHeaps(): Promise<Record<string, number>> {
    const { targetInfos } = await this.browserSession.send('Target.getTargets');
    const heaps: Record<string, number> = {};
    for (const target of targetInfos) {
      if (target.type !== 'worker' || this.silent.has(target.targetId)) continue;
      let session = this.attached.get(target.targetId);
      if (!session) {
        // Not flattened: Playwright's session then relays the worker's messages as events.
        const { sessionId } = await this.browserSession.send('Target.attachToTarget', {
          targetId: target.targetId,
          flatten: false,
        });
        session = { sessionId, name: workerName(target.url) };
        this.attached.set(target.targetId, session);
      }
      // WASM's compute threads wait on Atomics between kernels and never answer: they hold no
      // JS objects of ours, so a worker that stays silent for 10 s is left out from then on.
      const collected = await Promise.race([
        this.call(session.sessionId, 'HeapProfiler.collectGarbage').then(() => true),
        new Promise<false>((done) => setTimeout(() => done(false), 10_000)),
      ]);
      if (!collected) {
        this.silent.add(target.targetId);
        continue;
      }
      const usage = (await this.call(session.sessionId, 'Runtime.getHeapUsage')) as { usedSize: number };
      heaps[session.name] = (heaps[session.name] ?? 0) + usage.usedSize;
    }
    return heaps;
  }

  private call(sessionId: string, method: string): Promise<unknown> {
    const id = ++this.nextId;
    const reply = new Promise<unknown>((done) => this.waiting.set(id, done));
    void this.browserSession.send('Target.sendMessageToTarget', {
      sessionId,
      message: JSON.stringify({ id, method, params: {} }),
    });
    return reply;
  }
}

/** `/assets/train.worker-AbC123.js` → `train.worker`; workers made from a blob share one name. */
export function workerName(url: string): string {
  if (url.startsWith('blob:')) return 'blob worker';
  const file = url.split('/').pop() ?? url;
  return file.replace(/-[\w-]{6,}\.js$/, '').replace(/\.js$/, '') || 'worker';
}

export async function benchSoakBrowser(options: BrowserSoakOptions = {}): Promise<BenchRow[]> {
  return soakRows(await soakInBrowser(options));
}

export async function soakInBrowser(options: BrowserSoakOptions = {}): Promise<BrowserSoakSummary> {
  const log = options.onProgress ?? (() => undefined);
  const minutes = options.minutes ?? 20;
  const sampleEveryMs = (options.sampleEverySec ?? 60) * 1000;
  const backend = options.backend ?? 'wasm';
  const root = repoRoot;
  const hub = await startHub({ dir: fixtureModelsDir(), port: 0 });
  const outDir = resolve(root, 'node_modules/.cache/finetune-studio-soak');
  const previous = process.env.VITE_HUB_URL;
  process.env.VITE_HUB_URL = hub.url;
  let browser: Browser | null = null;
  let server: Awaited<ReturnType<typeof preview>> | null = null;
  try {
    log('soak (browser): building the studio');
    await build({ root, mode: 'e2e', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({
      root,
      mode: 'e2e',
      logLevel: 'warn',
      build: { outDir },
      preview: { host: '127.0.0.1', port: 0, strictPort: false },
    });
    const appUrl = server.resolvedUrls?.local[0];
    if (!appUrl) throw new Error('soak (browser): the preview server gave no address');
    browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.addInitScript(() => {
      const watch = { longest: 0, count: 0 };
      (window as unknown as { __soakTasks: typeof watch }).__soakTasks = watch;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          watch.longest = Math.max(watch.longest, entry.duration);
          watch.count++;
        }
      }).observe({ type: 'longtask', buffered: false });
    });
    log(`soak (browser): the studio is at ${appUrl}; opening the data and the model`);
    await page.goto(`${appUrl}?backend=${backend}`);
    await openData(page, resolve(root, YELP), 'yelp.csv', backend);
    await loadTinyModel(page);
    await page.getByRole('tab', { name: /Train/ }).click();
    await page.getByRole('radio', { name: /Thorough/ }).check();
    await setSetting(page, 'Epochs', '1000');
    await setSetting(page, 'Batch size', String(BATCH));
    await setSetting(page, 'Learning rate', '1e-4');
    const heaps = await HeapReader.open(browser, page);
    // The page's own work so far (import, model load) is not the run's: count tasks from here.
    await page.evaluate(() => {
      const watch = (window as unknown as { __soakTasks: { longest: number; count: number } }).__soakTasks;
      watch.longest = 0;
      watch.count = 0;
    });
    log('soak (browser): starting the run');
    await page.getByRole('button', { name: 'Start training' }).click();
    await expect(page.getByRole('status', { name: 'Run status' })).toHaveText('running', {
      timeout: 300_000,
    });
    const progress = page.getByRole('region', { name: 'Run 1 progress' });
    const memory = progress.getByLabel('Engine memory');

    const started = Date.now();
    const samples: BrowserSoakSample[] = [];
    for (;;) {
      const elapsed = Date.now() - started;
      const text = (await progress.textContent()) ?? '';
      const step = Number(/Step ([\d,]+) of/.exec(text)?.[1]?.replaceAll(',', '') ?? 0);
      const engine =
        (await memory.count()) > 0
          ? {
              epoch: Number(await memory.getAttribute('data-epoch')),
              tensors: Number(await memory.getAttribute('data-tensors')),
              bytes: Number(await memory.getAttribute('data-bytes')),
            }
          : null;
      const sample: BrowserSoakSample = {
        seconds: elapsed / 1000,
        step,
        engine,
        pageHeapBytes: await within(heaps.pageHeap(), 'the page heap'),
        workerHeapBytes: await within(heaps.workerHeaps(), 'the worker heaps'),
        storageBytes: await within(
          page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0),
          'the storage estimate',
        ),
      };
      samples.push(sample);
      log(
        `soak (browser): ${(sample.seconds / 60).toFixed(1)} min, step ${step}, ${engine ? `${engine.tensors} tensors` : 'no epoch yet'}, page heap ${mib(sample.pageHeapBytes).toFixed(1)} MiB`,
      );
      if (elapsed >= minutes * 60_000) break;
      await page.waitForTimeout(Math.min(sampleEveryMs, minutes * 60_000 - elapsed));
    }
    const tasks = await page.evaluate(
      () => (window as unknown as { __soakTasks: { longest: number; count: number } }).__soakTasks,
    );
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    return { backend, minutes, samples, longestTaskMs: tasks.longest, longTasks: tasks.count };
  } finally {
    await browser?.close();
    await new Promise<void>((done) => (server ? server.httpServer.close(() => done()) : done()));
    await hub.close();
    if (previous === undefined) delete process.env.VITE_HUB_URL;
    else process.env.VITE_HUB_URL = previous;
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** A reading that does not come within a minute stops the soak with a message naming it. */
async function within<T>(reading: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`soak (browser): reading ${what} took over a minute`)), 60_000);
  });
  try {
    return await Promise.race([reading, late]);
  } finally {
    clearTimeout(timer);
  }
}

const mib = (bytes: number) => bytes / 2 ** 20;

/** The suite's rows from a soak's samples; throws if the engine's tensors grew after warm-up. */
export function soakRows(summary: BrowserSoakSummary): BenchRow[] {
  const withEngine = summary.samples.filter((s) => s.engine !== null);
  const warm = withEngine.find((s) => s.engine!.epoch >= 2) ?? withEngine[0];
  const last = summary.samples.at(-1);
  if (!warm || !last || !last.engine) {
    throw new Error('soak (browser): no epoch ended while the run trained; nothing to compare');
  }
  if (last.engine.tensors > warm.engine!.tensors) {
    throw new Error(
      `soak (browser): the training engine's tensors grew from ${warm.engine!.tensors} at step ${warm.step} to ${last.engine.tensors} at step ${last.step}`,
    );
  }
  const where = `chromium ${summary.backend}`;
  const span = `${(warm.seconds / 60).toFixed(1)} → ${(last.seconds / 60).toFixed(1)} min (steps ${warm.step} → ${last.step})`;
  const note = `the studio, tiny DistilBERT full fine-tuning, batch ${BATCH}, Yelp sentences, ${summary.minutes} min, ${summary.samples.length} samples`;
  const row = (name: string, value: number, unit: string, extra: string): BenchRow => ({
    suite: 'soak',
    name,
    where,
    value,
    unit,
    note: `${extra}; ${note}`,
  });
  const growth = (name: string, before: number, after: number, extra = '') =>
    row(
      `${name}, growth after warm-up`,
      mib(after - before),
      'MiB',
      `${mib(before).toFixed(1)} → ${mib(after).toFixed(1)} MiB, ${span}${extra}`,
    );
  const rows = [
    row('training steps', last.step, 'steps', `${(last.seconds / 60).toFixed(1)} min of training`),
    row(
      'engine tensors, growth after warm-up',
      last.engine.tensors - warm.engine!.tensors,
      'tensors',
      `${warm.engine!.tensors} → ${last.engine.tensors}, ${span}`,
    ),
    growth('engine tensor memory', warm.engine!.bytes, last.engine.bytes),
    growth('page JS heap after a collection', warm.pageHeapBytes, last.pageHeapBytes),
  ];
  for (const name of Object.keys(last.workerHeapBytes).sort()) {
    const before = warm.workerHeapBytes[name];
    if (before === undefined) continue;
    rows.push(growth(`${name} JS heap after a collection`, before, last.workerHeapBytes[name]!));
  }
  rows.push(
    growth('origin storage', warm.storageBytes, last.storageBytes, ' (project, runs, checkpoints, caches)'),
    row(
      'longest main-thread task while training',
      summary.longestTaskMs,
      'ms',
      `${summary.longTasks} tasks of 50 ms or more in all`,
    ),
  );
  return rows;
}
