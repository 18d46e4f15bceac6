// Distillation into another model in the studio: a DistilBERT run (the teacher) teaches the tiny
// ModernBERT from the local hub, whose tokenizer is its own. Bad choices are refused in one line
// before a run exists; the student trains, answers the playground and exports ModernBERT's config
// and tokenizer, and after a reload answers the same from its stored weights, config and tokenizer.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { fixtureModelDir } from '../src/node/paths.ts';
import {
  downloadZip,
  loadTinyModel,
  openData,
  playgroundProbabilities,
  runStatus,
  trainQuickRun,
  watchPage,
} from './training.ts';
import { resolve } from 'node:path';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');
const STUDENT = 'modernbert-tiny-mlm-f16';

function json(files: Record<string, Uint8Array>, name: string): Record<string, unknown> {
  expect(files[name], name).toBeDefined();
  return JSON.parse(new TextDecoder().decode(files[name])) as Record<string, unknown>;
}

test('distil a finished run into another model with its own tokenizer', async ({ page }) => {
  test.setTimeout(600_000);
  const seen = await watchPage(page);
  await page.goto('/?backend=wasm');
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await loadTinyModel(page);
  await trainQuickRun(page, { epochs: '1', batchSize: '64', learningRate: '5e-3' });

  await page.getByRole('button', { name: 'Distil Run 1 into a smaller model' }).click();
  const form = page.getByRole('form', { name: 'Distil Run 1' });
  await form.getByRole('radio', { name: 'Another model from the Hub' }).check();
  const start = form.getByRole('button', { name: 'Start distillation' });
  // A text field with the catalog's suggestions: a combobox.
  const modelField = form.getByRole('combobox', { name: 'Student model', exact: true });
  await modelField.fill('not a repo');
  await expect(form.getByRole('note')).toHaveText(
    '"not a repo" is not a Hub repository id: type it as owner/name or owner/name@revision.',
  );
  await expect(start).toBeDisabled();
  // A repository the hub does not have is refused by the worker, before any run is made.
  await modelField.fill('nobody/no-such-model');
  await start.click();
  await expect(form.getByRole('alert')).toHaveText(/^The student model could not be loaded: [^\n]+$/, {
    timeout: 60_000,
  });
  const runs = page.getByRole('table', { name: 'Runs' });
  await expect(runs.getByText('Run 2')).toHaveCount(0);

  await modelField.fill(STUDENT);
  await form.getByRole('textbox', { name: 'Student epochs', exact: true }).fill('2');
  await form.getByRole('textbox', { name: 'Student learning rate', exact: true }).fill('3e-3');
  await start.click();
  await expect(form).toHaveCount(0, { timeout: 60_000 });
  await expect(runs).toContainText(`distilled from Run 1 into ${STUDENT}`);
  await expect(runStatus(page)).toHaveText('done', { timeout: 300_000 });

  await page.getByRole('tab', { name: /Evaluate/ }).click();
  const pair = page.getByRole('table', { name: 'Student and teacher' });
  await expect(pair.locator('tr[data-model="student"]')).toContainText(`Run 2 (${STUDENT})`);
  await page.getByRole('button', { name: 'Measure prediction speed' }).click();
  await expect(
    page.getByText(/Both timed on the same \d+ test examples, each on its own tokenization/),
  ).toBeVisible({ timeout: 120_000 });
  const before = await playgroundProbabilities(page, 'The food was great and the staff friendly.', 2);
  expect(before.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 2);

  await page.getByRole('tab', { name: /Export/ }).click();
  const zip = await downloadZip(page, 'Download model (.zip)');
  expect(json(zip, 'config.json')).toMatchObject({ model_type: 'modernbert', num_hidden_layers: 4 });
  expect(json(zip, 'tokenizer.json')).toEqual(
    JSON.parse(readFileSync(resolve(fixtureModelDir(STUDENT), 'tokenizer.json'), 'utf8')),
  );
  const studio = json(zip, 'training_args.json').finetune_studio as Record<string, unknown>;
  expect(studio.distillation).toMatchObject({ teacher: 'Run 1', student: { model: STUDENT, layers: 4 } });
  expect(new TextDecoder().decode(zip['README.md'])).toContain(STUDENT);

  // After a reload the student is rebuilt from its stored weights, config and tokenizer files.
  await page.reload();
  // The project is restored (its step included) before the playground is opened.
  await expect(page.getByRole('tab', { name: /Data/ })).toContainText('done', { timeout: 60_000 });
  await expect(page.getByRole('tab', { name: /Model/ })).toContainText('done', { timeout: 120_000 });
  const after = await playgroundProbabilities(page, 'The food was great and the staff friendly.', 2);
  after.forEach((p, i) => expect(p).toBeCloseTo(before[i]!, 3));
  expect(seen.problems).toEqual([]);
});
