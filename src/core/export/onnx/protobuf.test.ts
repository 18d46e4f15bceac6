// Wire-format bytes checked against the protocol-buffers encoding rules (examples from the
// protobuf documentation), independently of any protobuf library.
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from './protobuf.ts';

const bytes = (w: ProtoWriter): number[] => Array.from(w.finish());

describe('ProtoWriter', () => {
  it('writes varints as the protobuf documentation shows', () => {
    // "field 1 = 150" is the documentation's example: 08 96 01.
    expect(bytes(new ProtoWriter().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
    expect(bytes(new ProtoWriter().int(1, 300))).toEqual([0x08, 0xac, 0x02]);
    expect(bytes(new ProtoWriter().int(2, 0))).toEqual([0x10, 0x00]);
  });

  it('writes negative int64 values as ten-byte two’s complement varints', () => {
    expect(bytes(new ProtoWriter().int(3, -1))).toEqual([
      0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    expect(bytes(new ProtoWriter().int(3, -2n))).toEqual([
      0x18, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
  });

  it('writes integers beyond 2^31 exactly', () => {
    expect(bytes(new ProtoWriter().int(1, 2 ** 32))).toEqual([0x08, 0x80, 0x80, 0x80, 0x80, 0x10]);
  });

  it('writes length-delimited strings, bytes and nested messages', () => {
    // The documentation's "field 2 = testing": 12 07 74 65 73 74 69 6e 67.
    expect(bytes(new ProtoWriter().string(2, 'testing'))).toEqual([
      0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67,
    ]);
    // The documentation's embedded message: field 3 holding { field 1 = 150 } is 1a 03 08 96 01.
    expect(bytes(new ProtoWriter().message(3, new ProtoWriter().int(1, 150)))).toEqual([
      0x1a, 0x03, 0x08, 0x96, 0x01,
    ]);
    expect(bytes(new ProtoWriter().string(1, 'é'))).toEqual([0x0a, 0x02, 0xc3, 0xa9]);
  });

  it('writes floats as little-endian fixed32', () => {
    expect(bytes(new ProtoWriter().float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
  });

  it('writes packed repeated ints', () => {
    // The documentation's packed example: field 4 = [3, 270, 86942] is 22 06 03 8e 02 9e a7 05.
    expect(bytes(new ProtoWriter().packedInts(4, [3, 270, 86942]))).toEqual([
      0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05,
    ]);
  });

  it('keeps large payloads intact when appended by reference', () => {
    const payload = new Uint8Array(100_000).map((_, i) => i % 251);
    const inner = new ProtoWriter().int(1, 7).bytes(2, payload).int(3, 9);
    const out = new ProtoWriter().message(5, inner).finish();
    // tag 0x2a, then the inner length as a varint, then the inner message.
    const innerLength = 2 + 1 + 3 + payload.length + 2;
    expect(out.length).toBe(1 + 3 + innerLength);
    expect(Array.from(out.subarray(0, 4))).toEqual([
      0x2a,
      (innerLength & 0x7f) | 0x80,
      ((innerLength >> 7) & 0x7f) | 0x80,
      innerLength >> 14,
    ]);
    expect(out.subarray(4 + 6, 4 + 6 + payload.length)).toEqual(payload);
    expect(Array.from(out.subarray(out.length - 2))).toEqual([0x18, 0x09]);
  });

  it('refuses non-integer varints and bad field numbers', () => {
    expect(() => new ProtoWriter().int(1, 1.5)).toThrow(/integer/);
    expect(() => new ProtoWriter().int(0, 1)).toThrow(/field number/);
  });
});
