import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { crc32, unzipFolder, zipFiles } from './zip.ts';

const text = (s: string) => strToU8(s);

/** Offset of the first central-directory header. */
function centralOffset(zip: Uint8Array): number {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  return view.getUint32(zip.byteLength - 22 + 16, true);
}

describe('zipFiles', () => {
  const files = [
    { path: 'vocab.txt', bytes: text('[PAD]\n[UNK]\nhello\n'.repeat(50)) },
    { path: 'onnx/model.onnx', bytes: new Uint8Array(4000).map((_, i) => i % 256) },
    { path: 'config.json', bytes: text('{"a": 1}\n') },
  ];

  it('gives the same bytes for the same files in any order', () => {
    expect(zipFiles(files)).toEqual(zipFiles([...files].reverse()));
  });

  it('is read back by an independent unzipper with sorted entries and their contents', () => {
    const zip = zipFiles(files);
    const read = unzipSync(zip);
    expect(Object.keys(read)).toEqual(['config.json', 'onnx/model.onnx', 'vocab.txt']);
    for (const file of files) expect(read[file.path]).toEqual(file.bytes);
  });

  it('stores weights and deflates text', () => {
    const zip = zipFiles(files);
    const view = new DataView(zip.buffer);
    const methods = new Map<string, number>();
    let at = centralOffset(zip);
    for (let i = 0; i < 3; i++) {
      const nameLength = view.getUint16(at + 28, true);
      methods.set(strFromU8(zip.subarray(at + 46, at + 46 + nameLength)), view.getUint16(at + 10, true));
      // Fixed 1980-01-01 00:00 timestamp on every entry.
      expect(view.getUint16(at + 12, true)).toBe(0);
      expect(view.getUint16(at + 14, true)).toBe(0x21);
      at += 46 + nameLength;
    }
    expect(methods.get('onnx/model.onnx')).toBe(0);
    expect(methods.get('vocab.txt')).toBe(8);
  });

  it('refuses unsafe or duplicate entry names', () => {
    expect(() => zipFiles([{ path: '../x', bytes: text('') }])).toThrow(/safe relative path/);
    expect(() =>
      zipFiles([
        { path: 'a', bytes: text('') },
        { path: 'a', bytes: text('') },
      ]),
    ).toThrow(/twice/);
  });
});

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
  });

  it('agrees with the bit-by-bit definition on every length and alignment', () => {
    const bitwise = (bytes: Uint8Array): number => {
      let crc = 0xffffffff;
      for (const byte of bytes) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
      }
      return (crc ^ 0xffffffff) >>> 0;
    };
    const data = new Uint8Array(1000).map((_, i) => (i * 7919 + 13) & 0xff);
    for (const [start, length] of [
      [0, 0],
      [0, 1],
      [3, 7],
      [1, 8],
      [5, 17],
      [0, 1000],
      [9, 640],
    ] as const) {
      const slice = data.subarray(start, start + length);
      expect(crc32(slice), `${start}+${length}`).toBe(bitwise(slice));
    }
  });
});

describe('unzipFolder', () => {
  it('reads zips written by other tools and strips a single top-level folder', () => {
    const zip = zipSync({
      'my-model/config.json': text('{}'),
      'my-model/onnx/model.onnx': text('x'),
      'my-model/': new Uint8Array(),
    });
    const files = unzipFolder(zip);
    expect([...files.keys()].sort()).toEqual(['config.json', 'onnx/model.onnx']);
  });

  it.each([
    ['../escape.txt'],
    ['/etc/passwd'],
    ['a/../../escape.txt'],
    ['C:/windows/system.ini'],
    ['dir\\..\\escape.txt'],
  ])('rejects the entry %s that would escape the folder', (name) => {
    const zip = zipSync({ [name]: text('boom'), 'config.json': text('{}') });
    expect(() => unzipFolder(zip)).toThrow(/not a safe relative path/);
  });

  it('rejects an entry with an extreme compression ratio (zip bomb) before inflating it', () => {
    const zip = zipSync({ 'model.safetensors': new Uint8Array(20 * 1024 * 1024) }, { level: 9 });
    expect(zip.byteLength).toBeLessThan(100_000);
    expect(() => unzipFolder(zip)).toThrow(/would inflate \d+x, more than the 200x allowed/);
  });

  it('rejects archives whose total inflated size is over the cap', () => {
    const zip = zipSync(
      { 'a.bin': new Uint8Array(600).fill(7), 'b.bin': new Uint8Array(600).fill(9) },
      { level: 0 },
    );
    expect(() => unzipFolder(zip, { maxTotalBytes: 1000 })).toThrow(/more than 1000 bytes/);
    expect(unzipFolder(zip, { maxTotalBytes: 1200 }).size).toBe(2);
  });

  it('rejects too many entries', () => {
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}.txt`, text('x')]));
    expect(() => unzipFolder(zipSync(many), { maxEntries: 10 })).toThrow(
      /20 entries, more than the 10 allowed/,
    );
  });

  it('stops inflating an entry that produces more than its declared size', () => {
    const zip = zipSync({ 'vocab.txt': text('hello '.repeat(10_000)) }, { level: 9 });
    const at = centralOffset(zip);
    // Declare a smaller size in both headers: the entry now lies about what it inflates to.
    new DataView(zip.buffer).setUint32(at + 24, 1000, true);
    new DataView(zip.buffer).setUint32(22, 1000, true);
    expect(() => unzipFolder(zip)).toThrow(/inflates beyond its declared size/);
  });

  it('rejects damaged contents and encrypted entries', () => {
    const zip = zipSync({ 'config.json': text('{"labels": ["a", "b"]}') }, { level: 0 });
    const damaged = zip.slice();
    const dataStart = 30 + 'config.json'.length;
    damaged[dataStart] = (damaged[dataStart] as number) ^ 0xff;
    expect(() => unzipFolder(damaged)).toThrow(/fails its checksum/);
    const encrypted = zip.slice();
    const view = new DataView(encrypted.buffer);
    const at = centralOffset(encrypted);
    view.setUint16(at + 8, view.getUint16(at + 8, true) | 1, true);
    expect(() => unzipFolder(encrypted)).toThrow(/encrypted/);
  });

  it('says plainly when the bytes are not a zip', () => {
    expect(() => unzipFolder(text('definitely not a zip file, just some text'))).toThrow(/not a zip file/);
  });
});
