import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHubPath, parseRange, startHub, type RunningHub } from './server.ts';

describe('parseHubPath', () => {
  it.each([
    [
      '/distilbert/distilbert-base-uncased/resolve/main/config.json',
      ['distilbert', 'distilbert-base-uncased'],
      ['config.json'],
    ],
    ['/tiny/resolve/main/config.json', ['tiny'], ['config.json']],
    ['/tiny/resolve/main/onnx/model.onnx', ['tiny'], ['onnx', 'model.onnx']],
  ])('%s', (path, repoPath, file) => {
    expect(parseHubPath(path)).toEqual({ repoPath, file });
  });

  it.each([
    '/tiny/resolve/main/../../etc/passwd',
    '/tiny/resolve/main/%2e%2e/secret',
    '/a/b/c/resolve/main/x',
    '/tiny/config.json',
  ])('rejects %s', (path) => {
    expect(parseHubPath(path)).toHaveProperty('error');
  });
});

describe('parseRange', () => {
  it.each([
    ['bytes=0-9', 100, { start: 0, end: 9 }],
    ['bytes=90-', 100, { start: 90, end: 99 }],
    ['bytes=-10', 100, { start: 90, end: 99 }],
    ['bytes=50-500', 100, { start: 50, end: 99 }],
    ['bytes=100-', 100, 'unsatisfiable'],
    [undefined, 100, null],
  ] as const)('%s of %i bytes', (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('local hub server', () => {
  let hub: RunningHub;
  let dir: string;
  const body = 'x'.repeat(1000);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-'));
    mkdirSync(join(dir, 'owner', 'repo'), { recursive: true });
    mkdirSync(join(dir, 'tiny'));
    writeFileSync(join(dir, 'owner', 'repo', 'config.json'), '{"model_type":"distilbert"}');
    writeFileSync(join(dir, 'tiny', 'weights.bin'), body);
    const outside = mkdtempSync(join(tmpdir(), 'outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'secret');
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'tiny', 'link.txt'));
    hub = await startHub({ dir });
  });
  afterAll(() => hub.close());

  it('listens on 127.0.0.1 only', () => {
    expect(hub.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((hub.server.address() as { address: string }).address).toBe('127.0.0.1');
  });

  it('serves owner/repo and bare repo paths with CORS', async () => {
    const a = await fetch(`${hub.url}/owner/repo/resolve/main/config.json`);
    expect(a.status).toBe(200);
    expect(a.headers.get('access-control-allow-origin')).toBe('*');
    expect(await a.json()).toEqual({ model_type: 'distilbert' });
    const b = await fetch(`${hub.url}/tiny/resolve/main/weights.bin`);
    expect(b.headers.get('content-length')).toBe('1000');
    expect((await b.text()).length).toBe(1000);
  });

  it('answers Range requests with 206 and the exact slice', async () => {
    const res = await fetch(`${hub.url}/tiny/resolve/main/weights.bin`, {
      headers: { Range: 'bytes=10-19' },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
    expect(await res.text()).toBe('x'.repeat(10));
    const bad = await fetch(`${hub.url}/tiny/resolve/main/weights.bin`, {
      headers: { Range: 'bytes=5000-' },
    });
    expect(bad.status).toBe(416);
  });

  it('answers a missing file with 404 and refuses escapes and symbolic links', async () => {
    expect((await fetch(`${hub.url}/tiny/resolve/main/nope.json`)).status).toBe(404);
    expect((await fetch(`${hub.url}/tiny/resolve/main/%2e%2e%2f%2e%2e%2fetc%2fpasswd`)).status).toBe(403);
    const link = await fetch(`${hub.url}/tiny/resolve/main/link.txt`);
    expect(link.status).toBe(404);
    expect(await link.text()).not.toContain('secret');
  });
});
