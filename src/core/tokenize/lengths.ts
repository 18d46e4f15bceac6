// Token length statistics: the histogram the Data step draws, the suggested max_length, and the
// "texts longer than max_length" check.

import type { DatasetCheck } from '../dataset/index.ts';

export interface LengthBin {
  /** Inclusive lower bound, in tokens. */
  from: number;
  /** Exclusive upper bound. */
  to: number;
  count: number;
}

export interface TokenLengthStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  histogram: LengthBin[];
  /** 95th percentile rounded up to a multiple of 8, capped at the model's limit. */
  suggestedMaxLength: number;
  modelMaxLength: number | null;
}

/** Nearest-rank percentile of sorted values (p in 0..1). */
function percentile(sorted: Int32Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] as number;
}

/**
 * The max_length to propose: the 95th percentile of the full token lengths (special tokens
 * included) rounded up to a multiple of 8, at least 8 and at most the model's limit.
 */
export function suggestMaxLength(lengths: ArrayLike<number>, modelMaxLength: number | null): number {
  const sorted = Int32Array.from(lengths).sort();
  const p95 = percentile(sorted, 0.95);
  const rounded = Math.max(8, Math.ceil(p95 / 8) * 8);
  return modelMaxLength !== null ? Math.min(rounded, modelMaxLength) : rounded;
}

export function tokenLengthStats(
  lengths: ArrayLike<number>,
  modelMaxLength: number | null,
): TokenLengthStats {
  const sorted = Int32Array.from(lengths).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  const max = n ? (sorted[n - 1] as number) : 0;
  // About 40 bars at most, each a multiple of 8 tokens wide so they line up with max_length choices.
  const width = Math.max(8, Math.ceil(max / 40 / 8) * 8);
  const bins: LengthBin[] = [];
  for (let from = 0; from <= max; from += width) bins.push({ from, to: from + width, count: 0 });
  for (const v of sorted) (bins[Math.floor(v / width)] as LengthBin).count++;
  return {
    count: n,
    min: n ? (sorted[0] as number) : 0,
    max,
    mean: n ? sum / n : 0,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    histogram: bins,
    suggestedMaxLength: suggestMaxLength(sorted, modelMaxLength),
    modelMaxLength,
  };
}

/**
 * The check for texts that max_length cuts: how many, which rows, and how many tokens each loses.
 * `lengths[i]` is the full token count of the row numbered `rows[i]`. Null when nothing is cut.
 */
export function tooLongCheck(
  lengths: ArrayLike<number>,
  rows: ArrayLike<number>,
  maxLength: number,
): DatasetCheck | null {
  const affected: number[] = [];
  const details: string[] = [];
  let cut = 0;
  let longest = 0;
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i] as number;
    if (length <= maxLength) continue;
    affected.push(rows[i] as number);
    details.push(`${length} tokens, ${length - maxLength} cut`);
    cut += length - maxLength;
    if (length > longest) longest = length;
  }
  if (affected.length === 0) return null;
  const order = affected.map((_, k) => k).sort((a, b) => (affected[a] as number) - (affected[b] as number));
  return {
    id: 'too-long',
    severity: 'warning',
    title: `Texts longer than ${maxLength} tokens`,
    message: `${affected.length} text${affected.length === 1 ? ' is' : 's are'} longer than max_length ${maxLength}: ${cut} token${cut === 1 ? '' : 's'} in all would be cut (longest: ${longest} tokens)`,
    count: affected.length,
    rows: order.map((k) => affected[k] as number),
    details: order.map((k) => details[k] as string),
  };
}
