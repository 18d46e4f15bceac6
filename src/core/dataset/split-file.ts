// split.json and the reading settings an export carries so that train.py reads the analyst's file
// as the studio did and trains on the same split. split.json names rows by their 1-based data row
// number and holds no text; a CRC-32 (zlib's) over the kept rows' numbers and texts lets train.py
// tell whether the file it is given is the one the studio split.
import type { Dataset } from './types.ts';

export const SPLIT_FILE_FORMAT = 'finetune-studio-split/1';

export interface SplitFile {
  format: typeof SPLIT_FILE_FORMAT;
  /** Data rows in the file, malformed ones included (header and blank lines not counted). */
  file_rows: number;
  /** Rows the studio kept (and split). */
  kept_rows: number;
  /** zlib CRC-32, as 8 hex digits, of `${row}\t${text}\0` (UTF-8) over the kept rows in file order. */
  rows_crc32: string;
  train: number[];
  validation: number[];
  test: number[];
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** zlib's CRC-32 of `bytes`, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The fingerprint split.json records: CRC-32 over each kept row's number and text. */
export function keptRowsCrc32(rows: ArrayLike<number>, texts: readonly string[]): string {
  const encoder = new TextEncoder();
  let crc = 0;
  for (let i = 0; i < texts.length; i++) {
    crc = crc32(encoder.encode(`${rows[i] as number}\t${texts[i] as string}\0`), crc);
  }
  return crc.toString(16).padStart(8, '0');
}

/** split.json of a dataset under a split (`assignment` parallel to `dataset.texts`). */
export function buildSplitFile(
  dataset: Pick<Dataset, 'rows' | 'texts' | 'totalRows' | 'rowSource'>,
  assignment: Int8Array,
): SplitFile {
  if (assignment.length !== dataset.texts.length) {
    throw new Error(`split.json: ${assignment.length} split entries for ${dataset.texts.length} rows`);
  }
  if (dataset.rowSource) {
    throw new Error(
      'split.json describes one file: a run with a separate test file has no single file split',
    );
  }
  const parts: [number[], number[], number[]] = [[], [], []];
  for (let i = 0; i < assignment.length; i++) {
    const split = assignment[i] as number;
    if (split < 0 || split > 2) throw new Error(`split.json: row ${dataset.rows[i]} has no split`);
    parts[split]?.push(dataset.rows[i] as number);
  }
  return {
    format: SPLIT_FILE_FORMAT,
    file_rows: dataset.totalRows,
    kept_rows: dataset.texts.length,
    rows_crc32: keptRowsCrc32(dataset.rows, dataset.texts),
    train: parts[0],
    validation: parts[1],
    test: parts[2],
  };
}

/** How the studio read the file and built its rows, as training_args.json's finetune_studio records it. */
export interface DataReading {
  encoding: string;
  delimiter: string;
  hasHeader: boolean;
  /** CSV quoting; off for tab-separated text that uses `"` as an ordinary character. */
  quoting: boolean;
  caseFold: boolean;
  dropDuplicates: boolean;
  splitColumn: string | null;
  labelOrder: readonly string[] | null;
  splitSeed: number | string;
  splitFractions: readonly [number, number, number];
}

export function dataReadingJson(reading: DataReading): Record<string, unknown> {
  return {
    csv: {
      encoding: reading.encoding,
      delimiter: reading.delimiter,
      header: reading.hasHeader,
      quoting: reading.quoting,
    },
    case_fold: reading.caseFold,
    drop_duplicates: reading.dropDuplicates,
    ...(reading.splitColumn !== null ? { split_column: reading.splitColumn } : {}),
    ...(reading.labelOrder ? { label_order: [...reading.labelOrder] } : {}),
    split_seed: reading.splitSeed,
    split_fractions: [...reading.splitFractions],
  };
}
