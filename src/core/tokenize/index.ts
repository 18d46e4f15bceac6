// Tokenizers (through @huggingface/transformers), encoding a dataset into token ids, length
// statistics and padding.
export { padBatch, paddedLength } from './batch.ts';
export { encodeDataset, encodeTexts, gatherCsr } from './encode.ts';
export { tokenLengthStats, tooLongCheck, type TokenLengthStats } from './lengths.ts';
export { bertTokenizerJsonFromVocab, loadTokenizer, type TextTokenizer } from './tokenizer.ts';
export { debertaTokenizerJson, readSentencePieceModel, type SentencePiece } from './sentencepiece.ts';
export { splitSize, type EncodedDataset, type EncodedSplit } from './types.ts';
