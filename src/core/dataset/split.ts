// Train/validation/test splits. Stratified per class with a seed (iterative stratification for
// multi-label), rows with identical text always in the same split (no leakage), a split column or
// a separate test file honoured when given. Every class with at least 3 examples lands in every
// split unless that is impossible, and then the result says why.

import { createRng, type Rng } from '../util/index.ts';
import { SPLIT_NAMES, type Dataset, type DatasetCheck, type SplitIndex } from './types.ts';

export type SplitFractions = [number, number, number];
export const DEFAULT_FRACTIONS: SplitFractions = [0.8, 0.1, 0.1];
export const DEFAULT_SEED = 42;

export interface SplitOptions {
  seed?: number | string;
  /** Train, validation, test shares; normalised to sum to 1. */
  fractions?: SplitFractions;
  /** Honour the dataset's split column (default: yes, when it has one). */
  useSplitColumn?: boolean;
}

export interface LabelBalance {
  label: string;
  /** Rows with this label over all splits. */
  total: number;
  counts: [number, number, number];
  /** total × the split's share: what a perfect stratification would give. */
  expected: [number, number, number];
  /**
   * Single-label: every split within ±1 example of `expected`. Multi-label: within ±1 example,
   * or the label's share of the split within 2 percentage points of its share overall.
   */
  withinTolerance: boolean;
}

export interface SplitResult {
  /** Split of each kept row (0 train, 1 validation, 2 test), parallel to `dataset.texts`. */
  assignment: Int8Array;
  source: 'stratified' | 'split-column' | 'test-file';
  seed: number | string;
  fractions: SplitFractions;
  sizes: [number, number, number];
  balance: LabelBalance[];
  /** Why a class is missing from a split, tolerance misses, leakage in a given split column. */
  messages: string[];
}

function normalizeFractions(fractions: SplitFractions): SplitFractions {
  if (fractions.some((f) => !Number.isFinite(f) || f < 0)) {
    throw new Error(`split fractions must be non-negative numbers, got ${fractions.join('/')}`);
  }
  const sum = fractions[0] + fractions[1] + fractions[2];
  if (sum <= 0 || fractions[0] <= 0) throw new Error('the training split needs a share above 0');
  return [fractions[0] / sum, fractions[1] / sum, fractions[2] / sum];
}

/**
 * Whole numbers of examples per split summing to `n`, each within 1 of n × share (largest
 * remainders). Ties go to the split furthest behind its overall target, so that 77 classes of 35
 * examples do not all round the same way and leave validation bigger than test.
 */
function apportion(n: number, shares: number[], globalDeficit: number[], rng: Rng): number[] {
  const exact = shares.map((f) => n * f);
  const counts = exact.map((x) => Math.floor(x + 1e-9));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = shares
    .map((_, s) => ({ s, rem: (exact[s] as number) - (counts[s] as number), tie: rng.next() }))
    .filter((o) => (shares[o.s] as number) > 0)
    .sort((a, b) =>
      b.rem - a.rem > 1e-9 || a.rem - b.rem > 1e-9
        ? b.rem - a.rem
        : (globalDeficit[b.s] as number) - (globalDeficit[a.s] as number) || a.tie - b.tie,
    );
  for (const o of order) {
    if (left <= 0) break;
    counts[o.s] = (counts[o.s] as number) + 1;
    left--;
  }
  return counts;
}

/** Gives each split with a share at least one example, when n ≥ 3 and there are enough groups. */
function ensureOnePerSplit(targets: number[], shares: number[], n: number, groups: number): void {
  const active = shares.map((f, s) => (f > 0 ? s : -1)).filter((s) => s >= 0);
  if (n < 3 || groups < active.length) return;
  for (const s of active) {
    if ((targets[s] as number) > 0) continue;
    let donor = -1;
    for (const d of active)
      if ((targets[d] as number) > 1 && (donor < 0 || (targets[d] as number) > (targets[donor] as number)))
        donor = d;
    if (donor < 0) return;
    targets[donor] = (targets[donor] as number) - 1;
    targets[s] = 1;
  }
}

interface Groups {
  /** Members (kept-row indices) of each group of identical texts, in file order. */
  members: number[][];
}

function groupByText(texts: readonly string[]): Groups {
  const byText = new Map<string, number>();
  const members: number[][] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i] as string;
    const g = byText.get(text);
    if (g === undefined) {
      byText.set(text, members.length);
      members.push([i]);
    } else (members[g] as number[]).push(i);
  }
  return { members };
}

function rowLabels(dataset: Dataset, i: number): number[] {
  if (!dataset.multiLabel) return [dataset.labelIndex[i] as number];
  return Array.from(dataset.labelIds.subarray(dataset.labelOffsets[i], dataset.labelOffsets[i + 1]));
}

/** Splits the kept rows of `dataset`. Deterministic: the same seed gives the same split. */
export function splitDataset(dataset: Dataset, options: SplitOptions = {}): SplitResult {
  const seed = options.seed ?? DEFAULT_SEED;
  const fractions = normalizeFractions(options.fractions ?? DEFAULT_FRACTIONS);
  const rng = createRng(seed);
  const n = dataset.texts.length;
  const messages: string[] = [];
  const assignment = new Int8Array(n).fill(-1);
  const given = options.useSplitColumn === false ? null : dataset.givenSplit;
  const source: SplitResult['source'] = given
    ? dataset.rowSource
      ? 'test-file'
      : 'split-column'
    : 'stratified';

  // Which splits the random split fills, and with which shares.
  let poolShares: number[] = [...fractions];
  const fixed = new Int8Array(n).fill(-1);
  if (given) {
    fixed.set(given);
    const present = [0, 1, 2].filter((s) => given.includes(s));
    const missing = [0, 1, 2].filter((s) => !present.includes(s));
    if (missing.length > 0) {
      // Splits the column lacks are carved out of its training rows, in the usual proportions.
      for (let i = 0; i < n; i++) if (fixed[i] === 0) fixed[i] = -1;
      const shares = [fractions[0], 0, 0];
      for (const s of missing) shares[s] = fractions[s as SplitIndex];
      const sum = shares.reduce((a, b) => a + b, 0);
      poolShares = shares.map((f) => f / sum);
      const names = missing.filter((s) => s !== 0).map((s) => SPLIT_NAMES[s as SplitIndex]);
      if (names.length > 0) {
        messages.push(
          `the ${source === 'test-file' ? 'files give' : 'split column gives'} no ${names.join(' or ')} rows: ` +
            `${names.join(' and ')} ${names.length === 1 ? 'is' : 'are'} taken from the training rows, stratified`,
        );
      }
    }
  }

  const { members } = groupByText(dataset.texts);
  const poolGroups: number[] = [];
  let leaked = 0;
  for (let g = 0; g < members.length; g++) {
    const rows = members[g] as number[];
    const fixedSplits = [...new Set(rows.map((i) => fixed[i] as number).filter((s) => s >= 0))];
    if (fixedSplits.length === 0) {
      poolGroups.push(g);
      continue;
    }
    if (fixedSplits.length > 1) leaked++;
    // Rows without a given split follow the group's first given split, so the text stays in one split.
    const follow = fixedSplits[0] as number;
    for (const i of rows) assignment[i] = (fixed[i] as number) >= 0 ? (fixed[i] as number) : follow;
  }
  if (leaked > 0) {
    messages.push(
      `${leaked} text${leaked === 1 ? ' appears' : 's appear'} in more than one of the given splits: honoured as given, but the model is then evaluated on text it trained on`,
    );
  }

  rng.shuffle(poolGroups);
  if (dataset.multiLabel) {
    stratifyMultiLabel(dataset, members, poolGroups, poolShares, assignment, rng);
    if (!given) refineMultiLabel(dataset, members, poolShares, assignment, rng);
  } else stratifySingleLabel(dataset, members, poolGroups, poolShares, assignment, rng);

  const sizes: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < n; i++) sizes[assignment[i] as SplitIndex]++;
  const balance = measureBalance(dataset, assignment, sizes, source === 'stratified' ? fractions : null);
  explainBalance(dataset, members, balance, sizes, source, messages);
  return { assignment, source, seed, fractions, sizes, balance, messages };
}

function stratifySingleLabel(
  dataset: Dataset,
  members: number[][],
  poolGroups: number[],
  shares: number[],
  assignment: Int8Array,
  rng: Rng,
): void {
  const byClass = new Map<number, number[]>();
  for (const g of poolGroups) {
    const c = dataset.labelIndex[(members[g] as number[])[0] as number] as number;
    const list = byClass.get(c);
    if (list) list.push(g);
    else byClass.set(c, [g]);
  }
  const globalExpected = [0, 0, 0];
  const globalAssigned = [0, 0, 0];
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  for (const c of classes) {
    // Larger duplicate groups first, so single rows can even out what they leave.
    const groups = (byClass.get(c) as number[]).sort(
      (a, b) => (members[b] as number[]).length - (members[a] as number[]).length,
    );
    const total = groups.reduce((sum, g) => sum + (members[g] as number[]).length, 0);
    const deficit = globalExpected.map(
      (e, s) => e + total * (shares[s] as number) - (globalAssigned[s] as number),
    );
    const targets = apportion(total, shares, deficit, rng);
    ensureOnePerSplit(targets, shares, total, groups.length);
    const current = [0, 0, 0];
    for (const g of groups) {
      const size = (members[g] as number[]).length;
      let best = -1;
      for (let s = 0; s < 3; s++) {
        if ((shares[s] as number) <= 0) continue;
        const room = (targets[s] as number) - (current[s] as number);
        if (best < 0 || room > (targets[best] as number) - (current[best] as number)) best = s;
      }
      current[best] = (current[best] as number) + size;
      for (const i of members[g] as number[]) assignment[i] = best;
    }
    for (let s = 0; s < 3; s++) {
      globalExpected[s] = (globalExpected[s] as number) + total * (shares[s] as number);
      globalAssigned[s] = (globalAssigned[s] as number) + (current[s] as number);
    }
  }
}

/**
 * Iterative stratification (Sechidis, Tsoumakas & Vlahavas, 2011) over groups of identical
 * texts: take the label with the fewest unplaced examples, put each of its groups in the split
 * that still wants most of that label (then most examples overall), update the wants, repeat.
 * Rows without labels fill the splits' remaining room.
 */
function stratifyMultiLabel(
  dataset: Dataset,
  members: number[][],
  poolGroups: number[],
  shares: number[],
  assignment: Int8Array,
  rng: Rng,
): void {
  const numLabels = dataset.labels.length;
  const groupLabels = new Map<number, Map<number, number>>();
  const labelTotals = new Array<number>(numLabels).fill(0);
  const labelGroups: number[][] = Array.from({ length: numLabels }, () => []);
  let poolRows = 0;
  for (const g of poolGroups) {
    const counts = new Map<number, number>();
    for (const i of members[g] as number[]) {
      poolRows++;
      for (const l of rowLabels(dataset, i)) counts.set(l, (counts.get(l) ?? 0) + 1);
    }
    groupLabels.set(g, counts);
    for (const [l, k] of counts) {
      labelTotals[l] = (labelTotals[l] as number) + k;
      (labelGroups[l] as number[]).push(g);
    }
  }
  const zero = [0, 0, 0];
  const wantRows = apportion(poolRows, shares, zero, rng);
  const want: number[][] = labelTotals.map((total, l) => {
    const targets = apportion(total, shares, zero, rng);
    ensureOnePerSplit(targets, shares, total, (labelGroups[l] as number[]).length);
    return targets;
  });
  const remaining = [...labelTotals];
  const placed = new Set<number>();
  const place = (g: number, s: number): void => {
    placed.add(g);
    for (const i of members[g] as number[]) assignment[i] = s;
    wantRows[s] = (wantRows[s] as number) - (members[g] as number[]).length;
    for (const [l, k] of groupLabels.get(g) as Map<number, number>) {
      (want[l] as number[])[s] = ((want[l] as number[])[s] as number) - k;
      remaining[l] = (remaining[l] as number) - k;
    }
  };
  const active = [0, 1, 2].filter((s) => (shares[s] as number) > 0);
  for (;;) {
    let label = -1;
    for (let l = 0; l < numLabels; l++) {
      if (
        (remaining[l] as number) > 0 &&
        (label < 0 || (remaining[l] as number) < (remaining[label] as number))
      )
        label = l;
    }
    if (label < 0) break;
    for (const g of labelGroups[label] as number[]) {
      if (placed.has(g)) continue;
      const wants = want[label] as number[];
      let best = -1;
      let bestTie = 0;
      for (const s of active) {
        const tie = rng.next();
        if (
          best < 0 ||
          (wants[s] as number) > (wants[best] as number) ||
          ((wants[s] as number) === (wants[best] as number) &&
            ((wantRows[s] as number) > (wantRows[best] as number) ||
              ((wantRows[s] as number) === (wantRows[best] as number) && tie < bestTie)))
        ) {
          best = s;
          bestTie = tie;
        }
      }
      place(g, best);
    }
  }
  for (const g of poolGroups) {
    if (placed.has(g)) continue;
    let best = active[0] as number;
    for (const s of active) if ((wantRows[s] as number) > (wantRows[best] as number)) best = s;
    place(g, best);
  }
}

/**
 * Iterative stratification serves rare labels first; a frequent label can end up a little off
 * (NLU++'s "request_info", in ~380 rows, by 3 examples). This pass swaps pairs of equally sized
 * groups between two splits (so split sizes stay put) while that lowers the total amount by which
 * labels exceed the tolerance, breaking ties by squared deviation from the expected counts.
 */
function refineMultiLabel(
  dataset: Dataset,
  members: number[][],
  shares: number[],
  assignment: Int8Array,
  rng: Rng,
): void {
  const numLabels = dataset.labels.length;
  const n = assignment.length;
  const groupSplit = members.map((rows) => assignment[rows[0] as number] as number);
  const groupLabels = members.map((rows) => {
    const counts = new Map<number, number>();
    for (const i of rows) for (const l of rowLabels(dataset, i)) counts.set(l, (counts.get(l) ?? 0) + 1);
    return counts;
  });
  const counts = Array.from({ length: numLabels }, () => [0, 0, 0]);
  const sizes = [0, 0, 0];
  members.forEach((rows, g) => {
    const s = groupSplit[g] as number;
    sizes[s] = (sizes[s] as number) + rows.length;
    for (const [l, k] of groupLabels[g] as Map<number, number>)
      (counts[l] as number[])[s] = ((counts[l] as number[])[s] as number) + k;
  });
  const totals = counts.map((c) => (c[0] as number) + (c[1] as number) + (c[2] as number));
  const excessOf = (l: number, s: number, c: number): number => {
    const expected = (totals[l] as number) * (shares[s] as number);
    const byExamples = Math.abs(c - expected) - 1;
    const size = sizes[s] as number;
    const byShare = size > 0 ? (Math.abs(c / size - (totals[l] as number) / n) - 0.02) * size : byExamples;
    return Math.max(0, Math.min(byExamples, byShare));
  };
  const score = (l: number, s: number, c: number): number => {
    const expected = (totals[l] as number) * (shares[s] as number);
    // Emptying a split of a label that has 3 or more examples costs as much as a tolerance miss.
    const absent = c === 0 && (totals[l] as number) >= 3 ? 1 : 0;
    return (excessOf(l, s, c) + absent) * 1e6 + (c - expected) ** 2;
  };
  const active = [0, 1, 2].filter((s) => (shares[s] as number) > 0);
  const bySplit = active.map((s) => members.map((_, g) => g).filter((g) => groupSplit[g] === s));

  /** Change in score if group g (in split a) and group h (in split b) trade places. */
  const delta = (g: number, a: number, h: number, b: number): number => {
    const change = new Map<number, number>();
    for (const [l, k] of groupLabels[g] as Map<number, number>) change.set(l, (change.get(l) ?? 0) + k);
    for (const [l, k] of groupLabels[h] as Map<number, number>) change.set(l, (change.get(l) ?? 0) - k);
    let d = 0;
    for (const [l, k] of change) {
      if (k === 0) continue;
      const c = counts[l] as number[];
      d += score(l, a, (c[a] as number) - k) - score(l, a, c[a] as number);
      d += score(l, b, (c[b] as number) + k) - score(l, b, c[b] as number);
    }
    return d;
  };
  const sample = (list: number[], k: number): number[] => {
    if (list.length <= k) return list;
    return Array.from({ length: k }, () => list[rng.int(list.length)] as number);
  };

  const stuck = new Set<string>();
  for (let iteration = 0; iteration < 5000; iteration++) {
    let worst: { l: number; s: number; excess: number } | null = null;
    for (let l = 0; l < numLabels; l++) {
      for (const s of active) {
        if (stuck.has(`${l}:${s}`)) continue;
        const excess = excessOf(l, s, (counts[l] as number[])[s] as number);
        if (excess > 1e-9 && (!worst || excess > worst.excess)) worst = { l, s, excess };
      }
    }
    if (!worst) return;
    const { l, s } = worst;
    const over = ((counts[l] as number[])[s] as number) > (totals[l] as number) * (shares[s] as number);
    let best: { g: number; a: number; h: number; b: number; d: number } | null = null;
    for (const t of active) {
      if (t === s) continue;
      // Move a group with label l out of the split that has too many, or into the one with too few.
      const [a, b] = over ? [s, t] : [t, s];
      const from = (bySplit[active.indexOf(a)] as number[]).filter((g) =>
        (groupLabels[g] as Map<number, number>).has(l),
      );
      const to = bySplit[active.indexOf(b)] as number[];
      for (const g of sample(from, 40)) {
        const size = (members[g] as number[]).length;
        const gl = (groupLabels[g] as Map<number, number>).get(l) ?? 0;
        const partners = to.filter(
          (h) =>
            (members[h] as number[]).length === size &&
            ((groupLabels[h] as Map<number, number>).get(l) ?? 0) < gl,
        );
        for (const h of sample(partners, 40)) {
          const d = delta(g, a, h, b);
          if (d < -1e-9 && (!best || d < best.d)) best = { g, a, h, b, d };
        }
      }
    }
    if (!best) {
      stuck.add(`${l}:${s}`);
      continue;
    }
    const { g, a, h, b } = best;
    for (const [label, k] of groupLabels[g] as Map<number, number>) {
      (counts[label] as number[])[a] = ((counts[label] as number[])[a] as number) - k;
      (counts[label] as number[])[b] = ((counts[label] as number[])[b] as number) + k;
    }
    for (const [label, k] of groupLabels[h] as Map<number, number>) {
      (counts[label] as number[])[b] = ((counts[label] as number[])[b] as number) - k;
      (counts[label] as number[])[a] = ((counts[label] as number[])[a] as number) + k;
    }
    const listA = bySplit[active.indexOf(a)] as number[];
    const listB = bySplit[active.indexOf(b)] as number[];
    listA[listA.indexOf(g)] = h;
    listB[listB.indexOf(h)] = g;
    groupSplit[g] = b;
    groupSplit[h] = a;
    for (const i of members[g] as number[]) assignment[i] = b;
    for (const i of members[h] as number[]) assignment[i] = a;
    stuck.clear();
  }
}

function measureBalance(
  dataset: Dataset,
  assignment: Int8Array,
  sizes: [number, number, number],
  fractions: SplitFractions | null,
): LabelBalance[] {
  const n = assignment.length;
  const counts = dataset.labels.map(() => [0, 0, 0] as [number, number, number]);
  for (let i = 0; i < n; i++) {
    const s = assignment[i] as SplitIndex;
    for (const l of rowLabels(dataset, i)) (counts[l] as [number, number, number])[s]++;
  }
  const shares = fractions ?? (sizes.map((k) => (n > 0 ? k / n : 0)) as SplitFractions);
  return dataset.labels.map((label, l) => {
    const c = counts[l] as [number, number, number];
    const total = c[0] + c[1] + c[2];
    const expected = shares.map((f) => total * f) as [number, number, number];
    const withinTolerance = [0, 1, 2].every((s) => {
      const off = Math.abs((c[s] as number) - (expected[s] as number));
      if (off <= 1 + 1e-9) return true;
      if (!dataset.multiLabel || sizes[s as SplitIndex] === 0 || n === 0) return false;
      return Math.abs((c[s] as number) / sizes[s as SplitIndex] - total / n) <= 0.02 + 1e-12;
    });
    return { label, total, counts: c, expected, withinTolerance };
  });
}

function explainBalance(
  dataset: Dataset,
  members: number[][],
  balance: LabelBalance[],
  sizes: [number, number, number],
  source: SplitResult['source'],
  messages: string[],
): void {
  const distinctTexts = new Array<number>(dataset.labels.length).fill(0);
  for (const group of members) {
    const labels = new Set(group.flatMap((i) => rowLabels(dataset, i)));
    for (const l of labels) distinctTexts[l] = (distinctTexts[l] as number) + 1;
  }
  const used = [0, 1, 2].filter((s) => sizes[s as SplitIndex] > 0);
  const few: string[] = [];
  for (const [l, b] of balance.entries()) {
    if (b.total === 0) continue;
    const missingFrom = used
      .filter((s) => b.counts[s as SplitIndex] === 0)
      .map((s) => SPLIT_NAMES[s as SplitIndex]);
    if (missingFrom.length === 0) continue;
    if (b.total < 3) {
      few.push(`${b.label} (${b.total})`);
    } else if ((distinctTexts[l] as number) < used.length) {
      messages.push(
        `class "${b.label}" is missing from ${missingFrom.join(' and ')}: its ${b.total} examples have only ${distinctTexts[l]} distinct text${distinctTexts[l] === 1 ? '' : 's'}, and identical texts stay in one split`,
      );
    } else if (source !== 'stratified') {
      messages.push(`class "${b.label}" has no examples in the given ${missingFrom.join(' or ')} rows`);
    } else {
      messages.push(
        `class "${b.label}" is missing from ${missingFrom.join(' and ')}: its examples share rows with other labels that had to go elsewhere`,
      );
    }
  }
  if (few.length > 0) {
    messages.push(
      `${few.length} class${few.length === 1 ? ' has' : 'es have'} fewer than 3 examples and cannot appear in every split: ${few.slice(0, 10).join(', ')}${few.length > 10 ? ', ...' : ''}`,
    );
  }
  if (source === 'stratified') {
    const off = balance.filter((b) => b.total > 0 && !b.withinTolerance);
    if (off.length > 0) {
      messages.push(
        `${off.length} label${off.length === 1 ? ' is' : 's are'} split less evenly than ${dataset.multiLabel ? '±1 example or 2 percentage points' : '±1 example'} (duplicate texts kept together, or labels that occur together): ${off
          .slice(0, 10)
          .map((b) => `${b.label} ${b.counts.join('/')}`)
          .join(', ')}${off.length > 10 ? ', ...' : ''}`,
      );
    }
  }
}

/** Indices of the kept rows in one split, in file order. */
export function splitIndices(assignment: Int8Array, split: SplitIndex): Int32Array {
  let count = 0;
  for (const s of assignment) if (s === split) count++;
  const out = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < assignment.length; i++) if (assignment[i] === split) out[k++] = i;
  return out;
}

/** A check of the separate test file, named as such; its unlabelled rows are only left out. */
function testFileCheck(check: DatasetCheck): DatasetCheck {
  const named = { ...check, title: `Test file: ${check.title}` };
  if (check.id !== 'missing-label') return named;
  return {
    ...named,
    message: `${check.count} row${check.count === 1 ? '' : 's'} of the test file ${check.count === 1 ? 'has' : 'have'} no label and ${check.count === 1 ? 'is' : 'are'} not scored`,
  };
}

/**
 * Joins a separate test file to the main one: the test file's rows become the test split, the
 * main file's rows are split into train and validation. Labels only the test file has are added
 * after the main file's (the model gets an output for them; a message says they lack training
 * examples). `rows` keep each file's own row numbers; `rowSource` tells which file.
 */
export function withTestFile(main: Dataset, test: Dataset): Dataset {
  if (main.multiLabel !== test.multiLabel) {
    throw new Error('the test file must be single-label or multi-label like the main file');
  }
  const known = new Set(main.labels);
  const extra = test.labels.filter(
    (l) => !known.has(l) && test.labelCounts.some((c) => c.label === l && c.count > 0),
  );
  const labels = [...main.labels, ...extra.sort()];
  const id = new Map(labels.map((l, i) => [l, i]));
  const mapTest = (t: number): number => id.get(test.labels[t] as string) as number;
  const n = main.texts.length + test.texts.length;
  const givenSplit = new Int8Array(n);
  givenSplit.fill(2, main.texts.length);
  const rowSource = new Uint8Array(n);
  rowSource.fill(1, main.texts.length);
  const concat = (a: Int32Array, b: Int32Array): Int32Array => {
    const out = new Int32Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  };
  const labelIndex = main.multiLabel
    ? new Int32Array(0)
    : concat(main.labelIndex, test.labelIndex.map(mapTest));
  const labelIds = main.multiLabel ? concat(main.labelIds, test.labelIds.map(mapTest)) : new Int32Array(0);
  const labelOffsets = main.multiLabel
    ? concat(
        main.labelOffsets,
        test.labelOffsets.subarray(1).map((o) => o + main.labelIds.length),
      )
    : new Int32Array(0);
  const counts = labels.map(
    (label) =>
      (main.labelCounts.find((c) => c.label === label)?.count ?? 0) +
      (test.labelCounts.find((c) => c.label === label)?.count ?? 0),
  );
  const notices = [...main.notices, ...test.notices.map((m) => `test file: ${m}`)];
  if (main.givenSplit)
    notices.push("the main file's split column is ignored because a separate test file is given");
  if (extra.length > 0) {
    notices.push(
      `${extra.length} label${extra.length === 1 ? '' : 's'} occur${extra.length === 1 ? 's' : ''} only in the test file and cannot be learned: ${extra.slice(0, 10).join(', ')}`,
    );
  }
  return {
    ...main,
    labels,
    texts: [...main.texts, ...test.texts],
    rows: concat(main.rows, test.rows),
    labelIndex,
    labelOffsets,
    labelIds,
    givenSplit,
    rowSource,
    labelCounts: labels.map((label, i) => ({ label, count: counts[i] ?? 0 })),
    noLabelRows: main.noLabelRows + test.noLabelRows,
    unlabelled: main.unlabelled,
    dropped: main.dropped,
    checks: [...main.checks, ...test.checks.map(testFileCheck)],
    totalRows: main.totalRows,
    notices,
  };
}
