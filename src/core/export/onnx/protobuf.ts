// A minimal protocol-buffers encoder: just the wire format ONNX needs (varints, fixed32 and
// length-delimited fields). Output is kept as a list of chunks so that large tensor payloads are
// referenced rather than copied until the final concatenation.

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** Payloads at least this large are appended by reference instead of copied into the scratch buffer. */
const BY_REFERENCE_BYTES = 4096;

export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(256);
  private scratchUsed = 0;
  private flushedBytes = 0;

  get byteLength(): number {
    return this.flushedBytes + this.scratchUsed;
  }

  /** int32/int64/uint64/enum/bool fields. Negative numbers take ten bytes, as protobuf specifies. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    this.reserve(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset + this.scratchUsed, 4).setFloat32(
      0,
      value,
      true,
    );
    this.scratchUsed += 4;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(value.byteLength);
    this.append(value);
    return this;
  }

  message(field: number, sub: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(sub.byteLength);
    for (const chunk of sub.toChunks()) this.append(chunk);
    return this;
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: readonly (number | bigint)[]): this {
    const body = new ProtoWriter();
    for (const value of values) body.rawVarint(value);
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(body.byteLength);
    for (const chunk of body.toChunks()) this.append(chunk);
    return this;
  }

  toChunks(): Uint8Array[] {
    this.flushScratch();
    return this.chunks;
  }

  finish(): Uint8Array {
    const chunks = this.toChunks();
    const out = new Uint8Array(this.flushedBytes);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    if (!Number.isInteger(field) || field < 1) throw new Error(`invalid protobuf field number ${field}`);
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number | bigint): void {
    this.reserve(10);
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new Error(`protobuf varint must be an integer, got ${value}`);
      if (value >= 0 && value < 2 ** 31) {
        let v = value;
        while (v >= 0x80) {
          this.scratch[this.scratchUsed++] = (v & 0x7f) | 0x80;
          v >>>= 7;
        }
        this.scratch[this.scratchUsed++] = v;
        return;
      }
      value = BigInt(value);
    }
    // Two's complement in 64 bits, so negative int64 values round-trip.
    let v = BigInt.asUintN(64, value);
    while (v >= 0x80n) {
      this.scratch[this.scratchUsed++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.scratch[this.scratchUsed++] = Number(v);
  }

  private append(bytes: Uint8Array): void {
    if (bytes.byteLength >= BY_REFERENCE_BYTES) {
      this.flushScratch();
      this.chunks.push(bytes);
      this.flushedBytes += bytes.byteLength;
      return;
    }
    this.reserve(bytes.byteLength);
    this.scratch.set(bytes, this.scratchUsed);
    this.scratchUsed += bytes.byteLength;
  }

  private reserve(bytes: number): void {
    if (this.scratchUsed + bytes <= this.scratch.byteLength) return;
    if (this.scratchUsed > 0 && this.scratch.byteLength >= BY_REFERENCE_BYTES) this.flushScratch();
    if (this.scratchUsed + bytes > this.scratch.byteLength) {
      const grown = new Uint8Array(Math.max(this.scratch.byteLength * 2, this.scratchUsed + bytes));
      grown.set(this.scratch.subarray(0, this.scratchUsed));
      this.scratch = grown;
    }
  }

  private flushScratch(): void {
    if (this.scratchUsed === 0) return;
    this.chunks.push(this.scratch.slice(0, this.scratchUsed));
    this.flushedBytes += this.scratchUsed;
    this.scratchUsed = 0;
  }
}
