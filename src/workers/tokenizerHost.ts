// Tokenization inside the data worker, over core/tokenize (the only importer of the tokenizer
// library): loads the model's tokenizer from its files, measures the token length of every kept
// text, and encodes the splits for training as transferable typed arrays. A run with its own
// model (a student of another model) has its own tokenizer here too, keyed by the run's id.
import type { SplitResult, Dataset } from '../core/dataset/index.ts';
import {
  encodeDataset,
  encodeTexts,
  tokenLengthStats,
  loadTokenizer,
  type TextTokenizer,
} from '../core/tokenize/index.ts';
import type { ProgressCallback } from '../core/util/index.ts';
import type { EncodedDataset, TokenStats } from './protocol.ts';

/** BERT's limit, used when neither config.json nor tokenizer_config.json states one. */
const FALLBACK_LIMIT = 512;

let tokenizer: TextTokenizer | null = null;
const runTokenizers = new Map<string, TextTokenizer>();

/** The loaded model's tokenizer, or with `key` that run's own. */
function requireTokenizer(key?: string): TextTokenizer {
  if (key !== undefined) {
    const own = runTokenizers.get(key);
    if (!own) throw new Error("The run's own tokenizer is not loaded: open the run again.");
    return own;
  }
  if (!tokenizer) throw new Error('Load a model first: its tokenizer encodes the texts.');
  return tokenizer;
}

function limitOf(loaded: TextTokenizer): number {
  return loaded.modelMaxLength ?? FALLBACK_LIMIT;
}

export const tokenizerHost = {
  /** The dataset changed: nothing cached here depends on it yet (kept for a later cache). */
  forgetDataset(): void {},

  /** The loaded model's tokenizer, or with `key` a run's own (the loaded model's stays). */
  async load(
    _source: string,
    files: Record<string, string>,
    key?: string,
  ): Promise<{ modelMaxLength: number; vocabSize: number }> {
    const loaded = await loadTokenizer(files);
    if (key === undefined) tokenizer = loaded;
    else runTokenizers.set(key, loaded);
    return { modelMaxLength: limitOf(loaded), vocabSize: loaded.vocabSize };
  },

  /** Untruncated token counts of every text, with the suggested max length. */
  async measure(texts: string[], signal: AbortSignal, onProgress: ProgressCallback): Promise<TokenStats> {
    const loaded = requireTokenizer();
    const limit = limitOf(loaded);
    const { fullLengths } = await encodeTexts(loaded, texts, { maxLength: limit, signal, onProgress });
    const stats = tokenLengthStats(fullLengths, limit);
    return {
      modelMaxLength: limit,
      lengths: fullLengths,
      suggestedMaxLength: stats.suggestedMaxLength,
      percentiles: { p50: stats.p50, p95: stats.p95, max: stats.max },
    };
  },

  async encodeDataset(
    dataset: Dataset,
    split: SplitResult,
    maxLength: number,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    key?: string,
  ): Promise<EncodedDataset> {
    const loaded = requireTokenizer(key);
    const { encoded } = await encodeDataset(loaded, dataset, split, {
      maxLength,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return encoded;
  },

  async encodeTexts(
    texts: string[],
    maxLength: number,
    key?: string,
  ): Promise<{ ids: Int32Array; offsets: Int32Array }> {
    const { ids, offsets } = await encodeTexts(requireTokenizer(key), texts, { maxLength });
    return { ids, offsets };
  },
};
