// One row per measured figure; every suite returns these so `npm run bench` prints one table.
export interface BenchRow {
  /** Which benchmark: data, model, train, browser. */
  suite: string;
  /** What was measured, e.g. "forward b=8 t=128". */
  name: string;
  /** Where it ran: "node wasm", "node cpu", "chromium webgpu (swiftshader)", "pytorch cpu". */
  where: string;
  value: number;
  unit: string;
  /** Side-by-side comparisons measured in the same run, e.g. ours / PyTorch. */
  ratio?: { against: string; value: number };
  /** CPU threads the figure was measured on (WASM, PyTorch); absent where threads do not apply. */
  threads?: number;
  /**
   * The machine's 1-minute load average over the suite's run (mean of samples taken while it ran;
   * the benchmark's own threads count in it).
   */
  load?: number;
  note?: string;
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** A Markdown table, so the same text goes to the terminal and into the README. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ['suite', 'measure', 'where', 'threads', 'value', 'unit', 'ratio', 'load', 'note'];
  const lines = rows.map((r) => [
    r.suite,
    r.name,
    r.where,
    r.threads === undefined ? '' : String(r.threads),
    formatValue(r.value),
    r.unit,
    r.ratio ? `${formatValue(r.ratio.value)}× ${r.ratio.against}` : '',
    r.load === undefined ? '' : r.load.toFixed(1),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}
