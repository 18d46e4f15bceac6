// A local model hub: serves model folders with the Hugging Face URL layout
//   /{owner}/{repo}/resolve/{revision}/{file}   and   /{repo}/resolve/{revision}/{file}
// for tests and offline use. Listens on 127.0.0.1 only, supports Range requests and CORS, and
// refuses any path that would leave its folder (`..`, encoded or not, and symbolic links).
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

export interface HubOptions {
  /** Folder holding one sub-folder per repo (`{repo}/` or `{owner}/{repo}/`). */
  dir: string;
  /** 0 picks a free port. */
  port?: number;
  /** Called once per request, for logs and tests. */
  onRequest?: (method: string, url: string, status: number) => void;
}

export interface RunningHub {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
  'Access-Control-Allow-Headers': 'Range, Content-Type, Authorization',
  'Access-Control-Expose-Headers':
    'Content-Length, Content-Range, Accept-Ranges, ETag, X-Repo-Commit, X-Error-Code',
};

export type ResolvedRequest = { repoPath: string[]; file: string[] } | { error: string };

/** Splits a Hub URL path into the repo's folder segments and the file's segments. */
export function parseHubPath(pathname: string): ResolvedRequest {
  let segments: string[];
  try {
    segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return { error: 'malformed URL encoding' };
  }
  if (
    segments.some((s) => s === '..' || s === '.' || s.includes('/') || s.includes('\\') || s.includes('\0'))
  ) {
    return { error: 'path escapes the hub folder' };
  }
  const resolveAt = segments.indexOf('resolve');
  if (resolveAt < 1 || resolveAt > 2 || segments.length < resolveAt + 3) {
    return { error: 'expected /{owner}/{repo}/resolve/{revision}/{file}' };
  }
  return { repoPath: segments.slice(0, resolveAt), file: segments.slice(resolveAt + 2) };
}

type ByteRange = { start: number; end: number } | 'unsatisfiable' | null;

export function parseRange(header: string | undefined, size: number): ByteRange {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null; // multi-range and other forms: serve the whole file, as RFC 9110 allows
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return null;
  let start: number;
  let end: number;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

async function resolveFile(
  root: string,
  request: { repoPath: string[]; file: string[] },
): Promise<string | null> {
  const candidate = resolve(root, ...request.repoPath, ...request.file);
  if (!candidate.startsWith(root + sep)) return null;
  let real: string;
  try {
    real = await fs.realpath(candidate);
  } catch {
    return null;
  }
  // A symbolic link anywhere on the way makes the real path differ: refuse it rather than follow it.
  if (real !== candidate) return null;
  const stat = await fs.stat(real);
  return stat.isFile() ? real : null;
}

async function isFolder(root: string, repoPath: string[]): Promise<boolean> {
  const candidate = resolve(root, ...repoPath);
  if (!candidate.startsWith(root + sep)) return false;
  try {
    return (await fs.stat(candidate)).isDirectory();
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...CORS_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(body + '\n');
}

async function handle(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS_HEADERS);
    res.end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'Only GET and HEAD are served.');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const parsed = parseHubPath(url.pathname);
  if ('error' in parsed) {
    send(res, parsed.error.includes('escapes') ? 403 : 404, `Not found: ${parsed.error}.`);
    return;
  }
  const path = await resolveFile(root, parsed);
  if (!path) {
    // As the Hub does, X-Error-Code tells a missing repository from a missing file in it.
    const repo = parsed.repoPath.join('/');
    if (!(await isFolder(root, parsed.repoPath))) {
      send(res, 404, `Repository not found: ${repo}.`, { 'X-Error-Code': 'RepoNotFound' });
    } else {
      send(res, 404, `Entry not found: ${parsed.file.join('/')} in ${repo}.`, {
        'X-Error-Code': 'EntryNotFound',
      });
    }
    return;
  }
  const stat = await fs.stat(path);
  const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    ...CORS_HEADERS,
    'Accept-Ranges': 'bytes',
    'Content-Type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    ETag: etag,
    'X-Repo-Commit': 'local',
  };
  const range = parseRange(req.headers.range, stat.size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${stat.size}` });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: stat.size - 1 };
  const length = stat.size === 0 ? 0 : end - start + 1;
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${stat.size}`;
  headers['Content-Length'] = length;
  res.writeHead(range ? 206 : 200, headers);
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  createReadStream(path, { start, end }).pipe(res);
}

export async function startHub(options: HubOptions): Promise<RunningHub> {
  const root = await fs.realpath(resolve(options.dir));
  const server = createServer((req, res) => {
    res.on('finish', () => options.onRequest?.(req.method ?? '', req.url ?? '', res.statusCode));
    handle(root, req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 500, `Hub error: ${error instanceof Error ? error.message : String(error)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
