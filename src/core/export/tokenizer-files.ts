// The tokenizer half of the exported folder: tokenizer.json unchanged, vocab.txt (WordPiece
// tokenizers: BERT's family), a
// tokenizer_config.json carrying the run's maximum length, and special_tokens_map.json.
import type { TokenizerFiles } from './types.ts';

const SPECIAL_TOKEN_KEYS = ['cls_token', 'mask_token', 'pad_token', 'sep_token', 'unk_token'] as const;
type SpecialTokenKey = (typeof SPECIAL_TOKEN_KEYS)[number];

const BERT_DEFAULTS: Record<SpecialTokenKey, string> = {
  cls_token: '[CLS]',
  mask_token: '[MASK]',
  pad_token: '[PAD]',
  sep_token: '[SEP]',
  unk_token: '[UNK]',
};

// Keys that name files or folders on the machine that saved the tokenizer: never shipped.
const LOCAL_KEYS = new Set(['name_or_path', 'tokenizer_file', 'special_tokens_map_file', 'vocab_file']);

interface TokenizerJson {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  normalizer?: {
    type?: string;
    lowercase?: boolean;
    normalizers?: { type?: string; lowercase?: boolean }[];
  } | null;
  model?: {
    type?: string;
    vocab?: Record<string, number> | unknown[];
    unk_token?: string;
    continuing_subword_prefix?: string;
  };
}

export function parseTokenizerJson(text: string): TokenizerJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('tokenizer.json is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('tokenizer.json is not a tokenizer description (expected a JSON object)');
  }
  const model = (parsed as TokenizerJson).model;
  if (!model || typeof model !== 'object') throw new Error('tokenizer.json has no "model" section');
  return parsed as TokenizerJson;
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** Special tokens: from the base's special_tokens_map.json, else its tokenizer_config.json, else BERT's names if tokenizer.json defines them. */
export function specialTokens(
  files: TokenizerFiles,
  tokenizer: TokenizerJson,
): Record<SpecialTokenKey, string> {
  const defined = new Set((tokenizer.added_tokens ?? []).map((t) => t.content));
  const out = {} as Record<SpecialTokenKey, string>;
  for (const key of SPECIAL_TOKEN_KEYS) {
    const value =
      tokenText(files.specialTokensMap?.[key]) ??
      tokenText(files.tokenizerConfig?.[key]) ??
      (key === 'unk_token' ? tokenizer.model?.unk_token : undefined) ??
      (defined.has(BERT_DEFAULTS[key]) ? BERT_DEFAULTS[key] : undefined);
    if (value === undefined)
      throw new Error(`tokenizer: cannot tell which token is the ${key.replace('_token', '')} token`);
    out[key] = value;
  }
  return out;
}

function lowercases(tokenizer: TokenizerJson): boolean | undefined {
  const normalizer = tokenizer.normalizer;
  if (!normalizer) return undefined;
  if (normalizer.type === 'BertNormalizer') return Boolean(normalizer.lowercase);
  if (normalizer.type === 'Lowercase') return true;
  if (normalizer.type === 'Sequence')
    return (normalizer.normalizers ?? []).some((n) => n.type === 'Lowercase');
  return undefined;
}

/**
 * vocab.txt as given, else the WordPiece vocabulary of tokenizer.json, one token per line in id
 * order; null for byte-level BPE and Unigram tokenizers (RoBERTa, XLM-RoBERTa), which have no
 * vocab.txt: tokenizer.json is their whole description.
 */
export function vocabText(files: TokenizerFiles, tokenizer: TokenizerJson): string | null {
  if (files.vocabTxt !== undefined) return files.vocabTxt;
  if (tokenizer.model?.type === 'BPE' || tokenizer.model?.type === 'Unigram') return null;
  const vocab = tokenizer.model?.vocab;
  // Older tokenizer.json files omit the model type; WordPiece is the one with a subword prefix.
  const wordPiece =
    tokenizer.model?.type === 'WordPiece' ||
    (tokenizer.model?.type === undefined && typeof tokenizer.model?.continuing_subword_prefix === 'string');
  if (!wordPiece || !vocab || Array.isArray(vocab)) {
    throw new Error(
      'tokenizer: vocab.txt is missing and tokenizer.json holds no WordPiece vocabulary to rebuild it',
    );
  }
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || id < 0 || tokens[id] !== undefined) {
      throw new Error(`tokenizer.json: vocabulary id ${id} of "${token}" is invalid or repeated`);
    }
    tokens[id] = token;
  }
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === undefined) throw new Error(`tokenizer.json: vocabulary has no token with id ${i}`);
  }
  return tokens.join('\n') + '\n';
}

export interface TokenizerOutput {
  tokenizerJson: string;
  /** Null for tokenizers without a vocab.txt (BPE, Unigram). */
  vocabTxt: string | null;
  tokenizerConfig: Record<string, unknown>;
  specialTokensMap: Record<string, string>;
}

/**
 * The tokenizer files of the export. A tokenizer_config.json that names no class gets
 * DistilBertTokenizer for a DistilBERT model (`modelType` absent counts as DistilBERT) and none
 * otherwise: transformers then takes the class from config.json's model_type (DeBERTa-v3's
 * repositories name none).
 */
export function buildTokenizerFiles(
  files: TokenizerFiles,
  maxLength: number,
  modelType?: unknown,
): TokenizerOutput {
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new Error(`maximum sequence length must be an integer of at least 2, got ${maxLength}`);
  }
  const tokenizer = parseTokenizerJson(files.tokenizerJson);
  const special = specialTokens(files, tokenizer);
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(files.tokenizerConfig ?? {})) {
    if (!LOCAL_KEYS.has(key)) config[key] = value;
  }
  const lower = lowercases(tokenizer);
  if (config.do_lower_case === undefined && lower !== undefined) config.do_lower_case = lower;
  if (modelType === undefined || modelType === 'distilbert') config.tokenizer_class ??= 'DistilBertTokenizer';
  config.model_max_length = maxLength;
  config.clean_up_tokenization_spaces ??= true;
  for (const key of SPECIAL_TOKEN_KEYS) config[key] = special[key];
  return {
    tokenizerJson: files.tokenizerJson,
    vocabTxt: vocabText(files, tokenizer),
    tokenizerConfig: config,
    specialTokensMap: { ...special },
  };
}
