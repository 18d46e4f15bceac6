import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, findChromium } from './e2e/support/browser.ts';
import { APP_URL, HUB_PORT, HUB_URL, PREVIEW_PORT } from './e2e/support/env.ts';
import { fixtureModelsDir } from './src/node/paths.ts';

/** What the browser tests cannot run without; when it is missing, one line saying why, no stack. */
function required<T>(find: () => T): T {
  try {
    return find();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}

// Browser tests run against `vite build` + preview (built with VITE_HUB_URL pointing at the local
// hub), never the dev server, which reloads the page while it optimizes dependencies.
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 300_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'test-artifacts/playwright-report' }]],
  use: {
    baseURL: APP_URL,
    viewport: { width: 1280, height: 800 },
    launchOptions: { executablePath: required(findChromium), args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: [
    {
      command: `node --import tsx src/hub/cli.ts --quiet --port ${HUB_PORT} --dir "${required(fixtureModelsDir)}"`,
      url: `${HUB_URL}/distilbert-tiny-seqcls/resolve/main/config.json`,
      reuseExistingServer: !process.env.CI,
      timeout: 30_000,
    },
    {
      command: `npx vite preview --host 127.0.0.1 --port ${PREVIEW_PORT} --strictPort`,
      url: APP_URL,
      reuseExistingServer: !process.env.CI,
      timeout: 60_000,
    },
  ],
});
