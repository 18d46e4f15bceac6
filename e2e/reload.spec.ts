// A reload in the middle of a run: the project (data, columns, model) and the run's curves come
// back, the run says it was interrupted, and it continues from the checkpoint saved at the end of
// its last full epoch, with the optimizer's state, at the step after it (not from step 1).
import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ARTIFACTS_DIR } from './support/env.ts';
import { loadTinyModel, openData, points, runStatus, setSetting } from './training.ts';

mkdirSync(ARTIFACTS_DIR, { recursive: true });

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');

test('a reload mid-run restores the project and the run, which continues from its checkpoint', async ({
  page,
}) => {
  test.setTimeout(1_200_000);
  // Saving and resuming are the same on every backend; threaded WASM keeps this spec quick (the
  // journey trains on WebGPU, and Node tests restore the WebGPU optimizer's moments).
  await page.goto('/?backend=wasm');
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await loadTinyModel(page);

  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('radio', { name: /Balanced/ }).check();
  await setSetting(page, 'Layers to train', '1');
  await setSetting(page, 'Epochs', '3');
  await setSetting(page, 'Batch size', '64');
  await setSetting(page, 'Learning rate', '1e-3');
  await page.getByRole('button', { name: 'Start training' }).click();

  // 800 training rows at batch 64: 13 updates per epoch. Wait until the first epoch's checkpoint
  // is saved (its evaluation is on the chart) and the second epoch is under way.
  await expect.poll(() => points(page, 'Validation loss'), { timeout: 900_000 }).toBeGreaterThanOrEqual(1);
  await expect.poll(() => points(page, 'Training loss'), { timeout: 600_000 }).toBeGreaterThanOrEqual(15);
  const before = await points(page, 'Training loss');
  // Saving is debounced; give the last records a moment to reach storage.
  await page.waitForTimeout(2_000);

  await page.reload();
  await expect(page.getByTestId('backend-badge')).toContainText(/wasm/);
  await expect(page.getByRole('tab', { name: /Data/ })).toContainText('done', { timeout: 60_000 });
  await expect(page.getByRole('tab', { name: /Model/ })).toContainText('done', { timeout: 120_000 });
  await page.getByRole('tab', { name: /Train/ }).click();
  await expect(runStatus(page)).toHaveText('interrupted');
  const restored = await points(page, 'Training loss');
  expect(restored).toBeGreaterThanOrEqual(13);
  expect(restored).toBeLessThanOrEqual(before + 5);
  expect(await points(page, 'Validation loss')).toBeGreaterThanOrEqual(1);
  await expect(page.getByRole('region', { name: 'Run 1 progress' })).toContainText(
    'checkpoint saved at step 13',
  );
  await page.screenshot({ path: `${ARTIFACTS_DIR}/reload-restored.png`, fullPage: true });

  const progress = page.getByRole('region', { name: 'Run 1 progress' });
  const stepShown = async (): Promise<number | null> => {
    const match = /Step (\d+) of 39/.exec((await progress.textContent()) ?? '');
    return match ? Number(match[1]) : null;
  };
  await page.getByRole('button', { name: 'Continue from checkpoint' }).click();
  await expect(runStatus(page)).toHaveText('running', { timeout: 300_000 });
  await expect(page.getByRole('list', { name: 'Training notes' })).toContainText(
    "Resumed from the checkpoint at step 13 (epoch 1) with the optimizer's state",
  );
  // The curve was cut back to the checkpoint and grows again past it; every step shown on the way
  // continues the checkpoint's count (a restarted loop would show steps 1, 2, … again).
  const seen: number[] = [];
  await expect
    .poll(
      async () => {
        const step = await stepShown();
        if (step !== null) seen.push(step);
        return points(page, 'Training loss');
      },
      { timeout: 300_000, intervals: [100] },
    )
    .toBeGreaterThan(14);
  const after = await stepShown();
  expect(after).toBeGreaterThanOrEqual(14);
  expect(Math.min(...seen), `steps shown after resuming: ${seen.join(', ')}`).toBeGreaterThanOrEqual(13);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(runStatus(page)).toHaveText('stopped', { timeout: 600_000 });
  await page.screenshot({ path: `${ARTIFACTS_DIR}/reload-continued.png`, fullPage: true });
});
