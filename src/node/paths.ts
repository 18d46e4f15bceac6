// Where the repository, its committed test data and its generated fixtures live, for the CLI,
// benchmarks and Node tests. Everything is inside the checkout: src/fixtures holds the committed
// inputs (datasets, tokenizer files), src/fixtures/generated what `npm run setup` makes from them
// with Python transformers (the tiny checkpoints, their references, the tokenizations).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The committed fixtures: `data/` (datasets with their licences) and `tokenizers/`. */
export const fixturesDir = (): string => resolve(repoRoot, 'src', 'fixtures');
export const dataDir = (): string => resolve(fixturesDir(), 'data');
export const bertTokenizerDir = (): string => resolve(fixturesDir(), 'tokenizers', 'bert-base-uncased');

/** Where src/fixtures/make_fixtures.py writes; the setup step's stamp says what it was made from. */
export const generatedFixturesPath = (): string => resolve(fixturesDir(), 'generated');

/** The generated fixtures, or an error naming the command that makes them. */
export function generatedFixturesDir(): string {
  const dir = generatedFixturesPath();
  if (!existsSync(resolve(dir, 'models'))) {
    throw new Error(`The generated test fixtures are missing (${dir}): run \`npm run setup\` to make them.`);
  }
  return dir;
}

export type FixtureModelName =
  | 'distilbert-tiny-seqcls'
  | 'distilbert-tiny-mlm-f16'
  | 'bert-tiny-seqcls'
  | 'bert-tiny-pretraining-f16'
  | 'roberta-tiny-seqcls'
  | 'xlm-roberta-tiny-mlm-f16'
  | 'modernbert-tiny-seqcls'
  | 'modernbert-tiny-mlm-f16'
  | 'deberta-v3-tiny-seqcls'
  | 'deberta-v2-tiny-mlm-f16';

/** The folder the local hub serves: one Hugging Face model folder per fixture model. */
export const fixtureModelsDir = (): string => resolve(generatedFixturesDir(), 'models');
export const fixtureModelDir = (name: FixtureModelName): string => resolve(fixtureModelsDir(), name);

/** Reference tokenizations by transformers of the tokenizer trained for a family's fixtures. */
export function familyTokenizationReference(
  family: 'bert' | 'roberta' | 'xlm-roberta' | 'modernbert' | 'deberta-v2',
): string {
  return resolve(generatedFixturesDir(), 'tokenizers', `reference_tokenization_${family}.jsonl`);
}

/**
 * Reference tokenizations of bert-base-uncased: `hf-tokenizers`, generated with the Rust tokenizers
 * library; `transformersjs`, the edge cases of transformers.js's own tests (committed).
 */
export function tokenizationReference(which: 'hf-tokenizers' | 'transformersjs'): string {
  if (which === 'transformersjs') {
    return resolve(fixturesDir(), 'tokenizers', 'reference_tokenization_transformersjs.jsonl');
  }
  const dir = resolve(generatedFixturesDir(), 'tokenizers');
  const name = readdirSync(dir).find((f) => /^reference_tokenization_hf_tokenizers_.+\.jsonl$/.test(f));
  if (!name)
    throw new Error(`No reference_tokenization_hf_tokenizers_*.jsonl in ${dir}: run \`npm run setup\`.`);
  return resolve(dir, name);
}
