// A reload in the middle of a run: the project (data, columns, model) and the run's curves come
// back, the run says it was interrupted, and it continues from the checkpoint saved at the end of
// its last full epoch, with the optimizer's state, at the step after it (not from step 1).
import { expect, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ARTIFACTS_DIR } from './support/env.ts';
import { lastStep, loadTinyModel, openData, points, runStatus, setSetting } from './training.ts';

mkdirSync(ARTIFACTS_DIR, { recursive: true });

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
// 800 training rows at batch 16: 50 updates per epoch, so a reload lands well inside an epoch.
const BATCH = 16;
const STEPS_PER_EPOCH = 50;
const EPOCHS = 4;

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
  await setSetting(page, 'Epochs', String(EPOCHS));
  await setSetting(page, 'Batch size', String(BATCH));
  await setSetting(page, 'Learning rate', '1e-3');
  await page.getByRole('button', { name: 'Start training' }).click();

  // Wait until the first epoch's checkpoint is saved (its evaluation is on the chart) and the
  // second epoch is under way; saving is throttled, so give the last records a moment to be stored.
  await expect.poll(() => points(page, 'Validation loss'), { timeout: 900_000 }).toBeGreaterThanOrEqual(1);
  await expect
    .poll(() => lastStep(page, 'Training loss'), { timeout: 600_000 })
    .toBeGreaterThanOrEqual(STEPS_PER_EPOCH + 2);
  await page.waitForTimeout(2_000);

  await page.reload();
  await expect(page.getByTestId('backend-badge')).toContainText(/wasm/);
  await expect(page.getByRole('tab', { name: /Data/ })).toContainText('done', { timeout: 60_000 });
  await expect(page.getByRole('tab', { name: /Model/ })).toContainText('done', { timeout: 120_000 });
  await page.getByRole('tab', { name: /Train/ }).click();
  await expect(runStatus(page)).toHaveText('interrupted');
  // The run may have passed more than one epoch's end before the reload; whichever checkpoint the
  // record names is the one it resumes from, and the curve reaches at least that far.
  const progress = page.getByRole('region', { name: 'Run 1 progress' });
  await expect(progress).toContainText(/checkpoint saved at step \d+/);
  const checkpointStep = Number(
    /checkpoint saved at step (\d+)/.exec((await progress.textContent()) ?? '')?.[1],
  );
  expect(checkpointStep % STEPS_PER_EPOCH).toBe(0);
  expect(checkpointStep).toBeGreaterThanOrEqual(STEPS_PER_EPOCH);
  // Curves are compared by the step of their last point: a step event stands for every step
  // since the one before, so a fast run has fewer points than steps.
  const restored = await lastStep(page, 'Training loss');
  expect(restored).toBeGreaterThanOrEqual(checkpointStep);
  expect(restored).toBeLessThanOrEqual(STEPS_PER_EPOCH * EPOCHS);
  expect(await points(page, 'Validation loss')).toBeGreaterThanOrEqual(checkpointStep / STEPS_PER_EPOCH);
  await page.screenshot({ path: `${ARTIFACTS_DIR}/reload-restored.png`, fullPage: true });

  const stepShown = async (): Promise<number | null> => {
    const match = new RegExp(`Step (\\d+) of ${STEPS_PER_EPOCH * EPOCHS}`).exec(
      (await progress.textContent()) ?? '',
    );
    return match ? Number(match[1]) : null;
  };
  await page.getByRole('button', { name: 'Continue from checkpoint' }).click();
  await expect(runStatus(page)).toHaveText('running', { timeout: 300_000 });
  const epoch = checkpointStep / STEPS_PER_EPOCH;
  await expect(page.getByRole('list', { name: 'Training notes' })).toContainText(
    `Resumed from the checkpoint at step ${checkpointStep} (epoch ${epoch}) with the optimizer's state`,
  );
  // The curve was cut back to the checkpoint and grows again past it; every step shown on the way
  // continues the checkpoint's count (a restarted loop would show steps 1, 2, … again).
  const seen: number[] = [];
  await expect
    .poll(
      async () => {
        const step = await stepShown();
        if (step !== null) seen.push(step);
        return lastStep(page, 'Training loss');
      },
      { timeout: 300_000, intervals: [100] },
    )
    .toBeGreaterThan(checkpointStep + 1);
  const after = await stepShown();
  expect(after).toBeGreaterThanOrEqual(checkpointStep + 1);
  expect(Math.min(...seen), `steps shown after resuming: ${seen.join(', ')}`).toBeGreaterThanOrEqual(
    checkpointStep,
  );
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(runStatus(page)).toHaveText('stopped', { timeout: 600_000 });
  await page.screenshot({ path: `${ARTIFACTS_DIR}/reload-continued.png`, fullPage: true });
});
