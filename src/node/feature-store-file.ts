// The persistent feature store's files in a Node folder (the CLI's cache folder, the tests' temp
// folders): the same store and keys the studio keeps in OPFS.
import { mkdir, readFile, readdir, rm, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureStoreFiles } from '../core/train/index.ts';

export function folderFeatureStoreFiles(dir: string): FeatureStoreFiles {
  return {
    async read(name) {
      try {
        return new Uint8Array(await readFile(join(dir, name)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(name, bytes) {
      await mkdir(dir, { recursive: true });
      // Written aside and renamed, so a crash never leaves a half file under the real name.
      const partial = join(dir, `${name}.partial`);
      await writeFile(partial, bytes);
      await rename(partial, join(dir, name));
    },
    async remove(name) {
      await rm(join(dir, name), { force: true });
    },
    async names() {
      try {
        return await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
    },
  };
}
