// The only place that touches @huggingface/transformers' tokenizers. Loads a model's tokenizer
// from its files, wherever they come from (the Hub, a local hub server, a dropped folder, the
// fixtures), and encodes texts exactly as Hugging Face's Rust `tokenizers` does, truncation
// included.

import { oneLine } from '../util/index.ts';
import * as transformers from '@huggingface/transformers';
import { PreTrainedTokenizer } from '@huggingface/transformers';

/** Fetches a file of the model repository by name; null when the repository has no such file. */
export interface TokenizerFetchSource {
  fetchFile(name: string): Promise<Response | null>;
}

/** File contents by name: text, bytes, or already-parsed JSON. */
export type TokenizerFileMap = Record<string, string | Uint8Array | ArrayBuffer | object>;

export type TokenizerSource = TokenizerFetchSource | TokenizerFileMap;

export interface Encoding {
  /** Token ids, special tokens included, truncated to maxLength. */
  ids: number[];
  /** Segment (token type) ids, parallel to `ids`. */
  typeIds: number[];
  /** Length the encoding would have without truncation. */
  fullLength: number;
}

export interface EncodeOptions {
  textPair?: string | null;
  /** Truncate to this many tokens, special tokens included (like `truncation=True, max_length=N`). */
  maxLength?: number | null;
}

export interface TextTokenizer {
  /** Tokenizer class used (from tokenizer_config.json, as AutoTokenizer picks it). */
  readonly className: string;
  readonly padTokenId: number;
  /** The model's length limit: config.json's max_position_embeddings and/or tokenizer_config's model_max_length. */
  readonly modelMaxLength: number | null;
  /** Special tokens the encoder adds around a single text (e.g. 2 for [CLS] … [SEP]). */
  readonly specialTokensSingle: number;
  readonly vocabSize: number;
  encode(text: string, options?: EncodeOptions): Encoding;
  /** The library's own encode of one text, special tokens included, untruncated: the baseline for benchmarks. */
  encodeDirect(text: string): number[];
  /** Ids of the text alone, without special tokens (what `encode` wraps in `singleTemplate`). */
  contentIds(text: string): number[];
  /** Special tokens around a single text: ids = prefix + content (truncated) + suffix. */
  readonly singleTemplate: { readonly prefix: readonly number[]; readonly suffix: readonly number[] };
  idsToTokens(ids: ArrayLike<number>): string[];
  /** Notes on how the tokenizer was put together (e.g. built from vocab.txt). */
  readonly notes: string[];
}

function isFetchSource(source: TokenizerSource): source is TokenizerFetchSource {
  return typeof (source as TokenizerFetchSource).fetchFile === 'function';
}

async function readJson(source: TokenizerSource, name: string): Promise<unknown> {
  const text = await readText(source, name);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${name} is not valid JSON: ${oneLine((error as Error).message)}`, { cause: error });
  }
}

async function readText(source: TokenizerSource, name: string): Promise<string | null> {
  if (isFetchSource(source)) {
    const response = await source.fetchFile(name);
    if (response === null || response.status === 404) return null;
    if (!response.ok) throw new Error(`could not fetch ${name}: HTTP ${response.status}`);
    return await response.text();
  }
  const value = source[name];
  if (value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (value instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(value));
  return JSON.stringify(value);
}

type TokenizerClass = new (tokenizerJson: unknown, tokenizerConfig: unknown) => PreTrainedTokenizer;

/** AutoTokenizer's choice: `tokenizer_class` without "Fast", else the base class. */
function tokenizerClass(config: Record<string, unknown>): { name: string; cls: TokenizerClass } {
  const wanted =
    typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : null;
  const candidate = wanted ? (transformers as unknown as Record<string, unknown>)[wanted] : undefined;
  if (
    typeof candidate === 'function' &&
    (candidate === PreTrainedTokenizer || candidate.prototype instanceof PreTrainedTokenizer)
  ) {
    return { name: wanted as string, cls: candidate as TokenizerClass };
  }
  return { name: 'PreTrainedTokenizer', cls: PreTrainedTokenizer as unknown as TokenizerClass };
}

/**
 * A WordPiece tokenizer.json for BERT-family models that ship only vocab.txt, following
 * transformers' BertTokenizerFast conversion (BertNormalizer, BertPreTokenizer, [CLS] A [SEP]).
 */
export function bertTokenizerJsonFromVocab(vocabText: string, config: Record<string, unknown>): object {
  const vocab: Record<string, number> = {};
  const lines = vocabText.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((token, id) => {
    if (!(token in vocab)) vocab[token] = id;
  });
  const special = (key: string, fallback: string): string =>
    typeof config[key] === 'string' ? (config[key] as string) : fallback;
  const [unk, sep, pad, cls, mask] = [
    special('unk_token', '[UNK]'),
    special('sep_token', '[SEP]'),
    special('pad_token', '[PAD]'),
    special('cls_token', '[CLS]'),
    special('mask_token', '[MASK]'),
  ];
  for (const token of [unk, sep, cls]) {
    if (!(token in vocab)) throw new Error(`vocab.txt has no ${token} token`);
  }
  const added = [pad, unk, cls, sep, mask]
    .filter((t) => t in vocab)
    .map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }))
    .sort((a, b) => (a.id as number) - (b.id as number));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars ?? true,
      strip_accents: config.strip_accents ?? null,
      lowercase: config.do_lower_case ?? true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: sep, type_id: 1 } },
      ],
      special_tokens: {
        [cls]: { id: cls, ids: [vocab[cls]], tokens: [cls] },
        [sep]: { id: sep, ids: [vocab[sep]], tokens: [sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** Where the special tokens go around one or two sequences, read off a probe encoding. */
interface Template {
  prefix: number[];
  prefixTypes: number[];
  middle: number[];
  middleTypes: number[];
  suffix: number[];
  suffixTypes: number[];
  typeA: number;
  typeB: number;
}

function indexOfRun(haystack: readonly number[], needle: readonly number[], from: number): number {
  outer: for (let i = from; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

interface RawEncoding {
  input_ids: number[];
  token_type_ids?: number[];
}

function probeTemplate(tokenizer: PreTrainedTokenizer, pair: boolean): Template {
  const a = 'hello';
  const b = 'world';
  const call = tokenizer as unknown as (text: string, options: object) => RawEncoding;
  const full = call(a, { text_pair: pair ? b : null, return_tensor: false, return_token_type_ids: true });
  const ids = full.input_ids;
  const types = full.token_type_ids ?? ids.map(() => 0);
  const contentA = tokenizer.encode(a, { add_special_tokens: false });
  const contentB = pair ? tokenizer.encode(b, { add_special_tokens: false }) : [];
  const at = indexOfRun(ids, contentA, 0);
  const bt = pair ? indexOfRun(ids, contentB, at + contentA.length) : at + contentA.length;
  if (at < 0 || bt < 0 || contentA.length === 0) {
    throw new Error('cannot tell where this tokenizer puts its special tokens');
  }
  const endB = bt + contentB.length;
  return {
    prefix: ids.slice(0, at),
    prefixTypes: types.slice(0, at),
    middle: pair ? ids.slice(at + contentA.length, bt) : [],
    middleTypes: pair ? types.slice(at + contentA.length, bt) : [],
    suffix: ids.slice(endB),
    suffixTypes: types.slice(endB),
    typeA: types[at] ?? 0,
    typeB: pair ? (types[bt] ?? 1) : 0,
  };
}

const PAD_CANDIDATES = ['[PAD]', '<pad>', '<|pad|>', '<|padding|>', '<PAD>'];

/** A limit above this is the "no limit" sentinel transformers writes (int(1e30)). */
const NO_LIMIT = 1_000_000;

/**
 * Loads a tokenizer from a model's files: tokenizer.json and tokenizer_config.json (or vocab.txt
 * for BERT-style models without tokenizer.json), plus config.json for the length limit when
 * available. The class is chosen as AutoTokenizer chooses it; the tokenizer is constructed from
 * the files directly so that no global loader state (env, caches, remote hosts) is involved.
 */
export async function loadTokenizer(source: TokenizerSource): Promise<TextTokenizer> {
  const notes: string[] = [];
  const config = ((await readJson(source, 'tokenizer_config.json')) ?? {}) as Record<string, unknown>;
  let tokenizerJson = (await readJson(source, 'tokenizer.json')) as Record<string, unknown> | null;
  if (tokenizerJson === null) {
    const vocab = await readText(source, 'vocab.txt');
    if (vocab === null) {
      if (isFetchSource(source) && (await readText(source, 'config.json')) === null) {
        throw new Error('not found: there is no config.json, tokenizer.json or vocab.txt (check the name)');
      }
      throw new Error(
        'the model has neither tokenizer.json nor vocab.txt, so its tokenizer cannot be loaded',
      );
    }
    tokenizerJson = bertTokenizerJsonFromVocab(vocab, config) as Record<string, unknown>;
    notes.push('built a WordPiece tokenizer from vocab.txt (the model has no tokenizer.json)');
  }
  const modelConfig = (await readJson(source, 'config.json').catch(() => null)) as Record<
    string,
    unknown
  > | null;

  const { name, cls } = tokenizerClass(config);
  const tokenizer = new cls(tokenizerJson, config);

  const limits = [config.model_max_length, modelConfig?.max_position_embeddings].filter(
    (v): v is number => typeof v === 'number' && v > 0 && v < NO_LIMIT,
  );
  const modelMaxLength = limits.length > 0 ? Math.min(...limits) : null;

  const vocab = tokenizer.get_vocab();
  let padTokenId: number | undefined =
    typeof tokenizer.pad_token_id === 'number' ? tokenizer.pad_token_id : undefined;
  const padding = tokenizerJson.padding as { pad_id?: unknown } | null | undefined;
  if (padTokenId === undefined && typeof padding?.pad_id === 'number') padTokenId = padding.pad_id;
  if (padTokenId === undefined) {
    const found = PAD_CANDIDATES.find((t) => vocab.has(t));
    if (found !== undefined) padTokenId = vocab.get(found);
  }
  if (padTokenId === undefined) {
    padTokenId = 0;
    notes.push('the tokenizer names no padding token: padding with id 0 (padded positions are masked out)');
  }

  const single = probeTemplate(tokenizer, false);
  let pairTemplate: Template | null = null;
  const idToToken = new Map<number, string>();
  for (const [token, id] of vocab) if (!idToToken.has(id)) idToToken.set(id, token);

  const specialSingle = single.prefix.length + single.suffix.length;
  const model = tokenizerJson.model as { continuing_subword_prefix?: unknown; type?: unknown } | undefined;
  const continuation =
    typeof model?.continuing_subword_prefix === 'string' && model.type !== 'BPE'
      ? model.continuing_subword_prefix
      : null;
  /** Tokens of the words up to and including the first word that reaches `limit` tokens. */
  const wordRoundedLength = (ids: readonly number[], limit: number): number => {
    if (ids.length <= limit) return ids.length;
    if (continuation === null) return limit;
    for (let k = limit; k < ids.length; k++) {
      if (!(idToToken.get(ids[k] as number) ?? '').startsWith(continuation)) return k;
    }
    return ids.length;
  };
  const encode = (text: string, options: EncodeOptions = {}): Encoding => {
    const maxLength = options.maxLength ?? null;
    const a = tokenizer.encode(text, { add_special_tokens: false });
    if (options.textPair === undefined || options.textPair === null) {
      const fullLength = a.length + specialSingle;
      let body = a;
      if (maxLength !== null && fullLength > maxLength) {
        if (maxLength < specialSingle)
          throw new RangeError(`max length ${maxLength} leaves no room for the text`);
        body = a.slice(0, maxLength - specialSingle);
      }
      return {
        ids: [...single.prefix, ...body, ...single.suffix],
        typeIds: [...single.prefixTypes, ...body.map(() => single.typeA), ...single.suffixTypes],
        fullLength,
      };
    }
    pairTemplate ??= probeTemplate(tokenizer, true);
    const t = pairTemplate;
    const b = tokenizer.encode(options.textPair, { add_special_tokens: false });
    const special = t.prefix.length + t.middle.length + t.suffix.length;
    const fullLength = a.length + b.length + special;
    let lengthA = a.length;
    let lengthB = b.length;
    if (maxLength !== null && fullLength > maxLength) {
      if (maxLength < special) throw new RangeError(`max length ${maxLength} leaves no room for the texts`);
      // "longest_first" as the Rust tokenizers library computes it: the shorter text is kept
      // whole when the longer one can absorb the cut; otherwise the budget is halved, the odd
      // token going to the longer text (to the second when both are equally long). tokenizers
      // 0.23 stops tokenizing a text at the first word that reaches max_length tokens before it
      // compares the lengths, so the comparison uses those word-rounded lengths.
      const budget = maxLength - special;
      const seenA = wordRoundedLength(a, maxLength);
      const seenB = wordRoundedLength(b, maxLength);
      const swapped = seenA > seenB;
      let shorter = Math.min(seenA, seenB);
      let longer = shorter > budget ? shorter : Math.max(shorter, budget - shorter);
      if (shorter + longer > budget) {
        shorter = Math.floor(budget / 2);
        longer = shorter + (budget % 2);
      }
      lengthA = Math.min(lengthA, swapped ? longer : shorter);
      lengthB = Math.min(lengthB, swapped ? shorter : longer);
    }
    const bodyA = a.slice(0, lengthA);
    const bodyB = b.slice(0, lengthB);
    return {
      ids: [...t.prefix, ...bodyA, ...t.middle, ...bodyB, ...t.suffix],
      typeIds: [
        ...t.prefixTypes,
        ...bodyA.map(() => t.typeA),
        ...t.middleTypes,
        ...bodyB.map(() => t.typeB),
        ...t.suffixTypes,
      ],
      fullLength,
    };
  };

  return {
    className: name,
    padTokenId,
    modelMaxLength,
    specialTokensSingle: specialSingle,
    vocabSize: vocab.size,
    encode,
    encodeDirect: (text) => tokenizer.encode(text),
    contentIds: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    singleTemplate: { prefix: single.prefix, suffix: single.suffix },
    idsToTokens: (ids) => Array.from(ids, (id) => idToToken.get(id) ?? `<${id}>`),
    notes,
  };
}
