// The Model step in the built studio against the local hub serving the fixture models: byte
// progress, what was loaded, clear messages for wrong repos, the browser cache on a second visit,
// a dropped folder, and the dataset's labels and token lengths once both steps are done.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MODEL_CATALOG } from '../src/core/model/index.ts';
import { dataDir, fixtureModelDir } from '../src/node/paths.ts';
import { ARTIFACTS_DIR, HUB_URL } from './support/env.ts';

mkdirSync(ARTIFACTS_DIR, { recursive: true });

type FixtureName = 'distilbert-tiny-seqcls' | 'distilbert-tiny-mlm-f16';

/** What the fixture's own files say: config.json and the tensor shapes in the safetensors header. */
function fixtureFacts(name: FixtureName) {
  const dir = fixtureModelDir(name);
  const config = JSON.parse(readFileSync(resolve(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const weights = readFileSync(resolve(dir, 'model.safetensors'));
  const headerLength = Number(weights.readBigUInt64LE(0));
  const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { shape: number[] }
  >;
  const tensors = Object.entries(header).filter(([key]) => key !== '__metadata__');
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  return { config, tensors: tensors.map(([key, info]) => ({ key, size: size(info.shape) })) };
}

async function openModelStep(page: Page): Promise<void> {
  await page.goto('/?backend=webgpu');
  await expect(page.getByTestId('backend-badge')).toContainText('webgpu');
  await page.getByRole('tab', { name: /Model/ }).click();
}

async function loadFromHub(page: Page, repo: string): Promise<void> {
  await page.getByLabel('Hub repository').fill(repo);
  await page.getByRole('button', { name: 'Load from the Hub' }).click();
}

test('the tiny model loads from the local hub and the page says what was loaded', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  const { config, tensors } = fixtureFacts('distilbert-tiny-seqcls');
  await openModelStep(page);
  expect(requests.filter((url) => url.startsWith(HUB_URL))).toEqual([]);
  await loadFromHub(page, 'distilbert-tiny-seqcls');
  const loaded = page.getByRole('region', { name: /Loaded: distilbert-tiny-seqcls/ });
  await expect(loaded).toBeVisible();
  const parameters = tensors.reduce((sum, tensor) => sum + tensor.size, 0);
  await expect(loaded).toContainText(new Intl.NumberFormat('en-US').format(parameters));
  await expect(loaded).toContainText(`Layers${config.n_layers}`);
  await expect(loaded).toContainText(`Hidden size${config.dim}`);
  await expect(loaded).toContainText(`Heads${config.n_heads}`);
  for (const label of Object.values(config.id2label as Record<string, string>))
    await expect(loaded).toContainText(label);
  await expect(loaded).toContainText('All weights loaded from the checkpoint.');
  const compute = page.getByRole('region', { name: 'Compute' });
  await expect(compute).toContainText('webgpu');
  await expect(compute).toContainText(/swiftshader/i);
  await expect(page.getByRole('tab', { name: /Model/ })).toContainText('done');
  expect(requests).toContain(`${HUB_URL}/distilbert-tiny-seqcls/resolve/main/model.safetensors`);
  await page.screenshot({ path: `${ARTIFACTS_DIR}/model-loaded.png`, fullPage: true });
});

test('a pretraining checkpoint gets a new head and the report lists the ignored weights', async ({
  page,
}) => {
  const { tensors } = fixtureFacts('distilbert-tiny-mlm-f16');
  const ignored = tensors.filter((tensor) => tensor.key.startsWith('vocab_')).map((tensor) => tensor.key);
  expect(ignored.length).toBeGreaterThan(0);
  await openModelStep(page);
  await loadFromHub(page, 'distilbert-tiny-mlm-f16');
  const loaded = page.getByRole('region', { name: /Loaded: distilbert-tiny-mlm-f16/ });
  await expect(loaded).toBeVisible();
  await loaded.getByText(/Ignored checkpoint weights/).click();
  for (const name of ignored) await expect(loaded).toContainText(name);
  await loaded.getByText(/Missing, newly initialised/).click();
  await expect(loaded).toContainText('classifier.weight');
  await expect(loaded).toContainText('pre_classifier.weight');
});

test('wrong repository ids get a clear message and the step stays usable', async ({ page }) => {
  await openModelStep(page);
  await loadFromHub(page, 'no-such-model');
  await expect(page.getByRole('alert')).toContainText(/Repository no-such-model was not found on http/);
  await expect(page.getByRole('alert')).toContainText('Check the repository id');
  await loadFromHub(page, 'not a repo!');
  await expect(page.getByRole('alert')).toContainText('is not a Hub repository id');
  await expect(page.getByRole('alert')).toContainText('owner/name');
  await page.screenshot({ path: `${ARTIFACTS_DIR}/model-error.png` });
  await loadFromHub(page, 'distilbert-tiny-seqcls');
  await expect(page.getByRole('region', { name: /Loaded: distilbert-tiny-seqcls/ })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
});

test('the suggested models give size, languages and licence, and one click loads one', async ({ page }) => {
  await openModelStep(page);
  const catalog = page.getByRole('table', { name: 'Suggested models' });
  // One row per catalog entry, plus the header row.
  await expect(catalog.getByRole('row')).toHaveCount(MODEL_CATALOG.length + 1);
  await expect(catalog.getByRole('row', { name: /FacebookAI\/xlm-roberta-base/ })).toContainText(
    /278M.*100 languages.*MIT/,
  );
  await catalog.getByRole('button', { name: 'Load sentence-transformers/all-MiniLM-L6-v2' }).click();
  await expect(page.getByLabel('Hub repository')).toHaveValue('sentence-transformers/all-MiniLM-L6-v2');
  // The test hub holds only the fixture models: the studio asked it, and says the model is not there.
  await expect(page.getByRole('alert')).toContainText(
    'Repository sentence-transformers/all-MiniLM-L6-v2 was not found on http',
  );
});

test('a second visit loads the model from the browser cache, without the network', async ({ page }) => {
  // Automatic (WASM here): the cache is the subject, and SwiftShader would still be busy with the
  // first visit's timing passes when the page reloads.
  await page.goto('/');
  await page.getByRole('tab', { name: /Model/ }).click();
  await loadFromHub(page, 'distilbert-tiny-seqcls');
  await expect(page.getByRole('region', { name: /Loaded: distilbert-tiny-seqcls/ })).toBeVisible();
  await page.waitForTimeout(1500); // the project is saved shortly after a change
  const hubRequests: string[] = [];
  page.on('request', (request) => {
    if (request.url().startsWith(HUB_URL)) hubRequests.push(request.url());
  });
  await page.reload();
  await expect(page.getByRole('region', { name: /Loaded: distilbert-tiny-seqcls/ })).toBeVisible();
  expect(hubRequests).toEqual([]);
});

test('a model folder can be picked from disk', async ({ page }) => {
  await openModelStep(page);
  await page.getByLabel('Choose a model folder').setInputFiles(fixtureModelDir('distilbert-tiny-seqcls'));
  await expect(page.getByRole('region', { name: /Loaded: the folder distilbert-tiny-seqcls/ })).toBeVisible();
});

test('with a confirmed dataset the model gets its labels, token lengths and estimates', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Choose a data file').setInputFiles(resolve(dataDir(), 'uci_sentiment/yelp.csv'));
  await page.getByRole('button', { name: 'Use these columns' }).click();
  await page.getByRole('button', { name: 'Choose a model' }).click();
  await loadFromHub(page, 'distilbert-tiny-seqcls');
  const loaded = page.getByRole('region', { name: /Loaded: distilbert-tiny-seqcls/ });
  // The checkpoint's three labels give way to the dataset's two, as transformers does.
  await expect(loaded).toContainText('Labels (2)');
  await expect(loaded).toContainText('ignore_mismatched_sizes');
  const estimates = page.getByRole('region', { name: 'Estimates' });
  for (const mode of ['Head only', 'Top 2 layers', 'Full fine-tuning'])
    await expect(estimates).toContainText(mode);
  // The backend is timed after the load; the table then shows durations.
  await expect(estimates).not.toContainText('timing…', { timeout: 120_000 });
  await expect(estimates).not.toContainText('—');
  await expect(estimates).toContainText(/\d+ (s|min|h)|under 1 s/);
  await page.screenshot({ path: `${ARTIFACTS_DIR}/model-estimates.png`, fullPage: true });
  await page.getByRole('tab', { name: /Data/ }).click();
  const lengths = page.getByRole('region', { name: 'Token lengths' });
  await expect(lengths).toContainText('Median');
  const maxLength = page.getByLabel('Max length (tokens)');
  await maxLength.fill('8');
  await expect(lengths).toContainText(/of 1,000 texts .* would be cut/);
  await page.screenshot({ path: `${ARTIFACTS_DIR}/data-token-lengths.png`, fullPage: true });
});
