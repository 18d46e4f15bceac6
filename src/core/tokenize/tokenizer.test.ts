import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bertTokenizerDir, tokenizationReference } from '../../node/paths.ts';
import { padBatch } from './batch.ts';
import { encodeTexts } from './encode.ts';
import { bertTokenizerJsonFromVocab, loadTokenizer, type TextTokenizer } from './tokenizer.ts';

const bertDir = bertTokenizerDir();

interface HfCase {
  source: string;
  text: string;
  text_pair?: string;
  input_ids: number[];
  tokens: string[];
  token_type_ids: number[];
  attention_mask: number[];
}
interface JsCase {
  case: string;
  text: string;
  text_pair?: string;
  input_ids: number[];
}

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);

const hfCases = readJsonl<HfCase>(tokenizationReference('hf-tokenizers'));
const jsCases = readJsonl<JsCase>(tokenizationReference('transformersjs'));
const fileMap = {
  'tokenizer.json': readFileSync(resolve(bertDir, 'tokenizer.json'), 'utf8'),
  'tokenizer_config.json': readFileSync(resolve(bertDir, 'tokenizer_config.json'), 'utf8'),
};

/** `max_length=16,truncation,padding=max_length` → 16; plain cases → null. */
function paddedLengthOf(source: string): number | null {
  const match = /max_length=(\d+)/.exec(source);
  return match ? Number(match[1]) : null;
}

let tokenizer: TextTokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer(fileMap);
});

describe('reference tokenization (Hugging Face tokenizers, bert-base-uncased)', () => {
  it('covers dataset sentences, edge cases, pairs and truncation with padding', () => {
    const sources = new Set(hfCases.map((c) => c.source));
    for (const source of ['banking77/test.csv', 'transformers.js edge cases', 'pair'])
      expect(sources).toContain(source);
    expect(hfCases.filter((c) => paddedLengthOf(c.source) !== null).length).toBeGreaterThan(0);
    expect(hfCases.length).toBeGreaterThan(100);
  });

  it.each(hfCases.map((c, i) => [i, c.source, c.text.slice(0, 50), c] as const))(
    'case %i (%s): %s',
    (_i, _source, _text, c) => {
      const maxLength = paddedLengthOf(c.source);
      const encoding = tokenizer.encode(c.text, { textPair: c.text_pair ?? null, maxLength });
      if (maxLength === null) {
        expect(encoding.ids).toEqual(c.input_ids);
        expect(encoding.typeIds).toEqual(c.token_type_ids);
        expect(c.attention_mask.every((m) => m === 1)).toBe(true);
        expect(tokenizer.idsToTokens(encoding.ids)).toEqual(c.tokens);
        return;
      }
      // Stored unpadded, padded per batch: padding to exactly max_length must give the reference.
      const split = {
        ids: Int32Array.from(encoding.ids),
        offsets: Int32Array.from([0, encoding.ids.length]),
      };
      const batch = padBatch(split, [0], { padTokenId: tokenizer.padTokenId, length: maxLength });
      expect(Array.from(batch.inputIds)).toEqual(c.input_ids);
      expect(Array.from(batch.attentionMask)).toEqual(c.attention_mask);
      expect(tokenizer.idsToTokens(batch.inputIds)).toEqual(c.tokens);
    },
  );

  it('truncation keeps [CLS] and [SEP] and reports the full length', () => {
    const long = hfCases.find(
      (c) => c.source.startsWith('max_length') && c.attention_mask.every((m) => m === 1),
    );
    expect(long).toBeDefined();
    const encoding = tokenizer.encode((long as HfCase).text, { maxLength: 16 });
    expect(encoding.ids).toHaveLength(16);
    expect(encoding.ids[0]).toBe(101);
    expect(encoding.ids[15]).toBe(102);
    expect(encoding.fullLength).toBeGreaterThan(16);
  });

  it('pads with the [PAD] id although tokenizer_config.json names no pad token', () => {
    expect(tokenizer.padTokenId).toBe(0);
  });
});

describe('reference tokenization (transformers.js edge cases)', () => {
  it('has all 42 cases', () => {
    expect(jsCases).toHaveLength(42);
  });

  it.each(jsCases.map((c, i) => [i, c.case, c] as const))('case %i: %s', (_i, _name, c) => {
    expect(tokenizer.encode(c.text, { textPair: c.text_pair ?? null }).ids).toEqual(c.input_ids);
  });
});

describe('loading', () => {
  it('reads files through fetchFile and returns null for missing ones', async () => {
    const requested: string[] = [];
    const viaFetch = await loadTokenizer({
      fetchFile: async (name) => {
        requested.push(name);
        const text = (fileMap as Record<string, string>)[name];
        return text === undefined ? new Response('not found', { status: 404 }) : new Response(text);
      },
    });
    expect(requested).toContain('tokenizer.json');
    expect(viaFetch.encode('How do I locate my card?').ids).toEqual([
      101, 2129, 2079, 1045, 12453, 2026, 4003, 1029, 102,
    ]);
    expect(viaFetch.modelMaxLength).toBeNull();
  });

  it('takes the length limit from config.json', async () => {
    const withConfig = await loadTokenizer({ ...fileMap, 'config.json': { max_position_embeddings: 512 } });
    expect(withConfig.modelMaxLength).toBe(512);
  });

  it('builds an identical tokenizer from vocab.txt alone', async () => {
    const vocab = readFileSync(resolve(bertDir, 'vocab.txt'), 'utf8');
    const fromVocab = await loadTokenizer({
      'vocab.txt': vocab,
      'tokenizer_config.json': { do_lower_case: true },
    });
    expect(fromVocab.notes.join(' ')).toMatch(/vocab\.txt/);
    for (const c of [...hfCases.filter((h) => paddedLengthOf(h.source) === null), ...jsCases]) {
      expect(fromVocab.encode(c.text, { textPair: c.text_pair ?? null }).ids).toEqual(c.input_ids);
    }
    expect(JSON.stringify(bertTokenizerJsonFromVocab(vocab, {}))).toContain('WordPiece');
  });

  it('fails clearly without tokenizer files', async () => {
    await expect(loadTokenizer({})).rejects.toThrow(/neither tokenizer\.json nor vocab\.txt/);
  });
});

describe('batch encoding', () => {
  it('stores unpadded ids as CSR with full lengths, truncating to max_length', async () => {
    const texts = hfCases.slice(0, 20).map((c) => c.text);
    const out = await encodeTexts(tokenizer, texts, { maxLength: 12, batchSize: 7 });
    expect(out.offsets).toHaveLength(texts.length + 1);
    for (let i = 0; i < texts.length; i++) {
      const expected = tokenizer.encode(texts[i] as string, { maxLength: 12 }).ids;
      expect(Array.from(out.ids.subarray(out.offsets[i], out.offsets[i + 1]))).toEqual(expected);
      expect(out.fullLengths[i]).toBe(tokenizer.encode(texts[i] as string).ids.length);
      expect((out.offsets[i + 1] as number) - (out.offsets[i] as number)).toBeLessThanOrEqual(12);
    }
  });

  it('pads a batch to its longest example rounded up to 8', () => {
    const split = {
      ids: Int32Array.from([101, 5, 102, 101, 6, 7, 8, 9, 10, 11, 12, 102]),
      offsets: Int32Array.from([0, 3, 12]),
    };
    const batch = padBatch(split, [0, 1], { padTokenId: 0 });
    expect(batch.seqLength).toBe(16);
    expect(Array.from(batch.attentionMask.subarray(0, 16))).toEqual([
      1,
      1,
      1,
      ...new Array<number>(13).fill(0),
    ]);
    expect(Array.from(batch.inputIds.subarray(16, 25))).toEqual(Array.from(split.ids.subarray(3)));
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      encodeTexts(tokenizer, ['a'], { maxLength: 8, signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });
});
