// `finetune-studio predict` as a user runs it: a child process through the package's bin entry,
// checked against Hugging Face's numbers (the fixture reference, and transformers for texts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureModelDir } from '../../node/paths.ts';
import { requirePython, runPython } from '../../node/python.ts';
import { readSafetensors } from '../../core/model/safetensors.ts';

const bin = new URL('../bin.mjs', import.meta.url).pathname;
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, HF_ENDPOINT: '' },
  });

const SEQCLS = fixtureModelDir('distilbert-tiny-seqcls');

interface PredictOutput {
  rows: { row: number; logits: number[]; probabilities: Record<string, number>; label: string | string[] }[];
}

const reference = new Map(
  readSafetensors(new Uint8Array(readFileSync(join(SEQCLS, 'reference.safetensors')))).map((t) => [
    t.name,
    t,
  ]),
);
const matrix = (name: string) => {
  const t = reference.get(name)!;
  const [rows, cols] = t.shape as [number, number];
  return Array.from({ length: rows }, (_, r) => Array.from(t.data.subarray(r * cols, (r + 1) * cols)));
};

const TEXTS = [
  'I loved this place, the food was great!',
  'Terrible service.',
  '',
  'Not bad at all, but the wait was long and the music far too loud for a quiet dinner.',
  'Café crème, naïve façade — 東京 😀',
];

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'predict-'));
  writeFileSync(
    join(dir, 'ids.json'),
    JSON.stringify({ input_ids: matrix('input_ids'), attention_mask: matrix('attention_mask') }),
  );
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(
    join(dir, 'texts.csv'),
    ['id,review', ...TEXTS.map((t, i) => `${i + 1},${quote(t)}`)].join('\n') + '\n',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('finetune-studio predict', () => {
  it.each(['cpu', 'wasm'])(
    'gives the reference logits for --ids on %s, with probabilities and labels',
    (backend) => {
      const result = cli(
        '--json',
        '--backend',
        backend,
        'predict',
        '--model',
        SEQCLS,
        '--ids',
        join(dir, 'ids.json'),
      );
      expect(result.status, result.stderr).toBe(0);
      const output = JSON.parse(result.stdout) as PredictOutput;
      const expected = matrix('logits');
      expect(output.rows).toHaveLength(expected.length);
      output.rows.forEach((row, i) => {
        expect(row.row).toBe(i + 1);
        row.logits.forEach((x, j) => expect(Math.abs(x - expected[i]![j]!)).toBeLessThan(1e-4));
        const exps = expected[i]!.map(Math.exp);
        const sum = exps.reduce((a, b) => a + b, 0);
        expect(Object.keys(row.probabilities)).toEqual(['negative', 'neutral', 'positive']);
        Object.values(row.probabilities).forEach((p, j) =>
          expect(Math.abs(p - exps[j]! / sum)).toBeLessThan(1e-4),
        );
        const best = expected[i]!.indexOf(Math.max(...expected[i]!));
        expect(row.label).toBe(['negative', 'neutral', 'positive'][best]);
      });
    },
  );

  it('prints one human-readable line per row without --json', () => {
    const result = cli('--backend', 'cpu', 'predict', '--model', SEQCLS, '--ids', join(dir, 'ids.json'));
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^row 1: (negative|neutral|positive) {2}\(probabilities: negative 0\.\d{4}, neutral 0\.\d{4}, positive 0\.\d{4}; logits: \[/,
    );
  });

  it('matches transformers on the texts of a CSV column, truncation included', async () => {
    requirePython();
    const script = `
import json, sys, torch
from transformers import AutoTokenizer, AutoModelForSequenceClassification
texts = json.loads(sys.stdin.read())
tok = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModelForSequenceClassification.from_pretrained(sys.argv[1]).eval()
out = {}
for max_length in (8, 512):
    enc = tok(texts, truncation=True, max_length=max_length, padding=True, return_tensors='pt')
    with torch.no_grad():
        out[max_length] = model(**enc).logits.tolist()
print(json.dumps(out))
`;
    const run = await runPython(['-c', script, SEQCLS], {
      timeoutMs: 120_000,
      input: JSON.stringify(TEXTS),
    });
    expect(run.code, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Record<string, number[][]>;
    for (const maxLength of ['8', undefined]) {
      const args = [
        '--json',
        '--backend',
        'cpu',
        'predict',
        '--model',
        SEQCLS,
        '--csv',
        join(dir, 'texts.csv'),
        '--text-column',
        'review',
      ];
      const result = cli(...args, ...(maxLength ? ['--max-length', maxLength] : []));
      expect(result.status, result.stderr).toBe(0);
      const rows = (JSON.parse(result.stdout) as PredictOutput).rows;
      const want = expected[maxLength ?? '512']!;
      expect(rows.map((r) => r.row)).toEqual([1, 2, 3, 4, 5]);
      rows.forEach((row, i) =>
        row.logits.forEach((x, j) => expect(Math.abs(x - want[i]![j]!), `row ${i + 1}`).toBeLessThan(1e-4)),
      );
      if (maxLength) expect(result.stderr).toMatch(/text\(s\) longer than 8 tokens were truncated/);
    }
  });

  it.each([
    [['--ids', 'IDS'], 'not a model repo: the folder', 'a folder without config.json', '/'],
    [[], 'give exactly one of --ids or --csv', 'neither input', SEQCLS],
    [['--ids', 'IDS', '--csv', 'x.csv'], 'give exactly one of --ids or --csv', 'both inputs', SEQCLS],
    [['--ids', 'BINARY'], 'is a binary file, not JSON', 'a binary --ids file', SEQCLS],
    [['--ids', 'IDS', '--top-k', '2'], '--top-k goes with --out', '--top-k without --out', SEQCLS],
    [
      ['--csv', 'CSV', '--text-column', 'text'],
      'has no column "text" (columns: "id", "review")',
      'an unknown column',
      SEQCLS,
    ],
    [
      ['--ids', 'BAD_IDS'],
      'input id 40000 at position 1 is outside the vocabulary',
      'ids outside the vocabulary',
      SEQCLS,
    ],
    [
      ['--ids', 'IDS', '--max-length', '0'],
      '--max-length must be a positive integer',
      'a zero max length',
      SEQCLS,
    ],
    [['--ids', 'IDS'], 'no such folder, and not a Hub repo id', 'a missing folder', './no/such/model'],
  ])('fails with one line on stderr for %j (%s)', (args, message, _case, model) => {
    writeFileSync(join(dir, 'bad-ids.json'), JSON.stringify({ input_ids: [[101, 40000, 102]] }));
    const resolved = args.map((a) =>
      a === 'IDS'
        ? join(dir, 'ids.json')
        : a === 'BAD_IDS'
          ? join(dir, 'bad-ids.json')
          : a === 'CSV'
            ? join(dir, 'texts.csv')
            : a === 'BINARY'
              ? join(SEQCLS, 'model.safetensors')
              : a,
    );
    const result = cli('--backend', 'cpu', 'predict', '--model', model, ...resolved);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    const errorLines = result.stderr.split('\n').filter((l) => l.startsWith('finetune-studio: '));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // Nothing of the file's bytes reaches the terminal.
    // eslint-disable-next-line no-control-regex -- control bytes are what must not appear
    expect(result.stderr).not.toMatch(/[\u0000-\u0008\u000e-\u001f]/);
  });

  describe('--csv with --out', () => {
    const LABELS = ['negative', 'neutral', 'positive'];
    const ROWS = [
      ['7', '=HYPERLINK("http://example.com")', 'web'],
      ['8', 'The soup was cold, and the waiter, rude.', 'phone'],
      ['9', '+1 would come again', 'web'],
    ];
    let csvPath: string;
    let expected: PredictOutput['rows'];

    beforeAll(() => {
      const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
      csvPath = join(dir, 'comments.csv');
      writeFileSync(
        csvPath,
        ['id,comment,channel', ...ROWS.map((r) => r.map(quote).join(','))].join('\n') + '\n',
      );
      const json = cli('--json', '--backend', 'cpu', 'predict', '--model', SEQCLS, '--csv', csvPath);
      expect(json.status, json.stderr).toBe(0);
      expected = (JSON.parse(json.stdout) as PredictOutput).rows;
    });

    it('guesses the text column as train does and says so', () => {
      const named = cli(
        '--json',
        '--backend',
        'cpu',
        'predict',
        '--model',
        SEQCLS,
        '--csv',
        csvPath,
        '--text-column',
        'comment',
      );
      expect(named.status, named.stderr).toBe(0);
      expect((JSON.parse(named.stdout) as PredictOutput).rows).toEqual(expected);
      const guessed = cli('--backend', 'cpu', 'predict', '--model', SEQCLS, '--csv', csvPath);
      expect(guessed.stderr).toContain('text column: "comment" (guessed');
    });

    it("writes the input's columns, the predicted label and every probability, formula-safe", () => {
      const out = join(dir, 'predictions.csv');
      const result = cli('--backend', 'cpu', 'predict', '--model', SEQCLS, '--csv', csvPath, '--out', out);
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe(`wrote the predictions of 3 row(s) to ${out}`);
      const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
      expect(lines[0]).toBe(
        'id,comment,channel,predicted_label,probability_negative,probability_neutral,probability_positive',
      );
      expect(lines).toHaveLength(4);
      expect(lines[1]!.startsWith(`7,"'=HYPERLINK(""http://example.com"")",web,${expected[0]!.label},`)).toBe(
        true,
      );
      expect(lines[2]!.startsWith('8,"The soup was cold, and the waiter, rude.",phone,')).toBe(true);
      expect(lines[3]!.startsWith("9,'+1 would come again,web,")).toBe(true);
      lines.slice(1).forEach((line, i) => {
        const probabilities = line.split(',').slice(-3).map(Number);
        LABELS.forEach((label, j) =>
          expect(Math.abs(probabilities[j]! - expected[i]!.probabilities[label]!)).toBeLessThan(1e-6),
        );
        expect(line.split(',').at(-4)).toBe(expected[i]!.label);
      });
      const again = cli('--backend', 'cpu', 'predict', '--model', SEQCLS, '--csv', csvPath, '--out', out);
      expect(again.status).not.toBe(0);
      expect(again.stderr).toContain('already exists (add --force to overwrite it)');
    });

    it('writes the k likeliest labels with --top-k, and keeps --json as it is', () => {
      const out = join(dir, 'top2.csv');
      const result = cli(
        '--json',
        '--backend',
        'cpu',
        'predict',
        '--model',
        SEQCLS,
        '--csv',
        csvPath,
        '--out',
        out,
        '--top-k',
        '2',
      );
      expect(result.status, result.stderr).toBe(0);
      expect((JSON.parse(result.stdout) as PredictOutput).rows).toEqual(expected);
      const lines = readFileSync(out, 'utf8').trimEnd().split('\r\n');
      expect(lines[0]).toBe(
        'id,comment,channel,predicted_label,top_1_label,top_1_probability,top_2_label,top_2_probability',
      );
      lines.slice(1).forEach((line, i) => {
        const cells = line.split(',').slice(-5);
        const ranked = Object.entries(expected[i]!.probabilities).sort((a, b) => b[1] - a[1]);
        expect(cells[0]).toBe(ranked[0]![0]);
        expect(cells[1]).toBe(ranked[0]![0]);
        expect(Math.abs(Number(cells[2]) - ranked[0]![1])).toBeLessThan(1e-6);
        expect(cells[3]).toBe(ranked[1]![0]);
        expect(Math.abs(Number(cells[4]) - ranked[1]![1])).toBeLessThan(1e-6);
      });
    });
  });
});
