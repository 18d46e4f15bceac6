// Says where two export zips differ, so a check that two exports are byte-identical fails with
// the file to look at (and, for text files, the line) instead of a bare byte offset.
import { unzipFolder, zipEntries } from './zip.ts';

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const TEXT_FILE = /\.(json|md|txt|py|csv|jsonl)$|(^|\/)Dockerfile$/;

function describeFile(path: string, a: Uint8Array, b: Uint8Array, names: [string, string]): string {
  const at = firstDifference(a, b);
  if (TEXT_FILE.test(path)) {
    const decoder = new TextDecoder();
    const linesA = decoder.decode(a).split('\n');
    const linesB = decoder.decode(b).split('\n');
    for (let i = 0; i < Math.max(linesA.length, linesB.length); i++) {
      if (linesA[i] !== linesB[i]) {
        return `${path} differs at line ${i + 1}:\n  ${names[0]}: ${JSON.stringify(linesA[i] ?? '<end of file>')}\n  ${names[1]}: ${JSON.stringify(linesB[i] ?? '<end of file>')}`;
      }
    }
  }
  return `${path} differs from byte ${at} (${a.length} vs ${b.length} bytes)`;
}

/**
 * Null when the two zips are the same bytes; otherwise what differs: the list or order of
 * entries, the first entry whose content differs, or (same contents) the zip structure itself,
 * such as timestamps, attributes or compression.
 */
export function zipDifference(
  a: Uint8Array,
  b: Uint8Array,
  names: [string, string] = ['first', 'second'],
): string | null {
  const at = firstDifference(a, b);
  if (at < 0) return null;
  const entriesA = zipEntries(a);
  const entriesB = zipEntries(b);
  const pathsA = entriesA.map((e) => e.path);
  const pathsB = entriesB.map((e) => e.path);
  if (pathsA.join('\n') !== pathsB.join('\n')) {
    const onlyA = pathsA.filter((p) => !pathsB.includes(p));
    const onlyB = pathsB.filter((p) => !pathsA.includes(p));
    if (onlyA.length || onlyB.length) {
      return `the zips hold different files: only in ${names[0]}: [${onlyA.join(', ')}]; only in ${names[1]}: [${onlyB.join(', ')}]`;
    }
    return `the zips list their files in different orders:\n  ${names[0]}: ${pathsA.join(', ')}\n  ${names[1]}: ${pathsB.join(', ')}`;
  }
  const filesA = unzipFolder(a);
  const filesB = unzipFolder(b);
  for (const path of filesA.keys()) {
    const fileA = filesA.get(path) as Uint8Array;
    const fileB = filesB.get(path) as Uint8Array;
    if (firstDifference(fileA, fileB) >= 0) return describeFile(path, fileA, fileB, names);
  }
  const entry = [...entriesA].reverse().find((e) => e.localOffset <= at);
  return `the files are equal but the zip bytes differ from offset ${at} (${a.length} vs ${b.length} bytes)${
    entry ? `, in or after the entry of ${entry.path} (timestamps, attributes or compression)` : ''
  }`;
}
