import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { buildPredictionsCsv, csvCell, defuseFormula, predictionRowsFromJsonl } from './predictions-csv.ts';

describe('defuseFormula', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `'=HYPERLINK("http://x","y")`],
    ['+1+cmd|calc', `'+1+cmd|calc`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tleading tab', `'\tleading tab`],
    ['\rleading return', `'\rleading return`],
  ])('prefixes %j', (cell, expected) => expect(defuseFormula(cell)).toBe(expected));

  it.each(['-5', '+3.25', '1e-7', '0.500000', 'plain text', 'a=b', ''])('leaves %j alone', (cell) =>
    expect(defuseFormula(cell)).toBe(cell),
  );
});

describe('csvCell', () => {
  it('quotes commas, quotes, line breaks and edge spaces', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(' padded ')).toBe('" padded "');
    expect(csvCell('=1+1,2')).toBe(`"'=1+1,2"`);
  });
});

describe('buildPredictionsCsv', () => {
  const labels = ['negative', 'neutral', 'positive'];

  it('writes text, true label, predicted label and one probability column per label', () => {
    const csv = buildPredictionsCsv(
      [
        { text: 'Great, "really" great', trueLabels: ['positive'], probabilities: [0.1, 0.2, 0.7] },
        { text: '=cmd|"/c calc"!A0', trueLabels: ['negative'], probabilities: [0.5, 0.3, 0.2] },
        { text: 'line one\nline two', trueLabels: ['neutral'], probabilities: [0.2, 0.2, 0.6] },
      ],
      { labels, multiLabel: false },
    );
    const parsed = Papa.parse<string[]>(csv.trimEnd(), { newline: '\r\n' }).data;
    expect(parsed[0]).toEqual([
      'text',
      'true_label',
      'predicted_label',
      'probability_negative',
      'probability_neutral',
      'probability_positive',
    ]);
    expect(parsed[1]).toEqual([
      'Great, "really" great',
      'positive',
      'positive',
      '0.100000',
      '0.200000',
      '0.700000',
    ]);
    expect(parsed[2]).toEqual([
      `'=cmd|"/c calc"!A0`,
      'negative',
      'negative',
      '0.500000',
      '0.300000',
      '0.200000',
    ]);
    expect(parsed[3]?.[0]).toBe('line one\nline two');
    expect(parsed).toHaveLength(4);
  });

  it('joins multi-label sets with | and applies each label’s threshold', () => {
    const csv = buildPredictionsCsv(
      [{ text: 'refund please', trueLabels: ['refund', 'billing'], probabilities: [0.45, 0.9, 0.2] }],
      { labels: ['billing', 'refund', 'praise'], multiLabel: true, thresholds: [0.4, 0.5, 0.1] },
    );
    const [header, row] = Papa.parse<string[]>(csv.trimEnd(), { newline: '\r\n' }).data;
    expect(header?.slice(0, 3)).toEqual(['text', 'true_labels', 'predicted_labels']);
    expect(row?.slice(1, 3)).toEqual(['refund|billing', 'billing|refund|praise']);
  });

  it('escapes label names that look like formulas in the header and cells', () => {
    const csv = buildPredictionsCsv([{ text: 'x', trueLabels: ['=evil'], probabilities: [0.9, 0.1] }], {
      labels: ['=evil', 'ok'],
      multiLabel: false,
    });
    const [header, row] = Papa.parse<string[]>(csv.trimEnd(), { newline: '\r\n' }).data;
    expect(header?.[3]).toBe('probability_=evil');
    expect(row?.slice(1, 3)).toEqual([`'=evil`, `'=evil`]);
  });

  it('refuses rows whose probabilities do not match the labels', () => {
    expect(() =>
      buildPredictionsCsv([{ text: 'x', trueLabels: ['a'], probabilities: [1] }], {
        labels: ['a', 'b'],
        multiLabel: false,
      }),
    ).toThrow(/row 1 has 1 probabilities for 2 labels/);
  });
});

describe('predictionRowsFromJsonl', () => {
  const labels = ['negative', 'positive'];

  it('reads names, ids or indicator rows, and probabilities as lists or by label', () => {
    const rows = predictionRowsFromJsonl(
      [
        JSON.stringify({ text: 'a', label: 'positive', probabilities: [0.2, 0.8] }),
        JSON.stringify({ text: 'b', label: 0, probabilities: { negative: 0.6, positive: 0.4 } }),
        '',
        JSON.stringify({ text: 'c', labels: [1, 1], probabilities: [0.7, 0.9] }),
      ].join('\n'),
      labels,
    );
    expect(rows).toEqual([
      { text: 'a', trueLabels: ['positive'], probabilities: [0.2, 0.8] },
      { text: 'b', trueLabels: ['negative'], probabilities: [0.6, 0.4] },
      { text: 'c', trueLabels: ['negative', 'positive'], probabilities: [0.7, 0.9] },
    ]);
  });

  it('names the line of a bad row', () => {
    expect(() =>
      predictionRowsFromJsonl('{"text": "a", "label": "positive", "probabilities": [1]}', labels),
    ).toThrow(/line 1 has no probability for each of the 2 labels/);
    expect(() => predictionRowsFromJsonl('\n{oops', labels)).toThrow(/line 2 is not valid JSON/);
  });
});
