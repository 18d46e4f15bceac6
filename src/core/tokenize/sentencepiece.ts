// DeBERTa-v2/v3 repositories on the Hub hold a SentencePiece model (spm.model) and no
// tokenizer.json, which transformers.js needs. This reads the model's protobuf and writes the
// tokenizer.json that transformers' DebertaV2Tokenizer builds from it: a Unigram over the
// model's pieces and scores, its normalizer (whitespace runs and tabs to one space, NFC, right
// strip, lowercase when do_lower_case), Metaspace pre-tokenization (punctuation split off when
// split_by_punct), [CLS] $A [SEP], and the special tokens (those missing from the pieces, such as
// DeBERTa-v3's [MASK], appended after them).
//
// The reader is written here: it needs three fields of sentencepiece_model.proto
// (ModelProto.pieces: piece, score, type), and no protobuf library ships that schema.

/** One entry of ModelProto.pieces. */
export interface SentencePiece {
  piece: string;
  score: number;
  /** SentencePiece.Type: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
  type: number;
}

class ProtoReader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean {
    return this.offset >= this.bytes.length;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.offset >= this.bytes.length) throw new Error('spm.model ends inside a number');
      const byte = this.bytes[this.offset++]!;
      // Field numbers, lengths and enums here fit in 53 bits; larger varints only occur in fields skipped.
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return result;
      if (shift > 63) throw new Error('spm.model holds a malformed number');
    }
  }
  bytesField(): Uint8Array {
    const length = this.varint();
    if (this.offset + length > this.bytes.length) throw new Error('spm.model ends inside a field');
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
  float(): number {
    if (this.offset + 4 > this.bytes.length) throw new Error('spm.model ends inside a number');
    const value = this.view.getFloat32(this.offset, true);
    this.offset += 4;
    return value;
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.offset += 8;
    else if (wireType === 2) this.bytesField();
    else if (wireType === 5) this.offset += 4;
    else throw new Error(`spm.model is not a SentencePiece model (wire type ${wireType})`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readPiece(bytes: Uint8Array): SentencePiece {
  const reader = new ProtoReader(bytes);
  const piece: SentencePiece = { piece: '', score: 0, type: 1 };
  while (!reader.done) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key % 8;
    if (field === 1 && wireType === 2) piece.piece = utf8.decode(reader.bytesField());
    else if (field === 2 && wireType === 5) piece.score = reader.float();
    else if (field === 3 && wireType === 0) piece.type = reader.varint();
    else reader.skip(wireType);
  }
  return piece;
}

/** The pieces of a SentencePiece model file (ModelProto), in id order. */
export function readSentencePieceModel(bytes: Uint8Array): SentencePiece[] {
  const reader = new ProtoReader(bytes);
  const pieces: SentencePiece[] = [];
  try {
    while (!reader.done) {
      const key = reader.varint();
      const field = Math.floor(key / 8);
      const wireType = key % 8;
      if (field === 1 && wireType === 2) pieces.push(readPiece(reader.bytesField()));
      else reader.skip(wireType);
    }
  } catch (error) {
    throw new Error(`spm.model could not be read: ${(error as Error).message}`, { cause: error });
  }
  if (pieces.length === 0) throw new Error('spm.model holds no pieces: it is not a SentencePiece model');
  return pieces;
}

const tokenOf = (config: Record<string, unknown>, key: string, fallback: string): string => {
  const value = config[key];
  if (typeof value === 'string') return value;
  // tokenizer_config.json may spell a special token as an AddedToken object.
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return fallback;
};

const flagOf = (config: Record<string, unknown>, key: string, fallback: boolean): boolean =>
  typeof config[key] === 'boolean' ? (config[key] as boolean) : fallback;

/**
 * tokenizer.json for a DeBERTa-v2/v3 SentencePiece model, as transformers' DebertaV2Tokenizer
 * makes it from spm.model and tokenizer_config.json.
 */
export function debertaTokenizerJson(
  spmModel: Uint8Array,
  tokenizerConfig: Record<string, unknown> = {},
): Record<string, unknown> {
  const pieces = readSentencePieceModel(spmModel);
  const special = {
    bos: tokenOf(tokenizerConfig, 'bos_token', '[CLS]'),
    eos: tokenOf(tokenizerConfig, 'eos_token', '[SEP]'),
    unk: tokenOf(tokenizerConfig, 'unk_token', '[UNK]'),
    sep: tokenOf(tokenizerConfig, 'sep_token', '[SEP]'),
    pad: tokenOf(tokenizerConfig, 'pad_token', '[PAD]'),
    cls: tokenOf(tokenizerConfig, 'cls_token', '[CLS]'),
    mask: tokenOf(tokenizerConfig, 'mask_token', '[MASK]'),
  };
  const lowercase = flagOf(tokenizerConfig, 'do_lower_case', false);
  const splitByPunct = flagOf(tokenizerConfig, 'split_by_punct', false);
  const prependScheme = flagOf(tokenizerConfig, 'add_prefix_space', true) ? 'always' : 'first';

  const vocab: [string, number][] = pieces.map((p) => [p.piece, p.score]);
  const at = new Map<string, number>();
  vocab.forEach(([piece], id) => {
    if (!at.has(piece)) at.set(piece, id);
  });
  // transformers: the unknown token's index when it is in the vocabulary with score 0, else 1.
  const unkIndex = vocab.findIndex(([piece, score]) => piece === special.unk && score === 0);
  const unkId = unkIndex >= 0 ? unkIndex : 1;
  // Special tokens in transformers' attribute order; one missing from the pieces gets the next id.
  const added: { id: number; content: string }[] = [];
  let next = vocab.length;
  for (const content of new Set(Object.values(special))) {
    const id = at.get(content) ?? next++;
    added.push({ id, content });
  }
  added.sort((a, b) => a.id - b.id);
  const idOf = (content: string) => added.find((token) => token.content === content)!.id;

  const metaspace = { type: 'Metaspace', replacement: '\u2581', prepend_scheme: prependScheme, split: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map(({ id, content }) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        ...(lowercase ? [{ type: 'Lowercase' }] : []),
        { type: 'Replace', pattern: { Regex: '\\s{2,}|[\\n\\r\\t]' }, content: ' ' },
        { type: 'NFC' },
        { type: 'Strip', strip_left: false, strip_right: true },
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [...(splitByPunct ? [{ type: 'Punctuation', behavior: 'Isolated' }] : []), metaspace],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: special.cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: special.sep, type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: special.cls, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: special.sep, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: special.sep, type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        [special.cls, special.sep].map((token) => [
          token,
          { id: token, ids: [idOf(token)], tokens: [token] },
        ]),
      ),
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: unkId, vocab, byte_fallback: false },
  };
}
