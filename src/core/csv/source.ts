// Byte sources for the parser. Core takes any `AsyncIterable<Uint8Array>`: a Node stream
// (fs.createReadStream), a Blob's stream in a worker, or text the user pasted.

export type ByteChunks = AsyncIterable<Uint8Array>;

const DEFAULT_CHUNK = 1 << 20;

/** Text (e.g. pasted from the clipboard) as UTF-8 chunks, without building one big buffer. */
export async function* bytesFromString(text: string, chunkChars = DEFAULT_CHUNK): ByteChunks {
  const encoder = new TextEncoder();
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + chunkChars);
    // Never split a surrogate pair: TextEncoder would turn each half into U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield encoder.encode(text.slice(start, end));
    start = end;
  }
}

/** An in-memory byte array in chunks (a fetched sample, a test fixture). */
export async function* bytesFromArray(bytes: Uint8Array, chunkBytes = DEFAULT_CHUNK): ByteChunks {
  for (let start = 0; start < bytes.length; start += chunkBytes) {
    yield bytes.subarray(start, Math.min(bytes.length, start + chunkBytes));
  }
}

/**
 * A WHATWG ReadableStream (Blob.stream(), fetch's body) as chunks. Uses a reader rather than
 * `for await` on the stream, which not every browser supports yet.
 */
export async function* bytesFromReadableStream(stream: ReadableStream<Uint8Array>): ByteChunks {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value && value.length > 0) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Reads the first `minBytes` of a source (or all of it when shorter) while keeping the chunks,
 * so the caller can look at the head and then stream the whole file, head included, once.
 */
export async function peekHead(
  chunks: ByteChunks,
  minBytes: number,
): Promise<{ head: Uint8Array; atEnd: boolean; rest: ByteChunks }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const kept: Uint8Array[] = [];
  let size = 0;
  let atEnd = false;
  while (size < minBytes) {
    const next = await iterator.next();
    if (next.done) {
      atEnd = true;
      break;
    }
    if (next.value.length === 0) continue;
    kept.push(next.value);
    size += next.value.length;
  }
  const head = new Uint8Array(size);
  let at = 0;
  for (const chunk of kept) {
    head.set(chunk, at);
    at += chunk.length;
  }
  async function* rest(): ByteChunks {
    yield* kept;
    if (atEnd) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, atEnd, rest: rest() };
}
