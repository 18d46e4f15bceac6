// Tokenization inside the data worker, over core/tokenize (the only importer of the tokenizer
// library): loads the model's tokenizer from its files, measures token lengths of every kept
// text, and encodes the splits for training as transferable typed arrays.
import type { SplitResult } from '../core/dataset/split.ts';
import type { Dataset } from '../core/dataset/types.ts';
import type { StageProgress } from '../core/util/progress.ts';
import type { EncodedDataset, TokenStats } from './protocol.ts';

const pending = (): never => {
  throw new Error('Tokenization is not available in this build yet.');
};

export const tokenizerHost = {
  forgetDataset(): void {},
  async load(
    _source: string,
    _files: Record<string, string>,
  ): Promise<{ modelMaxLength: number; vocabSize: number }> {
    return pending();
  },
  async measure(
    _texts: string[],
    _signal: AbortSignal,
    _onProgress: (progress: StageProgress) => void,
  ): Promise<TokenStats> {
    return pending();
  },
  async encodeDataset(_dataset: Dataset, _split: SplitResult, _maxLength: number): Promise<EncodedDataset> {
    return pending();
  },
  async encodeTexts(_texts: string[], _maxLength: number): Promise<{ ids: Int32Array; offsets: Int32Array }> {
    return pending();
  },
};
