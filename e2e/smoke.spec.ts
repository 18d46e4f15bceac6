// The built studio loads cleanly: no console errors, no request outside its own origin, the
// compute backend in the header, every step's empty state, and a sample that opens.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { APP_URL, ARTIFACTS_DIR, HUB_URL } from './support/env.ts';

mkdirSync(ARTIFACTS_DIR, { recursive: true });

function watch(page: Page) {
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol.startsWith('http') && url.origin !== new URL(APP_URL).origin)
      foreign.push(request.url());
  });
  return { problems, foreign };
}

const STEPS = [
  { tab: /Data/, text: /Drop a labelled CSV anywhere on this page/ },
  { tab: /Model/, text: /Nothing is downloaded until you press/ },
  { tab: /Train/, text: /Training needs a dataset/ },
  { tab: /Evaluate/, text: /appear once a training run has finished/ },
  { tab: /Export/, text: /Downloads of the trained model appear once a training run has finished/ },
];

test('the studio loads with no console errors and no network request, on WebGPU', async ({ page }) => {
  const seen = watch(page);
  await page.goto('/?backend=webgpu');
  const header = page.getByRole('banner');
  await expect(header).toContainText('Finetune Studio');
  const badge = header.getByTestId('backend-badge');
  await expect(badge).toContainText('webgpu');
  await expect(badge).toContainText(/swiftshader/i);
  // Give late work (workers, storage) the chance to misbehave before judging.
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(1000);
  await page.screenshot({ path: `${ARTIFACTS_DIR}/smoke-start.png` });
  expect(seen.problems).toEqual([]);
  expect(seen.foreign).toEqual([]);
});

test('the page ships a Content-Security-Policy limited to itself and the Hub', async ({ page }) => {
  await page.goto('/');
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).not.toBeNull();
  const connect = policy!
    .split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith('connect-src'))!
    .split(/\s+/)
    .slice(1);
  expect(connect.sort()).toEqual(
    ["'self'", 'https://*.hf.co', 'https://huggingface.co', new URL(HUB_URL).origin].sort(),
  );
});

for (const scheme of ['light', 'dark'] as const) {
  test(`every step shows what to do next (${scheme})`, async ({ page }) => {
    const seen = watch(page);
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto('/');
    await expect(page.getByTestId('backend-badge')).toContainText(/webgpu|webgl|wasm|cpu/);
    for (const [index, step] of STEPS.entries()) {
      await page.getByRole('tab', { name: step.tab }).click();
      await expect(page.getByRole('tab', { name: step.tab })).toHaveAttribute('aria-selected', 'true');
      await expect(page.getByRole('tabpanel')).toContainText(step.text);
      await page.screenshot({ path: `${ARTIFACTS_DIR}/empty-${index + 1}-${scheme}.png` });
    }
    expect(seen.problems).toEqual([]);
  });
}

test('the steps are operable with the keyboard', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('tab', { name: /Data/ }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: /Model/ })).toBeFocused();
  await expect(page.getByRole('tabpanel')).toContainText('Hub repository');
  await page.keyboard.press('End');
  await expect(page.getByRole('tab', { name: /Export/ })).toHaveAttribute('aria-selected', 'true');
});

test('a sample dataset can be picked', async ({ page }) => {
  const seen = watch(page);
  await page.goto('/');
  await page.getByRole('button', { name: /Try a sample: Yelp/ }).click();
  const summary = page.getByRole('region', { name: 'Dataset summary' });
  await expect(summary).toContainText('yelp');
  await expect(summary.getByTestId('rows-count')).toHaveText('1,000');
  await expect(summary.getByTestId('kept-count')).toHaveText('1,000');
  await expect(page.getByRole('heading', { name: /Labels of the kept rows/ })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Rows of the file' })).toContainText(
    'Wow... Loved this place.',
  );
  await page.screenshot({ path: `${ARTIFACTS_DIR}/smoke-sample.png`, fullPage: true });
  expect(seen.problems).toEqual([]);
  expect(seen.foreign).toEqual([]);
});

test('settings can force another backend and say so', async ({ page }) => {
  await page.goto('/');
  // Automatic: WASM, since the only WebGPU adapter here is SwiftShader.
  await expect(page.getByTestId('backend-badge')).toContainText('wasm');
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('radio', { name: 'WebGPU', exact: true }).check();
  await dialog.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByTestId('backend-badge')).toContainText('webgpu');
  await expect(page.getByTestId('backend-badge')).toContainText('chosen');
  // The choice survives a reload.
  await page.waitForTimeout(1000);
  await page.reload();
  await expect(page.getByTestId('backend-badge')).toContainText('webgpu');
});
