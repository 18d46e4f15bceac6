// A smoke run of the data benchmark at a small size: it must stay callable and report every figure.
import { describe, expect, it } from 'vitest';
import { benchData } from './data.ts';
import { formatTable } from './table.ts';

describe('benchData', () => {
  it('measures parse, check, split and tokenization with the direct tokenizer as baseline', async () => {
    const rows = await benchData({ syntheticRows: 2000, tokenizeLimit: 500, rounds: 1 });
    const names = rows.map((r) => r.name);
    for (const set of ['Banking77 train', 'synthetic 2,000 rows']) {
      for (const measure of ['parse', 'parse+check', 'split', 'tokenizer direct']) {
        expect(names).toContain(`${measure} ${set}`);
      }
      expect(names).toContain(`tokenize pipeline ${set} (max_length 128)`);
    }
    for (const r of rows) {
      expect(r.value, r.name).toBeGreaterThan(0);
      expect(r.unit).toBe('rows/s');
    }
    expect(rows.filter((r) => r.ratio?.against === 'tokenizer direct')).toHaveLength(2);
    expect(formatTable(rows)).toContain('tokenize pipeline');
  });
});
