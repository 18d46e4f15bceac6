// Truncation beyond the stored fixtures (pairs, many lengths), checked against the Rust
// `tokenizers` library itself through the project's Python environment.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bertTokenizerDir, dataDir } from '../../node/paths.ts';
import { requirePython } from '../../node/python.ts';
import { loadTokenizer } from './tokenizer.ts';

const python = requirePython();

const bertDir = bertTokenizerDir();

interface Case {
  text: string;
  pair: string | null;
  maxLength: number;
}

const SCRIPT = `
import json, sys
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
out = []
for case in json.load(sys.stdin):
    tok.enable_truncation(max_length=case["maxLength"], strategy="longest_first")
    enc = tok.encode(case["text"], case["pair"]) if case["pair"] is not None else tok.encode(case["text"])
    out.append({"ids": enc.ids, "types": enc.type_ids})
print(json.dumps(out))
`;

describe('truncation agrees with Rust tokenizers', () => {
  it('for single texts and pairs at many max lengths', async () => {
    const texts = readFileSync(resolve(dataDir(), 'banking77', 'test.csv'), 'utf8')
      .split('\n')
      .slice(1, 400)
      .map((line) => line.replace(/,[a-z_]+$/, '').replace(/^"|"$/g, ''))
      .filter((t) => t.length > 0)
      .sort((a, b) => b.length - a.length)
      .slice(0, 40);
    const cases: Case[] = [];
    for (const [k, text] of texts.entries()) {
      for (const maxLength of [3, 8, 16, 33]) cases.push({ text, pair: null, maxLength });
      const pair = texts[(k * 7 + 3) % texts.length] as string;
      for (const maxLength of [5, 9, 12, 20, 31]) cases.push({ text, pair, maxLength });
      cases.push({ text: text.slice(0, 12), pair, maxLength: 14 });
      cases.push({ text, pair: pair.slice(0, 10), maxLength: 15 });
    }
    // Words of one and of three word pieces, so texts end mid-word at many lengths.
    const words = (word: string, n: number): string => new Array<string>(n).fill(word).join(' ');
    for (const maxLength of [9, 12, 20]) {
      for (let na = 1; na <= 14; na += 3) {
        for (let nb = 2; nb <= 24; nb += 5) {
          cases.push({ text: words('currencies', na), pair: words('a', nb), maxLength });
          cases.push({ text: words('a', nb), pair: words('currencies', na), maxLength });
        }
      }
    }
    const result = spawnSync(python, ['-c', SCRIPT, resolve(bertDir, 'tokenizer.json')], {
      input: JSON.stringify(cases),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(result.status, result.stderr).toBe(0);
    const expected = JSON.parse(result.stdout) as { ids: number[]; types: number[] }[];
    const tokenizer = await loadTokenizer({
      'tokenizer.json': readFileSync(resolve(bertDir, 'tokenizer.json'), 'utf8'),
      'tokenizer_config.json': readFileSync(resolve(bertDir, 'tokenizer_config.json'), 'utf8'),
    });
    for (const [i, c] of cases.entries()) {
      const encoding = tokenizer.encode(c.text, { textPair: c.pair, maxLength: c.maxLength });
      expect({ i, ids: encoding.ids, types: encoding.typeIds }).toEqual({
        i,
        ids: expected[i]?.ids,
        types: expected[i]?.types,
      });
    }
  });
});
