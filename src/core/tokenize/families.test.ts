// The tokenizer of each family's fixture (WordPiece for BERT, byte-level BPE for RoBERTa, the
// SentencePiece Unigram for XLM-RoBERTa, a byte-level BPE with [CLS]/[SEP] for ModernBERT, trained
// by src/fixtures/families.py; DeBERTa-v3's SentencePiece Unigram with [CLS]/[SEP]) gives the ids and tokens transformers gives, on accents, CJK,
// emoji, long words, whitespace runs, sample sentences and truncation.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { familyTokenizationReference, fixtureModelDir, type FixtureModelName } from '../../node/paths.ts';
import { debertaTokenizerJson } from './sentencepiece.ts';
import { loadTokenizer } from './tokenizer.ts';

interface Case {
  text: string;
  max_length?: number;
  input_ids: number[];
  tokens: string[];
}

const FAMILIES: ReadonlyArray<
  readonly ['bert' | 'roberta' | 'xlm-roberta' | 'modernbert' | 'deberta-v2', FixtureModelName, string]
> = [
  ['bert', 'bert-tiny-seqcls', 'BertTokenizer'],
  ['roberta', 'roberta-tiny-seqcls', 'RobertaTokenizer'],
  ['xlm-roberta', 'xlm-roberta-tiny-mlm-f16', 'XLMRobertaTokenizer'],
  ['modernbert', 'modernbert-tiny-seqcls', 'TokenizersBackend'],
  // The Hub's DeBERTa-v3 tokenizer_config.json names no class: transformers.js takes its generic one.
  ['deberta-v2', 'deberta-v3-tiny-seqcls', 'PreTrainedTokenizer'],
];

describe.each(FAMILIES)('the %s tokenizer', (family, fixture, className) => {
  const cases = readFileSync(familyTokenizationReference(family), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Case);
  const dir = fixtureModelDir(fixture);
  // DeBERTa's folder holds spm.model and no tokenizer.json, as the Hub's: it is converted here.
  const tokenizerConfig = readFileSync(resolve(dir, 'tokenizer_config.json'), 'utf8');
  const files = {
    'tokenizer.json': existsSync(resolve(dir, 'tokenizer.json'))
      ? readFileSync(resolve(dir, 'tokenizer.json'), 'utf8')
      : JSON.stringify(
          debertaTokenizerJson(
            new Uint8Array(readFileSync(resolve(dir, 'spm.model'))),
            JSON.parse(tokenizerConfig) as Record<string, unknown>,
          ),
        ),
    'tokenizer_config.json': tokenizerConfig,
  };
  const tokenizer = loadTokenizer(files);

  it('is the family tokenizer, with truncated and untruncated cases in its table', async () => {
    expect((await tokenizer).className).toBe(className);
    expect(cases.some((c) => c.max_length !== undefined)).toBe(true);
    expect(cases.length).toBeGreaterThan(20);
  });

  it.each(cases.map((c, i) => [i, c.text.slice(0, 40), c] as const))('case %i: %s', async (_i, _text, c) => {
    const encoding = (await tokenizer).encode(c.text, { maxLength: c.max_length ?? null });
    expect(encoding.ids).toEqual(c.input_ids);
    expect((await tokenizer).idsToTokens(encoding.ids)).toEqual(c.tokens);
  });
});
