// DeBERTa-v3's spm.model to tokenizer.json: the fixture's SentencePiece model (trained by the
// sentencepiece package in src/fixtures/families.py) converts to exactly the tokenizer.json that
// transformers' DebertaV2Tokenizer builds from it; the loader makes it when a DeBERTa folder has
// none; a file that is not a SentencePiece model is refused in one line.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { directoryModelSource } from '../../node/model-source.ts';
import { fixtureModelDir, generatedFixturesDir } from '../../node/paths.ts';
import { disposeParams, loadModel } from '../model/index.ts';
import { debertaTokenizerJson, readSentencePieceModel } from './sentencepiece.ts';

const DIR = fixtureModelDir('deberta-v3-tiny-seqcls');
const spmModel = () => new Uint8Array(readFileSync(join(DIR, 'spm.model')));
const tokenizerConfig = () =>
  JSON.parse(readFileSync(join(DIR, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;

describe('the DeBERTa SentencePiece conversion', () => {
  it('reads every piece of the model with its score and type', () => {
    const pieces = readSentencePieceModel(spmModel());
    expect(pieces).toHaveLength(699);
    expect(pieces.slice(0, 4).map((p) => [p.piece, p.score, p.type])).toEqual([
      ['[PAD]', 0, 3],
      ['[CLS]', 0, 3],
      ['[SEP]', 0, 3],
      ['[UNK]', 0, 2],
    ]);
    expect(pieces.slice(4).every((p) => p.type === 1 && p.score < 0)).toBe(true);
  });

  it("equals transformers' own conversion of the same spm.model", () => {
    const reference = JSON.parse(
      readFileSync(
        resolve(generatedFixturesDir(), 'tokenizers', 'reference_tokenizer_deberta-v2.json'),
        'utf8',
      ),
    ) as Record<string, unknown>;
    expect(debertaTokenizerJson(spmModel(), tokenizerConfig())).toEqual(reference);
  });

  it('lowercases and splits punctuation off when tokenizer_config.json says so', () => {
    const json = debertaTokenizerJson(spmModel(), { do_lower_case: true, split_by_punct: true }) as {
      normalizer: { normalizers: { type: string }[] };
      pre_tokenizer: { pretokenizers: { type: string; behavior?: string }[] };
    };
    expect(json.normalizer.normalizers[0]).toEqual({ type: 'Lowercase' });
    expect(json.pre_tokenizer.pretokenizers[0]).toEqual({ type: 'Punctuation', behavior: 'Isolated' });
  });

  it.each([
    ['an empty file', new Uint8Array(0), /spm\.model holds no pieces/],
    ['a JSON file', new TextEncoder().encode('{"model": {}}'), /^spm\.model could not be read/],
    ['a cut-off model', spmModel().subarray(0, 100), /^spm\.model could not be read: spm\.model ends inside/],
  ])('refuses %s in one line', (_case, bytes, message) => {
    expect(() => readSentencePieceModel(bytes)).toThrow(message);
  });

  it('is made by the loader for a DeBERTa folder without tokenizer.json, and said in the report', async () => {
    const model = await loadModel(directoryModelSource(DIR));
    try {
      expect(JSON.parse(model.tokenizerFiles['tokenizer.json']!)).toEqual(
        debertaTokenizerJson(spmModel(), tokenizerConfig()),
      );
      expect(model.report.message).toMatch(/tokenizer\.json was made from spm\.model/);
    } finally {
      disposeParams(model.params);
    }
  });
});
