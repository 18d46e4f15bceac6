import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureModelDir } from '../../node/paths.ts';
import { requirePython } from '../../node/python.ts';
import {
  MAX_HEADER_BYTES,
  parseShardIndex,
  readSafetensors,
  readSafetensorsStream,
  writeSafetensors,
  type DecodedTensor,
} from './safetensors.ts';

/** A safetensors file with a hand-written header, for malformed-input cases. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.byteLength), true);
  out.set(json, 8);
  out.set(data, 8 + json.byteLength);
  return out;
}

/** A stream that hands out `bytes` in chunks of `size`, as a network response would. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

const seqclsBytes = () =>
  new Uint8Array(readFileSync(join(fixtureModelDir('distilbert-tiny-seqcls'), 'model.safetensors')));
const mlmBytes = () =>
  new Uint8Array(readFileSync(join(fixtureModelDir('distilbert-tiny-mlm-f16'), 'model.safetensors')));

function sameBits(a: DecodedTensor['data'], b: DecodedTensor['data']): boolean {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.byteLength === y.byteLength && x.every((v, i) => v === y[i]);
}

describe('safetensors reader', () => {
  it('reads the F32 fixture checkpoint with every tensor and shape from its header', () => {
    const tensors = readSafetensors(seqclsBytes());
    expect(tensors).toHaveLength(40);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    expect(byName.get('distilbert.embeddings.word_embeddings.weight')?.shape).toEqual([30522, 32]);
    expect(byName.get('classifier.weight')?.shape).toEqual([3, 32]);
    for (const t of tensors) expect(t.data).toBeInstanceOf(Float32Array);
  });

  it.each([
    [
      'F16',
      [0x3c00, 0xc000, 0x7bff, 0x0001, 0x8400, 0x7c00, 0xfc00, 0x3555],
      [1, -2, 65504, 2 ** -24, -(2 ** -14), Infinity, -Infinity, 0.333251953125],
    ],
    [
      'BF16',
      [0x3f80, 0xc040, 0x4049, 0x0001, 0x7f80, 0xff80, 0x3eab],
      [1, -3, 3.140625, 9.183549615799121e-41, Infinity, -Infinity, 0.333984375],
    ],
  ] as const)('decodes %s to float32 exactly', (dtype, bits, expected) => {
    const data = new Uint8Array(new Uint16Array(bits).buffer);
    const file = rawFile({ x: { dtype, shape: [bits.length], data_offsets: [0, data.byteLength] } }, data);
    const [tensor] = readSafetensors(file);
    expect(Array.from(tensor!.data)).toEqual(expected.map((v) => Math.fround(v)));
  });

  it('decodes F16 NaN and signed zero', () => {
    const data = new Uint8Array(new Uint16Array([0x7e00, 0x8000]).buffer);
    const [tensor] = readSafetensors(
      rawFile({ x: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, data),
    );
    expect(Number.isNaN(tensor!.data[0])).toBe(true);
    expect(Object.is(tensor!.data[1], -0)).toBe(true);
  });

  it('decodes the F16 fixture the same streamed in odd-sized chunks as from memory', async () => {
    const bytes = mlmBytes();
    const inMemory = readSafetensors(bytes);
    const { tensors } = await readSafetensorsStream(chunked(bytes, 4093));
    expect(tensors.map((t) => t.name)).toEqual(inMemory.map((t) => t.name));
    tensors.forEach((t, i) => expect(sameBits(t.data, inMemory[i]!.data)).toBe(true));
    expect(tensors.find((t) => t.name === 'vocab_projector.bias')?.dtype).toBe('F16');
  });

  it('streams each F32 tensor into its own buffer, never a view of a whole-file copy', async () => {
    const bytes = seqclsBytes();
    const { tensors } = await readSafetensorsStream(new Blob([bytes]));
    for (const t of tensors) expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
    const word = tensors.find((t) => t.name.endsWith('word_embeddings.weight'))!;
    expect(word.data.byteLength).toBe(30522 * 32 * 4);
  });

  it('hands tensors to onTensor one by one and reports byte progress up to the file size', async () => {
    const bytes = seqclsBytes();
    const seen: string[] = [];
    const progress: [number, number][] = [];
    const { tensors } = await readSafetensorsStream(new Response(chunked(bytes, 65536)), {
      onTensor: (t) => void seen.push(t.name),
      include: (info) => info.name !== 'classifier.bias',
      onProgress: (loaded, total) => void progress.push([loaded, total]),
    });
    expect(tensors).toEqual([]);
    expect(seen).toHaveLength(39);
    expect(seen).not.toContain('classifier.bias');
    expect(progress.at(-1)).toEqual([bytes.byteLength, bytes.byteLength]);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i]![0]).toBeGreaterThanOrEqual(progress[i - 1]![0]);
  });

  it('reads integer tensors as int32 (reference inputs are I64)', () => {
    const data = new Uint8Array(new BigInt64Array([101n, -5n, 0n]).buffer);
    const [tensor] = readSafetensors(
      rawFile({ ids: { dtype: 'I64', shape: [3], data_offsets: [0, 24] } }, data),
    );
    expect(tensor!.data).toBeInstanceOf(Int32Array);
    expect(Array.from(tensor!.data)).toEqual([101, -5, 0]);
  });
});

describe('safetensors reader on malformed input', () => {
  const good = () => writeSafetensors([{ name: 'w', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }]);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['an empty file', () => new Uint8Array(0), /shorter than the 8-byte prefix|truncated/],
    [
      'a file cut inside the length prefix',
      () => good().slice(0, 5),
      /shorter than the 8-byte prefix|truncated/,
    ],
    ['a file cut inside the header', () => good().slice(0, 20), /truncated/],
    ['a file cut inside the data', () => good().slice(0, good().byteLength - 3), /truncated/],
    [
      'trailing bytes after the last tensor',
      () => new Uint8Array([...good(), 1, 2, 3]),
      /unexpected bytes after the last tensor/,
    ],
    [
      'a header length over the cap',
      () => rawFile({}, new Uint8Array(0), MAX_HEADER_BYTES + 1),
      /exceeds the 104857600-byte limit/,
    ],
    ['a header that is not JSON', () => rawFile('{"w": {"dtype": "F32", '), /not valid UTF-8 JSON/],
    ['a header that is a JSON array', () => rawFile('[1, 2, 3]'), /not a JSON object/],
    [
      'a header that is not UTF-8',
      () => rawFile('"ab"').map((b, i) => (i === 9 ? 0xff : b)),
      /not valid UTF-8 JSON/,
    ],
    [
      'offsets past the end of the file',
      () => rawFile({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
      /truncated/,
    ],
    [
      'offsets that disagree with the shape',
      () => rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, new Uint8Array(16)),
      /needs 12 bytes but data_offsets \[0, 16\] span 16/,
    ],
    [
      'overlapping tensors',
      () =>
        rawFile(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          new Uint8Array(12),
        ),
      /overlaps the previous tensor/,
    ],
    [
      'a gap in the data section',
      () => rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      /gap in the data section/,
    ],
    [
      'an unknown dtype',
      () => rawFile({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
      /unsupported dtype "F8_E4M3"/,
    ],
    [
      'a negative dimension',
      () => rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /invalid shape/,
    ],
    [
      'reversed offsets',
      () => rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, new Uint8Array(4)),
      /do not fit its shape|span/,
    ],
    [
      'a non-string metadata value',
      () => rawFile({ __metadata__: { format: 1 } }),
      /__metadata__.format must be a string/,
    ],
    [
      'a huge shape that overflows',
      () =>
        rawFile({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /do not fit its shape/,
    ],
  ];

  it.each(cases)('rejects %s from memory with a clear message', (_label, make, message) => {
    expect(() => readSafetensors(make(), 'model.safetensors')).toThrow(message);
    expect(() => readSafetensors(make(), 'model.safetensors')).toThrow(
      /model\.safetensors is not a valid safetensors file/,
    );
  });

  it.each(cases)('rejects %s from a stream with a clear message', async (_label, make, message) => {
    await expect(readSafetensorsStream(chunked(make(), 3), { what: 'model.safetensors' })).rejects.toThrow(
      message,
    );
  });

  it('checks a known Content-Length against the header before reading the data', async () => {
    const bytes = good();
    const response = new Response(bytes, { headers: { 'content-length': String(bytes.byteLength + 4) } });
    await expect(readSafetensorsStream(response)).rejects.toThrow(/unexpected bytes after the last tensor/);
  });
});

describe('safetensors writer', () => {
  it('writes sorted names, __metadata__ {format: pt}, an 8-byte aligned header, and reads back bit-exactly', () => {
    const tensors = [
      { name: 'b.weight', shape: [2, 3], data: new Float32Array([1, -2, 3.5, Math.fround(0.1), -0, 1e-30]) },
      { name: 'a.bias', shape: [3], data: new Float32Array([NaN, Infinity, -Infinity]) },
      { name: 'A', shape: [1], data: new Float32Array([7]) },
    ];
    const bytes = writeSafetensors(tensors);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"format":"pt"},"A":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},' +
        '"a.bias":{"dtype":"F32","shape":[3],"data_offsets":[4,16]},' +
        '"b.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]}}',
    );
    const back = readSafetensors(bytes);
    expect(back.map((t) => t.name)).toEqual(['A', 'a.bias', 'b.weight']);
    for (const t of back) expect(sameBits(t.data, tensors.find((x) => x.name === t.name)!.data)).toBe(true);
  });

  it('is deterministic whatever the input order', () => {
    const a = { name: 'x', shape: [1], data: new Float32Array([1]) };
    const b = { name: 'y', shape: [2], data: new Float32Array([2, 3]) };
    expect(writeSafetensors([a, b])).toEqual(writeSafetensors([b, a]));
  });

  it('refuses data that does not match the shape, and duplicate names', () => {
    expect(() => writeSafetensors([{ name: 'x', shape: [3], data: new Float32Array(2) }])).toThrow(
      /holds 3 values but data has 2/,
    );
    const x = { name: 'x', shape: [1], data: new Float32Array(1) };
    expect(() => writeSafetensors([x, x])).toThrow(/twice/);
  });

  it('writes the same bytes as Hugging Face safetensors (Python) for the fixture weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'safetensors-'));
    try {
      const source = join(fixtureModelDir('distilbert-tiny-seqcls'), 'model.safetensors');
      const theirs = join(dir, 'python.safetensors');
      const result = spawnSync(
        requirePython(),
        [
          '-c',
          'import sys; from safetensors.torch import load_file, save_file; ' +
            "save_file(load_file(sys.argv[1]), sys.argv[2], metadata={'format': 'pt'})",
          source,
          theirs,
        ],
        { encoding: 'utf8' },
      );
      expect(result.status, result.stderr).toBe(0);
      const ours = writeSafetensors(
        readSafetensors(new Uint8Array(readFileSync(source))).map((t) => ({
          name: t.name,
          shape: t.shape,
          data: t.data as Float32Array,
        })),
      );
      writeFileSync(join(dir, 'ours.safetensors'), ours);
      expect(Buffer.from(ours).equals(readFileSync(theirs))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shard index', () => {
  it('lists shard files in order of first appearance', () => {
    const index = parseShardIndex({
      metadata: { total_size: 123 },
      weight_map: {
        a: 'model-00001-of-00002.safetensors',
        b: 'model-00002-of-00002.safetensors',
        c: 'model-00001-of-00002.safetensors',
      },
    });
    expect(index.files).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(index.totalSize).toBe(123);
  });

  it.each([
    [{}, /no "weight_map"/],
    [{ weight_map: { a: '../secret.safetensors' } }, /not a \.safetensors file name/],
    [{ weight_map: { a: '/etc/passwd' } }, /not a \.safetensors file name/],
    [{ weight_map: { a: 'model.bin' } }, /not a \.safetensors file name/],
  ])('rejects %j', (json, message) => {
    expect(() => parseShardIndex(json)).toThrow(message);
  });
});
