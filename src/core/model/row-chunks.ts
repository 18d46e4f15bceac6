// Word-embedding tables larger than one GPU buffer binding, held as row chunks.
//
// WebGPU binds at most maxStorageBufferBindingSize bytes of one buffer to a shader (often 128 MiB
// to 2 GiB); XLM-R base's 250,002 × 768 words are 768 MB and multilingual BERT's 119,547 × 768 are
// 367 MB. Such a table lives as consecutive row ranges, each its own variable named
// `${name}#${index}`, so that every gather, gradient and optimizer update touches one buffer that
// fits. Names outside the live variables (exports, safetensors) are always the Hugging Face key:
// the chunks are merged when written.
const CHUNK_SEPARATOR = '#';

/** The tables that may be split: the word (token) embeddings every family looks up by id. */
export function isRowChunkable(name: string): boolean {
  return /(?:^|\.)embeddings\.(?:word|tok)_embeddings\.weight$/.test(name);
}

export function rowChunkName(name: string, index: number): string {
  return `${name}${CHUNK_SEPARATOR}${index}`;
}

/** The Hugging Face name of a stored variable: itself, or the table a row chunk belongs to. */
export function tableName(storedName: string): string {
  const at = storedName.lastIndexOf(CHUNK_SEPARATOR);
  return at < 0 ? storedName : storedName.slice(0, at);
}

/** Rows per chunk for a [rows, dim] float32 table under a binding limit of `maxBytes`. */
export function rowsPerChunk(dim: number, maxBytes: number): number {
  const rows = Math.floor(maxBytes / (dim * 4));
  if (rows < 1) throw new Error(`a ${dim}-wide embedding row does not fit in ${maxBytes} bytes`);
  return rows;
}

/** The [start, end) row ranges of a `rows`-row table split every `perChunk` rows. */
export function rowRanges(rows: number, perChunk: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let start = 0; start < rows; start += perChunk) ranges.push([start, Math.min(rows, start + perChunk)]);
  return ranges;
}

/**
 * The variables that hold table `name`, in row order: the one variable of that name, or its row
 * chunks. Throws when there is neither.
 */
export function tableParts<T>(params: Readonly<Record<string, T>>, name: string): T[] {
  const parts = storedNames(params, name).map((stored) => params[stored] as T);
  if (parts.length === 0) throw new Error(`model parameter "${name}" is missing`);
  return parts;
}

/** The stored names of the variables holding `name` (itself, or its chunks in order). */
export function storedNames(params: Readonly<Record<string, unknown>>, name: string): string[] {
  if (name in params) return [name];
  const names: string[] = [];
  for (let index = 0; rowChunkName(name, index) in params; index++) names.push(rowChunkName(name, index));
  return names;
}

/**
 * The values of table `name` among stored weights (a run's, a checkpoint's): under its own name, or
 * its row chunks joined, whatever limit they were split under.
 */
export function wholeTable(
  weights: ReadonlyMap<string, Float32Array>,
  name: string,
): Float32Array | undefined {
  const whole = weights.get(name);
  if (whole) return whole;
  const parts: Float32Array[] = [];
  for (let index = 0; weights.has(rowChunkName(name, index)); index++)
    parts.push(weights.get(rowChunkName(name, index))!);
  if (parts.length === 0) return undefined;
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export interface ReadableParam {
  shape: number[];
  data(): Promise<ArrayLike<number> | Float32Array>;
}

/**
 * The model's tensors under their Hugging Face names and full shapes, each read when asked for
 * (row chunks concatenated), so a writer holds one table's values at a time.
 */
export function mergedParams<P extends ReadableParam>(
  params: Readonly<Record<string, P>>,
): Array<{ name: string; shape: number[]; read(): Promise<Float32Array> }> {
  const tables = new Map<string, string[]>();
  for (const stored of Object.keys(params)) {
    const name = tableName(stored);
    if (!tables.has(name)) tables.set(name, storedNames(params, name));
  }
  return [...tables].map(([name, stored]) => {
    const parts = stored.map((part) => params[part] as P);
    const first = parts[0]!.shape;
    const shape = [parts.reduce((rows, part) => rows + (part.shape[0] ?? 0), 0), ...first.slice(1)];
    return {
      name,
      shape,
      async read() {
        if (parts.length === 1) {
          const values = await parts[0]!.data();
          return values instanceof Float32Array ? values : Float32Array.from(values);
        }
        const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
        let offset = 0;
        for (const part of parts) {
          const values = await part.data();
          out.set(values, offset);
          offset += values.length;
        }
        return out;
      },
    };
  });
}
