// Node side of the browser harness: builds the test page, serves it (with the datasets it reads)
// and a model hub over the fixture models on free localhost ports, and opens it in Chromium.
// Used by e2e/parity.spec.ts and by the browser benchmark (src/bench/browser.ts).
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub, type RunningHub } from '../../src/hub/server.ts';
import { dataDir, fixtureModelsDir } from '../../src/node/paths.ts';
import type { HarnessApi } from './types.ts';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
/**
 * Where a harness build goes: the spec and the benchmark each build their own copy, so one of
 * them rebuilding never pulls files from under a page the other has open.
 */
export function harnessDist(purpose: 'e2e' | 'bench'): string {
  return resolve(REPO_ROOT, 'dist-harness', purpose);
}

/** Builds the harness page with its own Vite config into dist-harness/<purpose>/. */
export async function buildHarness(purpose: 'e2e' | 'bench'): Promise<void> {
  const vite = resolve(REPO_ROOT, 'node_modules/vite/bin/vite.js');
  const outDir = harnessDist(purpose);
  await new Promise<void>((done, fail) => {
    const args = [vite, 'build', '-c', 'vite.harness.config.ts', '--outDir', outDir, '--emptyOutDir'];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0
        ? done()
        : fail(new Error(`building the harness failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
  if (!existsSync(resolve(outDir, 'index.html'))) throw new Error('the harness build wrote no index.html');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Dataset files the page may read, by URL path: nothing else of the data folder is served. */
function datasetRoutes(): Map<string, string> {
  return new Map([['/data/banking77/train.csv', resolve(dataDir(), 'banking77/train.csv')]]);
}

async function serveStatic(root: string, routes: Map<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    let file = routes.get(pathname);
    if (!file) {
      const candidate = resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
      if (candidate.startsWith(root + sep)) file = candidate;
    }
    if (!file || !existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    void fs.stat(file).then(
      (stat) => {
        if (!stat.isFile()) {
          res.writeHead(404);
          res.end();
          return;
        }
        res.writeHead(200, {
          'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          'Content-Length': stat.size,
          'Cache-Control': 'no-store',
          // Cross-origin isolated as the studio is served, so WASM runs threaded here too.
          'Cross-Origin-Opener-Policy': 'same-origin',
          'Cross-Origin-Embedder-Policy': 'credentialless',
        });
        createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return server;
}

export interface RunningHarness {
  /** The harness page. */
  url: string;
  /** The model hub over the fixture models (Hugging Face URL layout). */
  hubUrl: string;
  /** Same-origin URL of Banking77's train.csv. */
  banking77Url: string;
  close(): Promise<void>;
}

/**
 * Serves a harness build and a hub over the fixture models (or the model folders in `modelsDir`)
 * on free localhost ports.
 */
export async function startHarness(
  purpose: 'e2e' | 'bench',
  options: { modelsDir?: string } = {},
): Promise<RunningHarness> {
  const dist = harnessDist(purpose);
  if (!existsSync(resolve(dist, 'index.html'))) {
    throw new Error(`build the harness first (buildHarness('${purpose}'))`);
  }
  const hub: RunningHub = await startHub({ dir: options.modelsDir ?? fixtureModelsDir(), port: 0 });
  const server = await serveStatic(dist, datasetRoutes());
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url: `${url}/index.html`,
    hubUrl: hub.url,
    banking77Url: `${url}/data/banking77/train.csv`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await hub.close();
    },
  };
}

/** The subset of a Playwright Page the harness needs (from @playwright/test or playwright-core). */
export interface HarnessPage {
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: string): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  on(event: 'console', listener: (message: { type(): string; text(): string }) => void): unknown;
}

/** Opens the harness in `page` and waits until window.harness is there. */
export async function openHarness(page: HarnessPage, harness: RunningHarness): Promise<void> {
  await page.goto(harness.url);
  await page.waitForFunction('window.harness !== undefined');
}

/** Calls one harness entry in the page with a JSON argument. */
export async function callHarness<K extends keyof HarnessApi>(
  page: HarnessPage,
  name: K,
  arg: Parameters<HarnessApi[K]>[0],
): Promise<Awaited<ReturnType<HarnessApi[K]>>> {
  return page.evaluate(
    async ({ name: entry, arg: value }: { name: K; arg: unknown }) => {
      const api = (window as unknown as { harness: Record<string, (a: unknown) => Promise<unknown>> })
        .harness;
      return api[entry]!(value);
    },
    { name, arg },
  ) as Promise<Awaited<ReturnType<HarnessApi[K]>>>;
}
