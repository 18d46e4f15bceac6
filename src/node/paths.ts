// Where the repository and the shared fixtures live, for the CLI, benchmarks and Node tests.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The shared fixtures and datasets: $FINETUNE_SHARED_DIR, else ../shared beside the checkout. */
export function sharedDir(): string {
  const dir = process.env.FINETUNE_SHARED_DIR ?? resolve(repoRoot, '../shared');
  if (!existsSync(dir)) {
    throw new Error(
      `Shared fixtures not found at ${dir}: set FINETUNE_SHARED_DIR to the folder holding fixtures/ and data/.`,
    );
  }
  return dir;
}

export const fixturesDir = (): string => resolve(sharedDir(), 'fixtures');
export const dataDir = (): string => resolve(sharedDir(), 'data');
export const fixtureModelDir = (name: 'distilbert-tiny-seqcls' | 'distilbert-tiny-mlm-f16'): string =>
  resolve(fixturesDir(), 'models', name);
