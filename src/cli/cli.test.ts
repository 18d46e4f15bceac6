// The CLI as a user runs it: a real child process through the package's bin entry.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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

  it('reports the backend it would use, as text and as JSON', () => {
    const text = cli('backend');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^backend: (webgpu|wasm · \d+ threads?|cpu)$/m);
    // The WebGPU probe keeps Dawn's loader quiet where XDG_RUNTIME_DIR is missing (root shells).
    expect(text.stderr).not.toContain('XDG_RUNTIME_DIR');
    const json = cli('--json', 'backend', '--backend', 'cpu');
    expect(json.status).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ backend: 'cpu', forced: true });
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
