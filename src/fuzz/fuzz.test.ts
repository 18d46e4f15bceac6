// The fuzz suite at a fixed seed: every reader of user-given bytes ends each mutated input in
// acceptance or a clear one-line message (check.ts says what counts as a defect). `npm run fuzz`
// runs the same targets longer with a fresh seed.
import { beforeAll, describe, expect, it } from 'vitest';
import { defectOf, fuzzTarget, runOne } from './check.ts';
import { hostileSamples, prepareTargets, TARGETS } from './targets.ts';

const SEED = 20261203;

beforeAll(prepareTargets);

describe('defects the suite recognizes', () => {
  it.each([
    [new TypeError("Cannot read properties of undefined (reading 'length')")],
    [new RangeError('Offset is outside the bounds of the DataView')],
    [new SyntaxError('Unexpected token } in JSON at position 4')],
    [new Error('line one\nline two')],
    [new Error('')],
    ['a string'],
  ])('%s is a defect', (error) => {
    expect(defectOf(error)).not.toBeNull();
  });

  it('a clear one-line message is not', () => {
    expect(
      defectOf(new Error('model.safetensors is not a valid safetensors file: header too long')),
    ).toBeNull();
  });
});

describe('hostile samples', () => {
  it.each(hostileSamples().map((s) => [s.target.name, s.name, s] as const))(
    '%s refuses %s with a clear message',
    async (_target, _name, sample) => {
      const outcome = await runOne(sample.target, sample.input);
      expect(outcome.defect).toBeUndefined();
      expect(outcome.accepted).toBe(false);
      expect(outcome.message).toMatch(sample.refusal);
    },
  );
});

describe.each(TARGETS.map((t) => [t.name, t] as const))('fuzz %s', (_name, target) => {
  it(`ends ${target.testRuns} mutated inputs of ${target.reads} in acceptance or a one-line message`, async () => {
    const report = await fuzzTarget(target, target.testRuns, SEED);
    expect(report.runs).toBe(target.testRuns);
    // Mutations must reach the refusal paths, and the samples must also be accepted sometimes:
    // a target that refuses everything (or nothing) is not exercising its reader.
    expect(report.accepted).toBeLessThan(report.runs);
    expect(report.messages.length).toBeGreaterThan(1);
  }, 240_000);
});
