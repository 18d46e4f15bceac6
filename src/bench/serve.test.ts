// A --quick run of the serve suite: serve.py starts with each backend, answers every request, and
// each case gives requests/s and p50/p95 (figures from this loaded machine mean nothing).
import { describe, expect, it } from 'vitest';
import { requirePython } from '../node/python.ts';
import { benchServe, quantile } from './serve.ts';
import { formatTable } from './table.ts';

requirePython();

describe('benchServe', () => {
  it('nearest-rank quantiles', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.95)).toBe(4);
    expect(quantile([7], 0.95)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('measures the pipeline loop and serve.py on PyTorch and ONNX Runtime at 1 and 4 clients', async () => {
    const rows = await benchServe({ requests: 8, clients: [1, 4], caseSeconds: 20 });
    expect(rows.map((r) => `${r.where} | ${r.name}`)).toEqual([
      'python transformers | pipeline loop, 1 client req/s',
      'python transformers | pipeline loop, 1 client p50',
      'python transformers | pipeline loop, 1 client p95',
      ...['pytorch', 'onnxruntime'].flatMap((backend) =>
        [1, 4].flatMap((clients) =>
          ['req/s', 'p50', 'p95'].map(
            (what) => `serve.py ${backend} | serve.py, ${clients} client${clients === 1 ? '' : 's'} ${what}`,
          ),
        ),
      ),
    ]);
    for (const row of rows) expect(row.value, row.name).toBeGreaterThan(0);
    // Every request of every case was answered (8 per case, well inside 20 s).
    for (const row of rows.filter((r) => r.unit === 'req/s')) expect(row.note).toMatch(/^8 requests/);
    for (const row of rows.filter((r) => r.where.startsWith('serve.py') && r.unit === 'req/s')) {
      expect(row.ratio?.against).toBe('pipeline loop');
    }
    expect(formatTable(rows)).toContain('serve.py onnxruntime');
  }, 300_000);
});
