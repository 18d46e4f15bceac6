// `npm run setup`: makes a fresh clone ready for every test, and does nothing when it already is.
// 1. .venv-py, created from requirements-interop.txt (again when that file changes);
// 2. the generated fixtures (src/fixtures/make_fixtures.py), made again when the script, its inputs
//    or the requirements change;
// 3. a Chromium for the browser tests.
// Where a step cannot work it stops with one line naming the command that fixes it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { findChromium } from '../../e2e/support/browser.ts';
import { fixturesDir, generatedFixturesPath, repoRoot } from './paths.ts';
import { pythonPath } from './python.ts';

class SetupError extends Error {}

const REQUIREMENTS = resolve(repoRoot, 'requirements-interop.txt');
const VENV = resolve(repoRoot, '.venv-py');
const REQUIREMENTS_STAMP = join(VENV, '.requirements-interop.sha256');
const FIXTURES_STAMP = join(generatedFixturesPath(), '.inputs.sha256');
const sudo = process.getuid?.() === 0 ? '' : 'sudo ';

const say = (line: string): void => console.log(`setup: ${line}`);

function sha256(...parts: (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

function readStamp(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : null;
}

function run(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' });
  return result.status === 0;
}

function commandExists(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The interpreter the tests use: $FINETUNE_PYTHON as given, else .venv-py, made here when missing. */
function ensurePython(): string {
  const python = pythonPath();
  if (process.env.FINETUNE_PYTHON) {
    // A Python of the user's own: they keep its packages (requirements-interop.txt) in order.
    if (!existsSync(python))
      throw new SetupError(`FINETUNE_PYTHON is set to ${python}, but no file exists there.`);
    return python;
  }
  if (!existsSync(python)) {
    if (!commandExists('python3')) {
      throw new SetupError(
        `Python 3 is needed for the reference fixtures and interop tests: install it with \`${sudo}apt-get install -y python3 python3-venv\`.`,
      );
    }
    say('creating .venv-py');
    if (!run('python3', ['-m', 'venv', VENV]) || !existsSync(python)) {
      throw new SetupError(
        `python3 could not create .venv-py: install the venv module with \`${sudo}apt-get install -y python3-venv\` and remove .venv-py.`,
      );
    }
  }
  const wanted = sha256(readFileSync(REQUIREMENTS));
  if (readStamp(REQUIREMENTS_STAMP) !== wanted) {
    say(
      'installing requirements-interop.txt into .venv-py (torch, transformers, …; a few minutes the first time)',
    );
    const pip = ['-m', 'pip', 'install', '-q', '--disable-pip-version-check', '-r', REQUIREMENTS];
    if (!run(python, pip)) {
      throw new SetupError(
        `pip could not install requirements-interop.txt into .venv-py (its error is above): fix that and run \`npm run setup\` again.`,
      );
    }
    writeFileSync(REQUIREMENTS_STAMP, `${wanted}\n`);
  } else {
    say('.venv-py is up to date');
  }
  return python;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
}

/** What the fixtures are made from: the scripts, the committed data and tokenizers, the requirements. */
function fixtureInputsHash(): string {
  const inputs = [
    resolve(fixturesDir(), 'make_fixtures.py'),
    resolve(fixturesDir(), 'families.py'),
    resolve(fixturesDir(), 'reference.py'),
    REQUIREMENTS,
    ...filesUnder(resolve(fixturesDir(), 'data')),
    ...filesUnder(resolve(fixturesDir(), 'tokenizers')),
  ];
  return sha256(...inputs.flatMap((path) => [relative(repoRoot, path), '\0', readFileSync(path), '\0']));
}

function ensureFixtures(python: string): void {
  const wanted = fixtureInputsHash();
  if (readStamp(FIXTURES_STAMP) === wanted) {
    say('generated fixtures are up to date');
    return;
  }
  say('generating the fixtures with Python transformers (src/fixtures/make_fixtures.py, about two minutes)');
  const script = resolve(fixturesDir(), 'make_fixtures.py');
  if (!run(python, [script, generatedFixturesPath()])) {
    throw new SetupError(
      'src/fixtures/make_fixtures.py failed (its error is above): fix that and run `npm run setup` again.',
    );
  }
  writeFileSync(FIXTURES_STAMP, `${wanted}\n`);
}

function ensureChromium(): void {
  try {
    say(`browser tests use ${findChromium()}`);
  } catch (error) {
    throw new SetupError((error as Error).message);
  }
}

try {
  ensureFixtures(ensurePython());
  ensureChromium();
} catch (error) {
  if (!(error instanceof SetupError)) throw error;
  console.error(`setup: ${error.message}`);
  process.exitCode = 1;
}
