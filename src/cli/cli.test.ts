// The CLI as a user runs it: a real child process through the package's bin entry.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHub } from '../hub/server.ts';
import { dataDir, fixtureModelsDir } from '../node/paths.ts';

const bin = new URL('./bin.mjs', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HF_ENDPOINT: '' },
  });

describe('finetune-studio', () => {
  it('prints its version and help', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(cli('--version').stdout.trim()).toBe(pkg.version);
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--hub-url');
    expect(help.stdout).toContain('backend');
  });

  it('marks the options a command cannot run without in --help', () => {
    const help = cli('train', '--help').stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      '--model <dirOrHubId> base model: a folder or a Hugging Face Hub repo id (owner/name[@revision]) (required)',
    );
    expect(help).toContain('or full (required)');
    expect(help).toContain(
      '--out <dir> folder for the trained model and run files (must be empty) (required)',
    );
    expect(help).not.toMatch(/--epochs <n> [^-]*\(required\)/);
    expect(cli('predict', '--help').stdout.replace(/\s+/g, ' ')).toMatch(
      /--model <dir-or-hub-id> [^-]*\(required\)/,
    );
  });

  it('says a wrong Hub repository id was not found', async () => {
    const hub = await startHub({ dir: fixtureModelsDir() });
    // The hub runs in this process, so the CLI must run without blocking it.
    const run = (...args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [bin, '--hub-url', hub.url, ...args], (error, _stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
        );
      });
    try {
      const yelp = join(dataDir(), 'uci_sentiment', 'yelp.csv');
      const train = await run(
        'train',
        yelp,
        '--model',
        'nobody/no-such-model',
        '--mode',
        'head',
        '--out',
        join(mkdtempSync(join(tmpdir(), 'cli-no-model-')), 'out'),
      );
      expect(train.code).toBe(1);
      expect(train.stderr.trim()).toBe(
        `finetune-studio: cannot load the tokenizer of nobody/no-such-model on ${hub.url}: repository nobody/no-such-model was not found on ${hub.url}: check the id`,
      );
      const predict = await run('predict', '--model', 'nobody/no-such-model', '--csv', yelp);
      expect(predict.code).toBe(1);
      expect(predict.stderr).toContain(`repository nobody/no-such-model was not found on ${hub.url}`);
      expect(predict.stderr).not.toContain('tokenizer.json');
    } finally {
      await hub.close();
    }
  });

  it('reports the backend it would use, as text and as JSON', () => {
    const text = cli('backend');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^backend: (webgpu|wasm · \d+ threads?|cpu)$/m);
    // The WebGPU probe keeps Dawn's loader quiet where XDG_RUNTIME_DIR is missing (root shells).
    expect(text.stderr).not.toContain('XDG_RUNTIME_DIR');
    const json = cli('--json', 'backend', '--backend', 'cpu');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ backend: 'cpu', forced: true });
    // --json is the program's option, and is read after the command's own as well.
    const after = cli('backend', '--backend', 'cpu', '--json');
    expect(after.status).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ backend: 'cpu', forced: true });
  });

  it('runs WASM on the threads asked for, and refuses a count it cannot use', () => {
    const two = cli('--json', '--threads', '2', 'backend', '--backend', 'wasm');
    expect(two.status).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ backend: 'wasm', threads: 2 });
    const bad = cli('--threads', '0', 'backend');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('finetune-studio: --threads must be a whole number from 1 to 8, not "0"');
  });

  it('warns when a forced WebGPU is a software adapter', () => {
    const result = cli('--json', 'backend', '--backend', 'webgpu');
    const choice = JSON.parse(result.stdout) as { backend: string; software: boolean };
    if (choice.backend === 'webgpu' && choice.software) {
      expect(result.stderr).toMatch(/^warning: webgpu runs on a software adapter here/m);
    } else {
      expect(result.stderr).not.toContain('software adapter');
    }
  });

  it('fails on an unknown command with a message on stderr and a non-zero exit', () => {
    const result = cli('no-such-command');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("unknown command 'no-such-command'");
    expect(result.stdout).toBe('');
  });

  it('refuses an unknown backend', () => {
    const result = cli('backend', '--backend', 'tpu');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/tpu/);
  });
});
