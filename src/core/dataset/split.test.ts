import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataDir } from '../../node/paths.ts';
import { bytesFromArray, bytesFromString } from '../csv/source.ts';
import { importDataset } from './pipeline.ts';
import { splitDataset, splitIndices, withTestFile, type SplitResult } from './split.ts';
import type { Dataset } from './types.ts';

const load = async (path: string): Promise<Dataset> =>
  (await importDataset(bytesFromArray(readFileSync(resolve(dataDir(), path))))).dataset;
const fromText = async (text: string): Promise<Dataset> =>
  (await importDataset(bytesFromString(text))).dataset;

function labelsOf(dataset: Dataset, i: number): number[] {
  return dataset.multiLabel
    ? Array.from(dataset.labelIds.subarray(dataset.labelOffsets[i], dataset.labelOffsets[i + 1]))
    : [dataset.labelIndex[i] as number];
}

/** Counts per label per split, computed here from the assignment rather than taken from the result. */
function countPerSplit(dataset: Dataset, split: SplitResult): number[][] {
  const counts = dataset.labels.map(() => [0, 0, 0]);
  split.assignment.forEach((s, i) => {
    for (const l of labelsOf(dataset, i)) {
      const c = counts[l] as number[];
      c[s] = (c[s] as number) + 1;
    }
  });
  return counts;
}

function textsInTwoSplits(dataset: Dataset, split: SplitResult): string[] {
  const where = new Map<string, number>();
  const leaked = new Set<string>();
  dataset.texts.forEach((text, i) => {
    const s = split.assignment[i] as number;
    const seen = where.get(text);
    if (seen === undefined) where.set(text, s);
    else if (seen !== s) leaked.add(text);
  });
  return [...leaked];
}

describe('Banking77 (77 classes, single-label)', () => {
  let dataset: Dataset;
  let split: SplitResult;
  beforeAll(async () => {
    dataset = await load('banking77/train.csv');
    split = splitDataset(dataset, { seed: 7 });
  });

  it('assigns every row to a split, about 80/10/10', () => {
    expect(split.assignment.every((s) => s === 0 || s === 1 || s === 2)).toBe(true);
    expect(split.sizes.reduce((a, b) => a + b, 0)).toBe(10_003);
    expect(Math.abs(split.sizes[0] - 8002.4)).toBeLessThan(40);
    expect(Math.abs(split.sizes[1] - split.sizes[2])).toBeLessThanOrEqual(40);
    expect(split.source).toBe('stratified');
  });

  it('keeps every class within ±1 example of its share in every split', () => {
    const counts = countPerSplit(dataset, split);
    expect(counts).toHaveLength(77);
    for (const [l, c] of counts.entries()) {
      const total = (c[0] as number) + (c[1] as number) + (c[2] as number);
      expect(total).toBe(dataset.labelCounts[l]?.count);
      [0.8, 0.1, 0.1].forEach((share, s) => {
        expect(
          Math.abs((c[s] as number) - total * share),
          `${dataset.labels[l]} in split ${s}`,
        ).toBeLessThanOrEqual(1);
        expect(c[s]).toBeGreaterThanOrEqual(3);
      });
    }
    expect(split.balance.every((b) => b.withinTolerance)).toBe(true);
    expect(split.messages).toEqual([]);
  });

  it('is deterministic per seed and differs between seeds', () => {
    expect(Array.from(splitDataset(dataset, { seed: 7 }).assignment)).toEqual(Array.from(split.assignment));
    const other = splitDataset(dataset, { seed: 8 }).assignment;
    let differ = 0;
    other.forEach((s, i) => {
      if (s !== split.assignment[i]) differ++;
    });
    expect(differ).toBeGreaterThan(1000);
  });

  it('never puts one text in two splits', () => {
    expect(textsInTwoSplits(dataset, split)).toEqual([]);
  });

  it('follows other fractions', () => {
    const custom = splitDataset(dataset, { seed: 1, fractions: [0.7, 0.15, 0.15] });
    for (const b of custom.balance) {
      [0.7, 0.15, 0.15].forEach((share, s) =>
        expect(Math.abs((b.counts[s] as number) - b.total * share)).toBeLessThanOrEqual(1),
      );
    }
  });
});

describe('NLU++ banking (48 labels, multi-label, with duplicates and label-less rows)', () => {
  let dataset: Dataset;
  let split: SplitResult;
  beforeAll(async () => {
    dataset = await load('nlu_plus_plus/banking.csv');
    split = splitDataset(dataset, { seed: 3 });
  });

  it('keeps each label within 2 percentage points or ±1 example in every split', () => {
    const counts = countPerSplit(dataset, split);
    const n = dataset.texts.length;
    for (const [l, c] of counts.entries()) {
      const total = (c[0] as number) + (c[1] as number) + (c[2] as number);
      [0.8, 0.1, 0.1].forEach((share, s) => {
        const size = split.sizes[s as 0 | 1 | 2];
        const offByExamples = Math.abs((c[s] as number) - total * share);
        const offByShare = Math.abs((c[s] as number) / size - total / n);
        expect(
          offByExamples <= 1 || offByShare <= 0.02,
          `${dataset.labels[l]}: ${c.join('/')} of ${total}, split ${s}`,
        ).toBe(true);
        expect(c[s]).toBeGreaterThanOrEqual(1);
      });
    }
    expect(split.balance.every((b) => b.withinTolerance)).toBe(true);
  });

  it('stays within tolerance for every seed tried, with every label in every split', () => {
    for (let seed = 0; seed < 12; seed++) {
      const other = splitDataset(dataset, { seed });
      const off = other.balance
        .filter((b) => !b.withinTolerance)
        .map((b) => `${b.label} ${b.counts.join('/')}`);
      expect(off, `seed ${seed}`).toEqual([]);
      expect(other.balance.every((b) => b.counts.every((c) => c > 0))).toBe(true);
      expect(textsInTwoSplits(dataset, other)).toEqual([]);
    }
  });

  it('keeps duplicate texts (exact and conflicting) in one split', () => {
    expect(dataset.checks.find((c) => c.id === 'exact-duplicate')?.count).toBeGreaterThan(0);
    expect(textsInTwoSplits(dataset, split)).toEqual([]);
  });

  it('spreads the rows without labels too', () => {
    const none = dataset.texts.map((_, i) => i).filter((i) => labelsOf(dataset, i).length === 0);
    const perSplit = [0, 1, 2].map((s) => none.filter((i) => split.assignment[i] === s).length);
    expect(perSplit.every((k) => k > 0)).toBe(true);
  });

  it('is deterministic per seed', () => {
    expect(Array.from(splitDataset(dataset, { seed: 3 }).assignment)).toEqual(Array.from(split.assignment));
    expect(Array.from(splitDataset(dataset, { seed: 4 }).assignment)).not.toEqual(
      Array.from(split.assignment),
    );
  });
});

describe('small and given splits', () => {
  it('says why a class cannot appear in every split', async () => {
    const rows = [
      ...Array.from({ length: 20 }, (_, i) => `common ${i},big`),
      'only,tiny',
      'also only,tiny',
      'same text,dup',
      'same text,dup',
      'same text,dup',
    ];
    const dataset = await fromText(['text,label', ...rows].join('\n'));
    const split = splitDataset(dataset, { seed: 1 });
    expect(split.messages.join(' ')).toMatch(/fewer than 3 examples.*tiny \(2\)/);
    expect(split.messages.join(' ')).toMatch(/class "dup" is missing from .*only 1 distinct text/);
  });

  it('puts a class of 3 examples in all three splits', async () => {
    const rows = [
      ...Array.from({ length: 30 }, (_, i) => `common ${i},big`),
      'a,small',
      'b,small',
      'c,small',
    ];
    const dataset = await fromText(['text,label', ...rows].join('\n'));
    const split = splitDataset(dataset, { seed: 5 });
    const small = dataset.labels.indexOf('small');
    const where = dataset.texts
      .map((_, i) => i)
      .filter((i) => dataset.labelIndex[i] === small)
      .map((i) => split.assignment[i]);
    expect(where.sort()).toEqual([0, 1, 2]);
  });

  it('honours a split column and carves validation out of its training rows', async () => {
    const rows = Array.from(
      { length: 200 },
      (_, i) => `text ${i},${i % 2 ? 'a' : 'b'},${i < 160 ? 'train' : 'test'}`,
    );
    const dataset = await fromText(['text,label,split', ...rows].join('\n'));
    const split = splitDataset(dataset, { seed: 2 });
    expect(split.source).toBe('split-column');
    const test = Array.from(splitIndices(split.assignment, 2));
    expect(test).toEqual(Array.from({ length: 40 }, (_, k) => 160 + k));
    expect(split.sizes[1]).toBe(18);
    expect(split.sizes[0]).toBe(142);
    expect(split.messages.join(' ')).toMatch(/no validation rows/);
  });

  it('takes the test split from a separate test file', async () => {
    const main = await load('banking77/train.csv');
    const test = await load('banking77/test.csv');
    const merged = withTestFile(main, test);
    const split = splitDataset(merged, { seed: 11 });
    expect(split.source).toBe('test-file');
    expect(split.sizes[2]).toBe(3080);
    expect(split.sizes[0] + split.sizes[1]).toBe(10_003);
    expect(merged.labels).toEqual(main.labels);
    const testRows = Array.from(splitIndices(split.assignment, 2));
    expect(testRows.every((i) => merged.rowSource?.[i] === 1)).toBe(true);
    for (const b of split.balance) expect(b.counts[1]).toBeGreaterThanOrEqual(3);
  });
});
