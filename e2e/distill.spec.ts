// Distillation in the studio: a finished run (the teacher) is distilled into a 1-layer student,
// which trains as a run of its own, is evaluated beside its teacher, and exports a 1-layer model
// whose training_args.json names the teacher.
import { expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { runPython } from '../src/node/python.ts';
import { downloadZip, loadTinyModel, openData, runStatus, setSetting, watchPage } from './training.ts';

const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');

// The exported student in transformers: every weight matches a parameter of a 1-layer model, and
// its logits equal the zip's ONNX graph's on the same tokenized texts.
const TRANSFORMERS_CHECK = `
import json, sys
import numpy as np, onnxruntime as ort, torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
folder = sys.argv[1]
model, info = AutoModelForSequenceClassification.from_pretrained(folder, output_loading_info=True)
model.eval()
tokenizer = AutoTokenizer.from_pretrained(folder)
batch = tokenizer(["The food was great.", "Terrible service, never again."], padding=True, return_tensors="pt")
with torch.no_grad():
    logits = model(**batch).logits.numpy()
session = ort.InferenceSession(folder + "/onnx/model.onnx")
feeds = {i.name: batch[i.name].numpy().astype(np.int64) for i in session.get_inputs()}
onnx_logits = session.run(None, feeds)[0]
print(json.dumps({"layers": model.config.n_layers, "missing": sorted(info["missing_keys"]),
  "unexpected": sorted(info["unexpected_keys"]), "difference": float(np.abs(logits - onnx_logits).max())}))
`;

function json(files: Record<string, Uint8Array>, name: string): Record<string, unknown> {
  expect(files[name], name).toBeDefined();
  return JSON.parse(new TextDecoder().decode(files[name])) as Record<string, unknown>;
}

test('distil a finished run into a 1-layer student: it trains, evaluates beside its teacher and exports', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const seen = await watchPage(page);
  // The student's shape and records do not depend on the backend; threaded WASM keeps this quick.
  await page.goto('/?backend=wasm');
  await openData(page, YELP, 'yelp.csv', 'wasm');
  await loadTinyModel(page);

  await page.getByRole('tab', { name: /Train/ }).click();
  await page.getByRole('radio', { name: /Quick/ }).check();
  await setSetting(page, 'Epochs', '1');
  await setSetting(page, 'Batch size', '64');
  await setSetting(page, 'Learning rate', '5e-3');
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect(runStatus(page)).toHaveText('done', { timeout: 300_000 });

  await page.getByRole('button', { name: 'Distil Run 1 into a smaller model' }).click();
  const form = page.getByRole('form', { name: 'Distil Run 1' });
  await expect(form.getByRole('textbox', { name: 'Student layers', exact: true })).toHaveValue('1');
  await expect(form.getByRole('textbox', { name: 'Alpha', exact: true })).toHaveValue('0.5');
  await expect(form.getByRole('textbox', { name: 'Temperature', exact: true })).toHaveValue('2');
  // A student as deep as its 2-layer teacher is refused in one line.
  await form.getByRole('textbox', { name: 'Student layers', exact: true }).fill('2');
  await expect(form.getByRole('note')).toHaveText('The student has 1 to 1 layers, got 2.');
  await expect(form.getByRole('button', { name: 'Start distillation' })).toBeDisabled();
  await form.getByRole('textbox', { name: 'Student layers', exact: true }).fill('1');
  await form.getByRole('textbox', { name: 'Student epochs', exact: true }).fill('1');
  await form.getByRole('button', { name: 'Start distillation' }).click();
  await expect(form).toHaveCount(0);

  const runs = page.getByRole('table', { name: 'Runs' });
  await expect(runs).toContainText('distilled from Run 1 into 1 layer');
  await expect(runStatus(page)).toHaveText('done', { timeout: 300_000 });
  await expect(page.getByRole('figure', { name: 'Training loss chart' })).toBeVisible();

  await page.getByRole('tab', { name: /Evaluate/ }).click();
  await expect(page.getByLabel('Run to evaluate')).toHaveValue(/.+/);
  const pair = page.getByRole('table', { name: 'Student and teacher' });
  await expect(pair.locator('tr[data-model="teacher"]')).toContainText('Run 1');
  await expect(pair.locator('tr[data-model="student"]')).toContainText('Run 2');
  for (const model of ['teacher', 'student']) {
    const cells = pair.locator(`tr[data-model="${model}"] td`);
    await expect(cells.nth(2)).toHaveText(/^0\.\d{3}|1\.000$/);
    await expect(cells.nth(3)).toHaveText(/^0\.\d{3}|1\.000$/);
  }
  await page.getByRole('button', { name: 'Measure prediction speed' }).click();
  await expect(page.getByText(/Both timed on the same \d+ test examples/)).toBeVisible({ timeout: 120_000 });
  for (const model of ['teacher', 'student']) {
    await expect(pair.locator(`tr[data-model="${model}"] td`).nth(4)).toHaveText(/^\d+\.\d$/);
  }

  await page.getByRole('tab', { name: /Export/ }).click();
  const zip = await downloadZip(page, 'Download model (.zip)');
  const config = json(zip, 'config.json');
  expect(config.n_layers).toBe(1);
  const studio = json(zip, 'training_args.json').finetune_studio as Record<string, unknown>;
  expect(studio.distillation).toMatchObject({
    teacher: 'Run 1',
    teacher_layers: 2,
    alpha: 0.5,
    temperature: 2,
    student: { layers: 1, teacher_layers: [0] },
  });
  const folder = mkdtempSync(join(tmpdir(), 'finetune-distill-e2e-'));
  try {
    for (const [name, bytes] of Object.entries(zip)) {
      if (name.endsWith('/')) continue;
      mkdirSync(dirname(join(folder, name)), { recursive: true });
      writeFileSync(join(folder, name), bytes);
    }
    const run = await runPython(['-c', TRANSFORMERS_CHECK, folder], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const loaded = JSON.parse(run.stdout) as {
      layers: number;
      missing: string[];
      unexpected: string[];
      difference: number;
    };
    expect(loaded).toMatchObject({ layers: 1, missing: [], unexpected: [] });
    expect(loaded.difference).toBeLessThan(1e-4);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  expect(seen.problems).toEqual([]);
});
