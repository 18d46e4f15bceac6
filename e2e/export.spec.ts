// One checkpoint, exported twice: by the studio (the model zip it downloads) and by the CLI
// (`finetune-studio export` on the run folder the studio also downloads). The two zips must be the
// same bytes, so a model is the same file whichever tool packaged it.
import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unzipFolder, zipDifference } from '../src/core/export/index.ts';
import { ARTIFACTS_DIR, HUB_URL } from './support/env.ts';
import { loadTinyModel, openData, TINY_MODEL, trainQuickRun } from './training.ts';

mkdirSync(ARTIFACTS_DIR, { recursive: true });

const ROOT = resolve(import.meta.dirname, '..');
const NLU = resolve(import.meta.dirname, 'fixtures/nlu_banking_600.csv');
const YELP = resolve(import.meta.dirname, 'fixtures/yelp.csv');

async function download(page: Page, button: string): Promise<{ bytes: Uint8Array; name: string }> {
  const pending = page.waitForEvent('download');
  await page.getByRole('button', { name: button }).click();
  const file = await pending;
  return { bytes: new Uint8Array(readFileSync(await file.path())), name: file.suggestedFilename() };
}

function cliExport(runZip: string, out: string): string {
  return execFileSync(
    process.execPath,
    [join(ROOT, 'src/cli/bin.mjs'), 'export', runZip, '--out', out, '--hub-url', HUB_URL],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
}

async function trainShortRun(page: Page, csv: string, name: string): Promise<void> {
  // The checkpoint's backend does not matter to packaging; threaded WASM trains it quickly.
  await page.goto('/?backend=wasm');
  await openData(page, csv, name, 'wasm');
  await loadTinyModel(page);
  await trainQuickRun(page, { epochs: '1', batchSize: '64', learningRate: '5e-3' }, 900_000);
}

/** Downloads both zips of the trained run, has the CLI export the run folder, compares the bytes. */
async function exportBothWays(page: Page, tag: string): Promise<Map<string, Uint8Array>> {
  await page.getByRole('tab', { name: /Export/ }).click();
  const studio = await download(page, 'Download model (.zip)');
  const run = await download(page, 'Download run folder (to continue in the CLI)');
  expect(studio.name).toMatch(/-model\.zip$/);
  expect(run.name).toMatch(/-run\.zip$/);

  const dir = mkdtempSync(join(tmpdir(), `finetune-export-e2e-${tag}-`));
  try {
    const runZip = join(dir, run.name);
    const cliZip = join(dir, 'cli-model.zip');
    writeFileSync(runZip, run.bytes);
    cliExport(runZip, cliZip);
    const cli = new Uint8Array(readFileSync(cliZip));
    const difference = zipDifference(studio.bytes, cli, ['studio', 'CLI']);
    if (difference !== null) {
      writeFileSync(join(ARTIFACTS_DIR, `export-${tag}-studio.zip`), studio.bytes);
      writeFileSync(join(ARTIFACTS_DIR, `export-${tag}-cli.zip`), cli);
      writeFileSync(join(ARTIFACTS_DIR, `export-${tag}-run.zip`), run.bytes);
    }
    expect(difference, 'the studio and the CLI export the same checkpoint to the same zip').toBeNull();
    expect(cli.byteLength).toBe(studio.bytes.byteLength);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return unzipFolder(studio.bytes);
}

test('the studio and the CLI export one checkpoint to the same zip, byte for byte', async ({ page }) => {
  test.setTimeout(1_200_000);
  await trainShortRun(page, YELP, 'yelp.csv');
  const files = await exportBothWays(page, 'single-label');

  // The comparison covered a full export with the run's own metadata, not an empty shell.
  expect([...files.keys()]).toEqual(
    expect.arrayContaining(['README.md', 'model.safetensors', 'onnx/model.onnx', 'training_args.json']),
  );
  const card = new TextDecoder().decode(files.get('README.md'));
  writeFileSync(join(ARTIFACTS_DIR, 'export-single-label-README.md'), card);
  expect(card).toContain(TINY_MODEL);
  expect(card).toMatch(/\| accuracy \| \d\.\d{4} \|/);
  expect(card).toContain('| true \\ predicted | negative | positive |');
  const args = JSON.parse(new TextDecoder().decode(files.get('training_args.json'))) as {
    num_train_epochs: number;
    learning_rate: number;
    finetune_studio: Record<string, unknown>;
  };
  expect(args).toMatchObject({ num_train_epochs: 1, learning_rate: 5e-3 });
  // train.py reads the file as the studio did and, given the same file, trains on the same split.
  expect(args.finetune_studio).toMatchObject({
    csv: { encoding: 'utf-8', delimiter: ',', header: true },
    case_fold: false,
    drop_duplicates: false,
  });
  const split = JSON.parse(new TextDecoder().decode(files.get('split.json'))) as {
    kept_rows: number;
    train: number[];
    validation: number[];
    test: number[];
  };
  expect(split.train.length + split.validation.length + split.test.length).toBe(split.kept_rows);
  expect(split.kept_rows).toBeGreaterThan(0);

  // The int8 model was checked on the run's validation split in the browser; the CLI, which has
  // no data, reproduced the same decision from the run folder (the zips are equal above).
  expect(card).toContain('### Quantized ONNX model (int8)');
  expect(card).toMatch(/On the validation split \(\d+ rows\)/);
  const shipped = /That is within the margin/.test(card);
  expect(files.has('onnx/model_quantized.onnx')).toBe(shipped);
});

test('a multi-label run with tuned thresholds exports to the same zip from the studio and the CLI', async ({
  page,
}) => {
  test.setTimeout(1_200_000);
  await trainShortRun(page, NLU, 'nlu_banking_600.csv');
  const files = await exportBothWays(page, 'multi-label');
  const thresholds = JSON.parse(new TextDecoder().decode(files.get('thresholds.json'))) as {
    thresholds: Record<string, number>;
  };
  expect(Object.keys(thresholds.thresholds).length).toBeGreaterThan(3);
  expect(new TextDecoder().decode(files.get('README.md'))).toContain('Decision thresholds');
});
