// Model files for the CLI, benchmarks and tests: a folder on disk, or a Hub repo fetched over HTTP.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { hubModelSource, isHubRepoId, parseHubModelId, type ModelFileSource } from '../core/model/index.ts';

/**
 * The path of the file `name` inside the folder `root`, or null when there is no such file;
 * a name that leads outside the folder is refused.
 */
export function fileInFolder(root: string, name: string): string | null {
  const path = resolve(root, name);
  const inside = relative(root, path);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new Error(`refusing to read ${name} outside ${root}`);
  }
  return existsSync(path) && statSync(path).isFile() ? path : null;
}

/** The files of a model folder, streamed from disk. */
export function directoryModelSource(dir: string): ModelFileSource {
  const root = resolve(dir);
  return {
    describe: () => `the folder ${root}`,
    async fetchFile(name) {
      const path = fileInFolder(root, name);
      if (path === null) return null;
      const size = statSync(path).size;
      const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
      return new Response(body, { headers: { 'content-length': String(size) } });
    },
  };
}

/**
 * `dirOrHubId` is a folder when one exists at that path (or it looks like a path), else a Hub
 * repo id, `owner/name` or `owner/name@revision`, fetched from `${hubUrl}/${repo}/resolve/${revision}/${file}`.
 */
export function nodeModelSource(dirOrHubId: string, hubUrl: string): ModelFileSource {
  const looksLikePath = /^(\.{1,2}[\\/]|[\\/]|~)/.test(dirOrHubId) || dirOrHubId.includes('\\');
  if (existsSync(dirOrHubId)) {
    if (!statSync(dirOrHubId).isDirectory()) {
      throw new Error(`${dirOrHubId} is a file: pass the model folder (with config.json) or a Hub repo id`);
    }
    return directoryModelSource(dirOrHubId);
  }
  const [repo] = dirOrHubId.split('@');
  if (looksLikePath || !isHubRepoId(repo ?? '')) {
    throw new Error(
      `${dirOrHubId}: no such folder, and not a Hub repo id (owner/name or owner/name@revision)`,
    );
  }
  const { revision } = parseHubModelId(dirOrHubId);
  return hubModelSource(repo!, { hubUrl, revision });
}
