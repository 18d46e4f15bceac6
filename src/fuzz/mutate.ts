// Structure-blind mutations of known-good files, as coverage-less fuzzers (radamsa, AFL's havoc
// stage) make them: a valid sample with a few bytes flipped, replaced, cut, repeated or spliced,
// numbers swapped for extreme ones. Built on fast-check so a failure shrinks to its fewest
// mutations and replays from its seed.
import fc from 'fast-check';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'repeat'; at: number; length: number; times: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'number'; nth: number; text: string };

// Bytes that change how a parser reads its input: delimiters, quotes, line ends, NUL, high bits.
const INTERESTING_BYTES = [0x00, 0x0a, 0x0d, 0x22, 0x27, 0x2c, 0x3b, 0x09, 0x5c, 0x7f, 0x80, 0xef, 0xff];
// Numbers at the edges of what JSON, 32-bit and 64-bit fields and float64 hold.
const EXTREME_NUMBERS = [
  '0',
  '-1',
  '1e309',
  '-0',
  '0.5',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '18446744073709551615',
  '1e-400',
  'NaN',
  '99999999999999999999999999',
];

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: position,
    byte: fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 })),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: position,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  }),
  fc.record({
    kind: fc.constant('repeat' as const),
    at: position,
    length: fc.integer({ min: 1, max: 32 }),
    times: fc.integer({ min: 2, max: 64 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
  fc.record({
    kind: fc.constant('number' as const),
    nth: fc.nat(),
    text: fc.constantFrom(...EXTREME_NUMBERS),
  }),
);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Replaces the nth run of ASCII digits (wrapping around) with `text`. */
function replaceNumber(bytes: Uint8Array, nth: number, text: string): Uint8Array {
  const runs: [number, number][] = [];
  for (let i = 0; i < bytes.length;) {
    if (bytes[i]! >= 0x30 && bytes[i]! <= 0x39) {
      const start = i;
      while (i < bytes.length && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) i++;
      runs.push([start, i]);
    } else i++;
  }
  if (runs.length === 0) return bytes;
  const [start, end] = runs[nth % runs.length]!;
  return concat(bytes.subarray(0, start), new TextEncoder().encode(text), bytes.subarray(end));
}

export function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  const at = Math.floor((m.kind === 'number' ? 0 : m.at) * (bytes.length + 1));
  switch (m.kind) {
    case 'flip': {
      if (at >= bytes.length) return bytes;
      const out = bytes.slice();
      out[at] = out[at]! ^ (1 << m.bit);
      return out;
    }
    case 'set': {
      if (at >= bytes.length) return bytes;
      const out = bytes.slice();
      out[at] = m.byte;
      return out;
    }
    case 'delete':
      return concat(bytes.subarray(0, at), bytes.subarray(at + m.length));
    case 'insert':
      return concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
    case 'repeat': {
      const run = bytes.subarray(at, at + m.length);
      return concat(bytes.subarray(0, at), ...Array.from({ length: m.times }, () => run), bytes.subarray(at));
    }
    case 'truncate':
      return bytes.subarray(0, at);
    case 'number':
      return replaceNumber(bytes, m.nth, m.text);
  }
}

/** One of the seeds with up to `maxMutations` mutations applied, or (rarely) random bytes. */
export function mutatedInput(seeds: readonly Uint8Array[], maxMutations = 6): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.nat({ max: seeds.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: maxMutations }))
    .map(([seed, ops]) => ops.reduce(applyMutation, seeds[seed]!));
  return fc.oneof(
    { arbitrary: mutated, weight: 9 },
    { arbitrary: fc.uint8Array({ maxLength: 512 }), weight: 1 },
  );
}
