import { describe, expect, it } from 'vitest';
import { formatClassWeights, formatSetting, parseClassWeights, parseSetting } from './fields.ts';

describe('settings as typed', () => {
  it('reads numbers the way people write them and refuses the rest', () => {
    expect(parseSetting('5e-5')).toBe(5e-5);
    expect(parseSetting(' 0.001 ')).toBe(0.001);
    expect(parseSetting('16')).toBe(16);
    expect(parseSetting('')).toBeNaN();
    expect(parseSetting('1e')).toBeNaN();
    expect(parseSetting('abc')).toBeNaN();
  });

  it('shows small rates in exponent form and round-trips them', () => {
    expect(formatSetting(5e-5)).toBe('5e-5');
    expect(formatSetting(0.001)).toBe('0.001');
    expect(formatSetting(2.5e-4)).toBe('2.5e-4');
    expect(parseSetting(formatSetting(3e-5))).toBe(3e-5);
  });

  it('parses class weights by label name with plain errors', () => {
    expect(parseClassWeights('positive: 2, negative:1', ['negative', 'positive'])).toEqual({
      positive: 2,
      negative: 1,
    });
    expect(() => parseClassWeights('neutral: 2', ['negative', 'positive'])).toThrow(/not one of the labels/);
    expect(() => parseClassWeights('positive 2', ['positive'])).toThrow(/label: weight/);
    expect(() => parseClassWeights('positive: -1', ['positive'])).toThrow(/positive number/);
    expect(formatClassWeights({ a: 2, b: 0.5 })).toBe('a: 2, b: 0.5');
  });
});
