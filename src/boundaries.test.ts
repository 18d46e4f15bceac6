// The layer boundaries live in eslint.config.js; these cases prove each rule fires on a deliberate
// violation and stays quiet on the allowed import, so a config change cannot silently drop one.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter(
      (m) =>
        m.ruleId === '@typescript-eslint/no-restricted-imports' ||
        m.ruleId === 'no-restricted-globals' ||
        m.ruleId === 'studio/core-entry-points',
    )
    .map((m) => m.message);
}

describe('layer boundaries', () => {
  it.each([
    ['src/core/model/x.ts', "import { useState } from 'react';\nexport const x = useState;\n"],
    ['src/core/model/x.ts', "import { create } from 'zustand';\nexport const x = create;\n"],
    ['src/core/csv/x.ts', "import { store } from '../../state/store.ts';\nexport const x = store;\n"],
    ['src/core/csv/x.ts', "import { App } from '../../ui/App.tsx';\nexport const x = App;\n"],
    ['src/core/csv/x.ts', "import { p } from '../../workers/protocol.ts';\nexport const x = p;\n"],
    ['src/core/csv/x.ts', 'export const width = window.innerWidth;\n'],
    ['src/core/csv/x.ts', 'export const el = document.body;\n'],
    ['src/ui/x.tsx', "import { p } from '../workers/protocol.ts';\nexport const x = p;\n"],
    ['src/ui/train/x.tsx', "import W from '../../workers/train.worker.ts?worker';\nexport const x = W;\n"],
    ['src/workers/x.ts', "import { store } from '../state/store.ts';\nexport const x = store;\n"],
    ['src/state/x.ts', "import { App } from '../ui/App.tsx';\nexport const x = App;\n"],
    ['src/cli/x.ts', "import { bert } from '../core/model/bert.ts';\nexport const x = bert;\n"],
    ['src/core/train/x.ts', "import { bert } from '../model/bert.ts';\nexport const x = bert;\n"],
    ['src/core/train/x.ts', "export { bert } from '../model/bert.ts';\n"],
    ['src/core/train/x.ts', "export * from '../model/bert.ts';\n"],
    [
      'src/workers/x.ts',
      "import type { Dataset } from '../core/dataset/types.ts';\nexport type X = Dataset;\n",
    ],
    ['src/ui/x.tsx', "export const load = () => import('../core/model/bert.ts');\n"],
  ])('%s rejects %j', async (filePath, code) => {
    expect(await boundaryErrors(filePath, code)).not.toEqual([]);
  });

  it.each([
    ['src/core/model/x.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const x = tf;\n"],
    ['src/core/csv/x.ts', "import Papa from 'papaparse';\nexport const x = Papa;\n"],
    ['src/ui/x.tsx', "import { store } from '../state/store.ts';\nexport const x = store;\n"],
    [
      'src/workers/x.ts',
      "import { parseConfig } from '../core/model/index.ts';\nexport const x = parseConfig;\n",
    ],
    ['src/core/model/x.ts', "import { bert } from './bert.ts';\nexport const x = bert;\n"],
    ['src/core/model/onnx/x.ts', "import { bert } from '../bert.ts';\nexport const x = bert;\n"],
    ['src/cli/x.test.ts', "import { bert } from '../core/model/bert.ts';\nexport const x = bert;\n"],
  ])('%s allows %j', async (filePath, code) => {
    expect(await boundaryErrors(filePath, code)).toEqual([]);
  });
});
